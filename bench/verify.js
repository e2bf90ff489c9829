#!/usr/bin/env node
'use strict';
/**
 * The verify section: `hacp verify` over the built-in trees (both apps, as `npm run synth` writes them) and the share
 * of it the `cluster` check takes. Run by bench/run.js (`BENCH_ONLY=verify`: as a child, `--json` writes
 * bench/out/verify.json), or alone: `node bench/verify.js` prints the figures.
 *
 * - The trees: `synthAll()` of build/apps/main.js into a temp dir, with a PKI made once (untimed).
 * - process: `hacp verify <dist>` in a fresh Node process (module loading included, as a user runs it), all checks vs
 *   `--checks schema,flags,security,consistency`, interleaved round by round; the difference is the cluster check's
 *   cost including loading its code. Exit code 0 expected (the built-in trees have no error).
 * - in process: the tree loaded once, then per round `verifyLoadedTree()` with every check and `clusterCheck()` alone
 *   (models of both clusters, every finding, both plans), after one warm-up round.
 */
const fs = require('fs');
const path = require('path');
const { ROOT, stats, timed, tmpdir, log } = require('./_util');

const FILE_CHECKS = 'schema,flags,security,consistency';

async function prepare() {
  const dir = tmpdir('verify');
  const { synthAll } = require(path.join(ROOT, 'build', 'apps', 'main.js'));
  log('verify: synthesizing the built-in trees (PKI made once, untimed)');
  await synthAll({
    outdir: path.join(dir, 'dist'),
    stateRoot: path.join(dir, 'pki'),
    cwd: dir,
    log: () => undefined,
    cache: false,
  });
  return dir;
}

function inProcess(dist, cwd, runs) {
  const verify = require(path.join(ROOT, 'build', 'lib', 'verify'));
  const specFor = verify.treeSpecResolver({ cwd });
  const time = (fn) => {
    const t = process.hrtime.bigint();
    const out = fn();
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, out };
  };
  const samples = { load: [], all: [], cluster: [], perFolder: {} };
  let tree;
  let findings = 0;
  for (let i = 0; i <= runs; i++) {
    const load = time(() => verify.loadTree(dist));
    tree = load.out;
    const all = time(() => verify.verifyLoadedTree(tree, { spec: specFor }));
    const cluster = time(() => verify.clusterCheck(tree, { specFor }));
    findings = cluster.out.findings.length;
    if (i === 0) continue; // warm-up
    samples.load.push(load.ms);
    samples.all.push(all.ms);
    samples.cluster.push(cluster.ms);
    for (const { root } of cluster.out.plans) {
      const one = time(() =>
        verify.clusterCheck(tree, { specFor: (rel) => (rel.startsWith(`${root}/`) ? specFor(rel) : undefined) }),
      );
      (samples.perFolder[root] ??= []).push(one.ms);
    }
  }
  const s = Object.fromEntries(
    Object.entries(samples)
      .filter(([k]) => k !== 'perFolder')
      .map(([k, v]) => [k, stats(v)]),
  );
  return {
    ...s,
    perFolder: Object.fromEntries(Object.entries(samples.perFolder).map(([k, v]) => [k, stats(v)])),
    files: tree.files.length,
    findings,
    shareOfVerify: s.cluster.median / (s.load.median + s.all.median),
  };
}

function processes(dist, cwd, runs) {
  const hacp = path.join(ROOT, 'build', 'lib', 'cli', 'hacp.js');
  const all = [];
  const without = [];
  for (let i = 0; i <= runs; i++) {
    const a = timed(process.execPath, [hacp, 'verify', dist, '--example', 'builtin'], {
      cwd,
      okCodes: [0, 1],
      rss: true,
    });
    const b = timed(process.execPath, [hacp, 'verify', dist, '--example', 'builtin', '--checks', FILE_CHECKS], {
      cwd,
      okCodes: [0, 1],
      rss: true,
    });
    if (i === 0) continue;
    all.push(a);
    without.push(b);
  }
  const pick = (xs, k) => (xs.every((x) => x[k] !== undefined) ? stats(xs.map((x) => x[k])) : undefined);
  return {
    all: { wall: pick(all, 'ms'), cpu: pick(all, 'cpuMs') },
    withoutCluster: { wall: pick(without, 'ms'), cpu: pick(without, 'cpuMs') },
    diffWall: stats(all.map((x, i) => x.ms - without[i].ms)),
    diffCpu: all.every((x) => x.cpuMs !== undefined) ? stats(all.map((x, i) => x.cpuMs - without[i].cpuMs)) : undefined,
  };
}

/** The section's result (bench/run.js writes it to RESULTS.md). */
async function runVerify({ runs }) {
  const dir = await prepare();
  const dist = path.join(dir, 'dist');
  log(`verify: in process, ${runs} rounds`);
  const inproc = inProcess(dist, dir, runs);
  log(`verify: fresh processes, ${runs} rounds`);
  const proc = processes(dist, dir, runs);
  return { inProcess: inproc, process: proc };
}

module.exports = { runVerify };

if (require.main === module) {
  const { cleanup, fmtStats } = require('./_util');
  runVerify({ runs: Math.max(1, Number(process.env.BENCH_RUNS || 5)) })
    .then((r) => {
      if (process.argv.includes('--json')) {
        // For bench/run.js: the raw result in bench/out/verify.json.
        const out = path.join(__dirname, 'out');
        fs.mkdirSync(out, { recursive: true });
        fs.writeFileSync(path.join(out, 'verify.json'), JSON.stringify(r, null, 2));
      }
      const p = r.inProcess;
      process.stdout.write(
        [
          `tree: ${p.files} files; cluster findings: ${p.findings}`,
          `in process: loadTree ${fmtStats(p.load)}; every check ${fmtStats(p.all)}; cluster check ${fmtStats(p.cluster)} (${(p.shareOfVerify * 100).toFixed(0)} % of load + checks)`,
          ...Object.entries(p.perFolder).map(([k, v]) => `  cluster check, ${k} alone: ${fmtStats(v)}`),
          `process: hacp verify ${fmtStats(r.process.all.wall)} wall${r.process.all.cpu ? `, ${fmtStats(r.process.all.cpu)} CPU` : ''}; without the cluster check ${fmtStats(r.process.withoutCluster.wall)} wall${r.process.withoutCluster.cpu ? `, ${fmtStats(r.process.withoutCluster.cpu)} CPU` : ''}`,
          `  difference (cluster check incl. loading its code): ${fmtStats(r.process.diffWall)} wall${r.process.diffCpu ? `, ${fmtStats(r.process.diffCpu)} CPU` : ''}`,
          '',
        ].join('\n'),
      );
      cleanup();
    })
    .catch((e) => {
      cleanup();
      process.stderr.write(`${e.stack}\n`);
      process.exitCode = 1;
    });
}
