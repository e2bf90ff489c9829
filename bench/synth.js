'use strict';
/**
 * Synth through the real CLI, as a user runs it: `node_modules/.bin/cdk8s synth` in a directory holding the app's
 * cdk8s.yaml (CDK8S_CHECK_UPGRADE=false, as `npm run synth` documents). Each app runs in its own temp dir (so the
 * repo's dist/ and pki/ are left alone) with symlinks to the real files, so module resolution is the repo's:
 *   hello  bench/hello (one Deployment, plain JS, no cdk8s-plus): the floor of any cdk8s synth;
 *   warm   this project's cdk8s.yaml (`node build/apps/main.js`, both apps, built-in clusters), PKI state complete
 *          and nothing changed since the last synth: served by the synth cache (apps/_synth-cache.ts);
 *   render the same with HACP_SYNTH_CACHE=off: the full render, what a synth after a code or spec change costs;
 *   cold   the same with an empty PKI state root (every key and certificate made).
 * Rounds are interleaved (hello, warm, cold, hello, ...) so drift of a noisy machine hits every case alike; ratios
 * are computed per round, then the median taken.
 */
const fs = require('fs');
const path = require('path');
const { ROOT, stats, timed, tmpdir, log, pkiChanges } = require('./_util');

const CDK8S = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');

function appDir(name, links) {
  const dir = tmpdir(name);
  for (const [link, target] of Object.entries(links)) fs.symlinkSync(target, path.join(dir, link));
  return dir;
}

function countFiles(dir) {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
}

/** Checks the output is what a user would get: failing here beats timing an app that synthesized nothing. */
function check(dir, expect) {
  for (const f of expect) {
    if (!fs.existsSync(path.join(dir, 'dist', f))) throw new Error(`synth in ${dir} did not write dist/${f}`);
  }
  return countFiles(path.join(dir, 'dist'));
}

/**
 * Runs the synth rounds. Returns raw samples and summaries; `build` is the cost of the build step of `npm run synth`
 * when nothing changed (scripts/build-if-stale.js), measured separately because the floor has no build step.
 */
function runSynth({ runs }) {
  // timed() drops inherited HACP_* / CDK8S_* variables: a user's own cluster file must not leak into the built-in-cluster numbers
  const env = { CDK8S_CHECK_UPGRADE: 'false' };
  const hello = appDir('hello', {
    'cdk8s.yaml': path.join(ROOT, 'bench', 'hello', 'cdk8s.yaml'),
    'main.js': path.join(ROOT, 'bench', 'hello', 'main.js'),
  });
  const project = appDir('synth', { 'cdk8s.yaml': path.join(ROOT, 'cdk8s.yaml'), build: path.join(ROOT, 'build') });
  const warmPki = tmpdir('pki-warm');
  const coldRoot = tmpdir('pki-cold');
  const expectProject = [
    'static-pods/master0/kube-apiserver.yaml',
    'static-pods/master2/etcd.yaml',
    'static-pods/cluster',
  ];
  if (fs.existsSync(path.join(ROOT, 'build', 'apps', 'bootkube.js'))) expectProject.push('bootkube');

  let coldN = 0;
  const cases = {
    hello: () => timed(CDK8S, ['synth'], { cwd: hello, env }),
    warm: () => timed(CDK8S, ['synth'], { cwd: project, env: { ...env, HACP_PKI_DIR: warmPki } }),
    render: () =>
      timed(CDK8S, ['synth'], { cwd: project, env: { ...env, HACP_PKI_DIR: warmPki, HACP_SYNTH_CACHE: 'off' } }),
    cold: () =>
      timed(CDK8S, ['synth'], { cwd: project, env: { ...env, HACP_PKI_DIR: path.join(coldRoot, `run${coldN++}`) } }),
  };
  const samples = { hello: [], warm: [], render: [], cold: [] };
  const files = {};
  for (let round = -1; round < runs; round++) {
    log(`synth round ${round < 0 ? 'warm-up' : `${round + 1}/${runs}`}`);
    // round -1 is the warm-up (not recorded); its 'warm' run is the one that creates the warm PKI state
    for (const [name, fn] of Object.entries(cases)) {
      if (round < 0 && name === 'cold') continue; // nothing for a cold run to warm up; it is the slowest case
      const r = fn();
      if (round >= 0 && (name === 'warm' || name === 'render') && pkiChanges(r.stderr).length) {
        throw new Error(`the ${name} synth changed the PKI state: ${pkiChanges(r.stderr).slice(0, 5).join('; ')}`);
      }
      if (round >= 0 && name === 'warm' && !/reused the previous synth output/.test(r.stderr)) {
        throw new Error(`the warm synth was not served by the synth cache: ${r.stderr.slice(0, 400)}`);
      }
      if (round >= 0) samples[name].push(r);
      files[name] = check(name === 'hello' ? hello : project, name === 'hello' ? ['hello.k8s.yaml'] : expectProject);
    }
  }

  let build;
  try {
    // `npm run synth`'s build step when nothing changed: the staleness check (no tsc).
    const staleCheck = path.join(ROOT, 'scripts', 'build-if-stale.js');
    const b = [];
    for (let i = 0; i < Math.min(runs, 3); i++)
      b.push(timed(process.execPath, [staleCheck], { cwd: ROOT, rss: false }).ms);
    build = stats(b);
  } catch (e) {
    build = { error: e.message.split('\n').slice(0, 3).join(' ') };
  }

  const col = (name, k) => samples[name].map((r) => r[k]).filter((x) => x !== undefined);
  const opt = (xs) => (xs.length ? stats(xs) : undefined);
  const ratio = (a, b, k = 'ms') =>
    samples[a][0][k] === undefined ? undefined : stats(samples[a].map((r, i) => r[k] / samples[b][i][k]));
  return {
    runs,
    cases: Object.fromEntries(
      Object.keys(samples).map((n) => [
        n,
        {
          ms: stats(col(n, 'ms')),
          cpuMs: opt(col(n, 'cpuMs')),
          maxRssKb: opt(col(n, 'maxRssKb')),
          files: files[n],
          samples: col(n, 'ms'),
          cpuSamples: col(n, 'cpuMs'),
        },
      ]),
    ),
    ratios: {
      warmOverHello: ratio('warm', 'hello'),
      renderOverHello: ratio('render', 'hello'),
      coldOverHello: ratio('cold', 'hello'),
      coldOverWarm: ratio('cold', 'warm'),
    },
    cpuRatios: {
      warmOverHello: ratio('warm', 'hello', 'cpuMs'),
      renderOverHello: ratio('render', 'hello', 'cpuMs'),
      coldOverHello: ratio('cold', 'hello', 'cpuMs'),
      coldOverWarm: ratio('cold', 'warm', 'cpuMs'),
    },
    build,
  };
}

module.exports = { runSynth };
