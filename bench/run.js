#!/usr/bin/env node
'use strict';
/**
 * `npm run bench` (= `npm run --silent build && node bench/run.js`): synth, PKI and scale benchmarks, written to
 * bench/RESULTS.md (overwritten each run) and bench/out/*.json (raw samples, gitignored). See bench/README.md.
 *
 *   BENCH_RUNS=5         samples per case, after one warm-up (at least 5 for the numbers in RESULTS.md)
 *   BENCH_ONLY=synth,pki,scale   run only these sections (RESULTS.md then holds only those)
 *   node bench/run.js --report   rewrite RESULTS.md from the last run's bench/out/run-*.json without measuring
 *
 * Benchmarks are not tests: nothing here fails on a slow number. Missed targets are marked in RESULTS.md and the
 * process still exits 0; it exits 1 only when a section could not run at all.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, timed, cleanup, machine, fmtMs, fmtMb, fmtStats, log } = require('./_util');
const { runSynth } = require('./synth');
const { runScale } = require('./scale');

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS || 5));
const ONLY = (process.env.BENCH_ONLY || 'synth,pki,scale,verify').split(',').map((s) => s.trim());
const OUT = path.join(__dirname, 'out');
const TARGETS = { warmOverHello: 1.3, pkiSpeedup: 2, msPerMaster: 30, clusterCheckMs: 200 };

/** The PKI section is helper "pki"'s bench/pki.js (hacp vs cfssl in one run); it writes bench/out/pki.json. */
function runPki() {
  const script = path.join(__dirname, 'pki.js');
  if (!fs.existsSync(script)) throw new Error('bench/pki.js is missing');
  const r = timed(process.execPath, [script], { cwd: ROOT, env: { BENCH_RUNS: String(RUNS) }, rss: false });
  const data = JSON.parse(fs.readFileSync(path.join(OUT, 'pki.json'), 'utf8'));
  log('pki: one RSA-2048 key, three ways (bench/rsa-keygen.js)');
  return { ...data, stdout: r.stdout, wallMs: r.ms, keygen: require('./rsa-keygen').main(RUNS * 2) };
}

/** The verify section is bench/verify.js, run as a child (it synthesizes the trees itself); it writes bench/out/verify.json. */
function runVerifySection() {
  timed(process.execPath, [path.join(__dirname, 'verify.js'), '--json'], {
    cwd: ROOT,
    env: { BENCH_RUNS: String(RUNS) },
    rss: false,
  });
  return JSON.parse(fs.readFileSync(path.join(OUT, 'verify.json'), 'utf8'));
}

/** `--report`: RESULTS.md from the JSON of the last run (e.g. after changing the report's layout). */
function rewriteReport() {
  const result = JSON.parse(fs.readFileSync(path.join(OUT, 'summary.json'), 'utf8'));
  result.sections = Object.fromEntries(
    result.sections.map((n) => [n, JSON.parse(fs.readFileSync(path.join(OUT, `run-${n}.json`), 'utf8'))]),
  );
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), report(result));
  return 0;
}

function main() {
  if (process.argv.includes('--report')) return rewriteReport();
  if (!fs.existsSync(path.join(ROOT, 'build', 'apps', 'main.js'))) {
    throw new Error('build/apps/main.js is missing: run `npm run build` first (or `npm run bench`)');
  }
  fs.mkdirSync(OUT, { recursive: true });
  const started = process.hrtime.bigint();
  const result = {
    machine: machine(),
    loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    runs: RUNS,
    sections: {},
    errors: {},
  };
  const section = (name, fn) => {
    if (!ONLY.includes(name)) return;
    const t = process.hrtime.bigint();
    try {
      result.sections[name] = fn();
      fs.writeFileSync(path.join(OUT, `run-${name}.json`), JSON.stringify(result.sections[name], null, 2));
    } catch (e) {
      result.errors[name] = e.message;
      log(`${name} FAILED: ${e.message.split('\n')[0]}`);
    } finally {
      log(`${name}: ${fmtMs(Number(process.hrtime.bigint() - t) / 1e6)}`);
      cleanup();
    }
  };
  section('synth', () => runSynth({ runs: RUNS }));
  section('pki', () => runPki());
  section('scale', () => runScale({ runs: RUNS }));
  section('verify', () => runVerifySection());
  result.loadavgAtEnd = os.loadavg().map((x) => +x.toFixed(2));
  result.totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  fs.writeFileSync(
    path.join(OUT, 'summary.json'),
    JSON.stringify({ ...result, sections: Object.keys(result.sections) }, null, 2),
  );
  const md = report(result);
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), md);
  process.stdout.write(md);
  return Object.keys(result.errors).length ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------------
// RESULTS.md

const x2 = (r) => `${r.toFixed(2)}x`;
const verdict = (ok) => (ok ? 'met' : '**missed**');
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );
const fitText = (f, unit) =>
  `${f.slope.toFixed(1)} ms per ${unit} (intercept ${fmtMs(f.intercept)}, r² ${f.r2.toFixed(3)})`;
const rssFit = (f, unit) => `${(f.slope / 1024).toFixed(1)} MB per ${unit}`;

function targets(r) {
  const rows = [];
  const { synth, pki, scale, verify } = r.sections;
  const both = (wall, cpu, fmt, ok) =>
    `wall ${fmt(wall)} (${verdict(ok(wall))})${cpu === undefined ? '' : `; CPU ${fmt(cpu)} (${verdict(ok(cpu))})`}`;
  if (synth) {
    rows.push([
      `warm \`cdk8s synth\` of both apps ≤ ${TARGETS.warmOverHello}x hello world (nothing changed: synth cache)`,
      both(
        synth.ratios.warmOverHello.median,
        synth.cpuRatios.warmOverHello?.median,
        x2,
        (q) => q <= TARGETS.warmOverHello,
      ),
    ]);
    if (synth.ratios.renderOverHello) {
      rows.push([
        `the same with the synth cache off (full render, warm PKI: a synth after a code or spec change) ≤ ${TARGETS.warmOverHello}x`,
        both(
          synth.ratios.renderOverHello.median,
          synth.cpuRatios.renderOverHello?.median,
          x2,
          (q) => q <= TARGETS.warmOverHello,
        ),
      ]);
    }
  }
  if (pki) {
    const hacp = pki.results[0];
    for (const c of pki.results.filter((x) => x.label.startsWith('cfssl'))) {
      const s = c.median / hacp.median;
      rows.push([
        `cold PKI ≥ ${TARGETS.pkiSpeedup}x faster than ${c.label}`,
        `wall ${x2(s)} faster (${verdict(s >= TARGETS.pkiSpeedup)})`,
      ]);
    }
    for (const c of pki.results.filter((x) => x.label.startsWith('openssl script'))) {
      rows.push([
        `context, not a target: cold PKI vs ${c.label} (the same OpenSSL key generation)`,
        `wall ${x2(c.median / hacp.median)} faster`,
      ]);
    }
  }
  if (scale) {
    const perMaster = (label, wall, cpu) =>
      rows.push([
        `≤ ${TARGETS.msPerMaster} ms per extra master: ${label}`,
        both(
          wall,
          cpu,
          (f) => `${f.slope.toFixed(1)} ms (r² ${f.r2.toFixed(2)})`,
          (f) => f.slope <= TARGETS.msPerMaster,
        ),
      ]);
    if (scale.e2e)
      perMaster('warm `cdk8s synth`, both apps (synth cache: nothing changed)', scale.e2e.fitWall, scale.e2e.fitCpu);
    if (scale.e2eRender)
      perMaster(
        '`cdk8s synth`, both apps, synth cache off (full render, warm PKI)',
        scale.e2eRender.fitWall,
        scale.e2eRender.fitCpu,
      );
    perMaster('static-pod app, library API, warm PKI (in-process time)', scale.static.fitTotal, scale.static.fitCpu);
    const c = scale.constructsClusters.fitSynth;
    rows.push([
      'linear in clusters (construct synth, 3 masters each; r² ≥ 0.98)',
      `${c.slope.toFixed(1)} ms per cluster, r² ${c.r2.toFixed(3)} (${verdict(c.r2 >= 0.98)})`,
    ]);
  }
  if (verify) {
    const c = verify.inProcess.cluster.median;
    rows.push([
      `\`cluster\` check on the built-in trees ≤ ${TARGETS.clusterCheckMs} ms (in process, both clusters)`,
      `${fmtMs(c)}, ${(verify.inProcess.shareOfVerify * 100).toFixed(0)} % of \`hacp verify\`'s load + checks (${verdict(c <= TARGETS.clusterCheckMs)})`,
    ]);
  }
  return rows;
}

function report(r) {
  const m = r.machine;
  const lines = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` (bench/run.js) on ${m.date.slice(0, 10)} (${m.date}). Overwritten by each run; raw samples`,
    'in bench/out/*.json. Method and analysis: bench/README.md.',
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${m.cpu}`],
        ['cores', String(m.cores)],
        ['memory', `${m.memoryGiB} GiB`],
        ['Node', m.node],
        ['OS', m.platform],
        [
          'load average (1/5/15 min) at start → end',
          `${r.loadavgAtStart.join(' / ')} → ${(r.loadavgAtEnd ?? []).join(' / ')}`,
        ],
        ['samples per case', `${r.runs} after 1 warm-up; times are median (min – max)`],
        ['total bench time', fmtMs(r.totalMs)],
      ],
    ),
    '',
    'This machine is shared and noisy: compare the **ratios** and **slopes**, not absolute times across runs.',
    '',
    '## Targets',
    '',
    table(['target', 'measured (verdict)'], targets(r)),
  ];
  for (const [name, msg] of Object.entries(r.errors))
    lines.push('', `**Section ${name} failed:** \`${msg.split('\n')[0]}\``);

  const { synth, pki, scale, verify } = r.sections;
  if (synth) {
    const c = synth.cases;
    lines.push(
      '',
      '## 1. Synth through the CLI (`node_modules/.bin/cdk8s synth`, CDK8S_CHECK_UPGRADE=false)',
      '',
      table(
        ['app', 'wall time', 'CPU time (all processes)', 'peak RSS (largest process)', 'files written'],
        [
          ['hello world: one Deployment, plain JS (bench/hello)', c.hello],
          [
            'this project, both apps, built-in clusters, **warm**: nothing changed since the last synth (synth cache)',
            c.warm,
          ],
          ['the same, synth cache off (`HACP_SYNTH_CACHE=off`): full render with a warm PKI', c.render],
          ['this project, both apps, built-in clusters, **cold** (empty PKI state)', c.cold],
        ]
          .filter(([, x]) => x)
          .map(([label, x]) => [
            label,
            fmtStats(x.ms),
            x.cpuMs ? fmtStats(x.cpuMs) : 'n/a',
            fmtMb(x.maxRssKb?.median),
            String(x.files),
          ]),
      ),
      '',
      `Ratios (median of per-round ratios; rounds interleave the cases): warm / hello **${x2(synth.ratios.warmOverHello.median)}**` +
        ` (${x2(synth.ratios.warmOverHello.min)} – ${x2(synth.ratios.warmOverHello.max)}),` +
        (synth.ratios.renderOverHello
          ? ` render / hello **${x2(synth.ratios.renderOverHello.median)}** (${x2(synth.ratios.renderOverHello.min)} – ${x2(synth.ratios.renderOverHello.max)}),`
          : '') +
        ` cold / hello ${x2(synth.ratios.coldOverHello.median)},` +
        ` cold / warm ${x2(synth.ratios.coldOverWarm.median)}.` +
        (synth.cpuRatios.warmOverHello
          ? ` By CPU time: warm / hello **${x2(synth.cpuRatios.warmOverHello.median)}**,` +
            (synth.cpuRatios.renderOverHello ? ` render / hello ${x2(synth.cpuRatios.renderOverHello.median)},` : '') +
            ' cold / hello' +
            ` ${x2(synth.cpuRatios.coldOverHello.median)}, cold / warm ${x2(synth.cpuRatios.coldOverWarm.median)}.`
          : ''),
      '',
      synth.build.error
        ? `\`npm run synth\` also runs its build step first; timing it failed: ${synth.build.error}`
        : `\`npm run synth\` also runs its build step (scripts/build-if-stale.js: \`tsc\` only when a source changed) first: ${fmtStats(synth.build)} when nothing changed` +
            ' (not in the ratios above: the hello-world floor is precompiled; use `npx cdk8s synth` after a build to skip it).',
    );
  }
  if (pki) {
    const hacp = pki.results[0];
    lines.push(
      '',
      `## 2. PKI alone: hacp vs cfssl (bench/pki.js, ${pki.keys} RSA keys: the built-in 3-master cluster's full set)`,
      '',
      table(
        ['how', 'wall time', 'time / hacp cold'],
        pki.results.map((x) => [x.label, fmtStats(x), x2(x.median / hacp.median)]),
      ),
      '',
      'One warm-up round, then the cases run round robin (every case once per round, so load from other processes hits them alike);' +
        ' cfssl is Debian `golang-cfssl` (`cfssl gencert`, one process per certificate).',
    );
    if (pki.keygen) {
      const [base] = pki.keygen.results;
      lines.push(
        '',
        `One RSA-2048 key, single-threaded, ${pki.keygen.runs} interleaved samples (bench/rsa-keygen.js; the prototype is not used by the library):`,
        '',
        table(
          ['how', 'wall time', 'speed-up over node generateKeyPair'],
          pki.keygen.results.map((x) => [x.label, fmtStats(x), x2(base.median / x.median)]),
        ),
      );
    }
  }
  if (scale) {
    const row = (x, n) => [
      String(n),
      fmtStats(x.wallMs),
      fmtMs(x.cpuMs.median),
      x.totalMs ? fmtMs(x.totalMs.median) : '',
      x.requireMs ? fmtMs(x.requireMs.median) : '',
      x.pkiMs ? fmtMs(x.pkiMs.median) : '',
      x.synthMs ? fmtMs(x.synthMs.median) : '',
      fmtMb(x.maxRssKb?.median),
    ];
    const head = (what) => [
      what,
      'wall (process)',
      'CPU',
      'in-process total',
      'require',
      'PKI ensure (warm)',
      'synth',
      'peak RSS',
    ];
    lines.push(
      '',
      '## 3. Scale (every sample a fresh Node process; slopes from a least-squares fit of the medians)',
      '',
    );
    const e2eSection = (title, e) => {
      if (!e) return;
      lines.push(
        title,
        '',
        table(
          ['masters', 'wall time', 'CPU time', 'peak RSS'],
          e.results.map((x) => [
            String(x.masters),
            fmtStats(x.wallMs),
            x.cpuMs ? fmtMs(x.cpuMs.median) : 'n/a',
            fmtMb(x.maxRssKb?.median),
          ]),
        ),
        '',
        `Growth: **${fitText(e.fitWall, 'extra master')}**${e.fitCpu ? `; CPU ${fitText(e.fitCpu, 'extra master')}` : ''};` +
          ` memory ${rssFit(e.fitRss, 'master')}.`,
        '',
      );
    };
    e2eSection(
      '### Warm `cdk8s synth`, both apps, generated cluster.yaml with N masters (what a user runs; synth cache)',
      scale.e2e,
    );
    e2eSection(
      '### The same with the synth cache off (`HACP_SYNTH_CACHE=off`: the full render, after a code or spec change)',
      scale.e2eRender,
    );
    lines.push(
      'Through the CLI one sample varies by ±100–300 ms on this machine (sizes are interleaved round by round): the library-API' +
        ' series below measures the growth per master far more precisely.',
      '',
    );
    lines.push(
      '### Static-pod app through the library API, warm PKI (`ClusterPki.ensure` + `synthStaticPods`, writes every file)',
      '',
      table(
        head('masters'),
        scale.static.results.map((x) => row(x, x.masters)),
      ),
      '',
      `Growth: **${fitText(scale.static.fitTotal, 'extra master')}** in process (PKI ensure ${scale.static.fitPki.slope.toFixed(1)} ms,` +
        ` synth ${scale.static.fitSynth.slope.toFixed(1)} ms); CPU ${fitText(scale.static.fitCpu, 'extra master')};` +
        ` memory ${rssFit(scale.static.fitRss, 'master')}.`,
      '',
      '### Construct synth only (no PKI): one App, StaticControlPlane chart per master + ControlPlaneRbac per cluster, `app.synth()`',
      '',
      table(
        head('masters (1 cluster)'),
        scale.constructsMasters.results.map((x) => row(x, x.masters)),
      ),
      '',
      `Growth: ${fitText(scale.constructsMasters.fitSynth, 'extra master')}; CPU ${fitText(scale.constructsMasters.fitCpu, 'extra master')}; memory ${rssFit(scale.constructsMasters.fitRss, 'master')}.`,
      '',
      table(
        head('clusters (3 masters each)'),
        scale.constructsClusters.results.map((x) => row(x, x.clusters)),
      ),
      '',
      `Growth: **${fitText(scale.constructsClusters.fitSynth, 'extra cluster')}** (${(scale.constructsClusters.fitSynth.slope / 3).toFixed(1)} ms per master);` +
        ` CPU ${fitText(scale.constructsClusters.fitCpu, 'extra cluster')}; memory ${rssFit(scale.constructsClusters.fitRss, 'cluster')}.`,
    );
  }
  if (verify) {
    const p = verify.inProcess;
    const v = verify.process;
    lines.push(
      '',
      "## 4. `hacp verify` on the built-in trees, and the `cluster` check's share (bench/verify.js)",
      '',
      table(
        ['what', 'time'],
        [
          [`\`loadTree()\` (${p.files} files)`, fmtStats(p.load)],
          ['every check, `verifyLoadedTree()` (cluster included)', fmtStats(p.all)],
          [`\`clusterCheck()\` alone: both clusters' models, findings (${p.findings}) and plans`, fmtStats(p.cluster)],
          ...Object.entries(p.perFolder).map(([k, x]) => [`\`clusterCheck()\`, ${k} alone`, fmtStats(x)]),
          [
            '`hacp verify dist` (fresh process), wall / CPU',
            `${fmtStats(v.all.wall)} / ${v.all.cpu ? fmtStats(v.all.cpu) : 'n/a'}`,
          ],
          [
            'the same with `--checks schema,flags,security,consistency`, wall / CPU',
            `${fmtStats(v.withoutCluster.wall)} / ${v.withoutCluster.cpu ? fmtStats(v.withoutCluster.cpu) : 'n/a'}`,
          ],
          [
            'difference per round (the cluster check with loading its code), wall / CPU',
            `${fmtStats(v.diffWall)} / ${v.diffCpu ? fmtStats(v.diffCpu) : 'n/a'}`,
          ],
        ],
      ),
      '',
      `In process the cluster check takes **${(p.shareOfVerify * 100).toFixed(0)} %** of \`hacp verify\`'s tree loading and checks (medians, after one warm-up round).` +
        ' The process rows include Node start-up and module loading; under load prefer the CPU column.',
    );
  }
  lines.push('');
  return lines.join('\n');
}

try {
  process.exitCode = main();
} catch (e) {
  cleanup();
  log(e.message);
  process.exitCode = 1;
}
