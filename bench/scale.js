'use strict';
/**
 * Scale: how synth time and peak memory grow with masters and clusters. Every sample is a fresh child process
 * (bench/scale-child.js), so each pays module loading as a real synth does; the fitted slope is the cost per extra
 * master / cluster (constant costs such as Node start-up and `require` fall into the intercept).
 *   static      library API, warm: ClusterPki.ensure on a complete state (reads and checks every file) +
 *               synthStaticPods (constructs, YAML, atomic writes of manifests, PKI files, kubeconfigs), N masters;
 *   constructs  library API, construct synth only (no PKI): one App, a Chart with StaticControlPlane per master and
 *               one with ControlPlaneRbac per cluster, `app.synth()`; N masters (1 cluster) and K clusters (3 masters);
 *   e2e         `cdk8s synth` of the project app with a generated cluster.yaml (HACP_CLUSTER) of N masters, warm PKI:
 *               both apps, as a user runs it: with the synth cache (nothing changed since the last synth), and with
 *               it off (e2eRender: the full render, which is what grows with N).
 */
const fs = require('fs');
const path = require('path');
const { ROOT, stats, fit, timed, tmpdir, log, pkiChanges, specFor } = require('./_util');

const CHILD = path.join(__dirname, 'scale-child.js');
const CDK8S = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');

function child(args) {
  const r = timed(process.execPath, [CHILD, ...args], { rss: false });
  return { wallMs: r.ms, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
}

/** warm-up + `runs` samples of fn(); summarised on `key`. */
function sample(runs, fn) {
  fn();
  const xs = Array.from({ length: runs }, fn);
  const pick = (k) => (xs.every((x) => typeof x[k] === 'number') ? stats(xs.map((x) => x[k])) : undefined);
  return {
    wallMs: pick('wallMs'),
    cpuMs: pick('cpuMs'),
    totalMs: pick('totalMs'),
    synthMs: pick('synthMs'),
    pkiMs: pick('pkiMs'),
    requireMs: pick('requireMs'),
    maxRssKb: pick('maxRssKb'),
    samples: xs,
  };
}

function series(sizes, results, key) {
  const pts = sizes.map((n, i) => [n, results[i][key].median]);
  return fit(pts);
}

function runScale({ runs, masters = [1, 3, 5, 7], clusters = [1, 10, 50], e2e = true }) {
  const out = {};
  const state = tmpdir('scale-state');
  log(`scale: preparing PKI state for ${masters.join(', ')} masters (keygen, untimed)`);
  child(['prepare', state, masters.join(',')]);

  const staticRes = masters.map((n) => {
    log(`scale: static-pod app, ${n} masters`);
    const outdir = tmpdir(`scale-static-m${n}`);
    return { masters: n, ...sample(runs, () => child(['static', String(n), state, outdir])) };
  });
  out.static = {
    results: staticRes,
    fitTotal: series(masters, staticRes, 'totalMs'),
    fitCpu: series(masters, staticRes, 'cpuMs'),
    fitSynth: series(masters, staticRes, 'synthMs'),
    fitPki: series(masters, staticRes, 'pkiMs'),
    fitRss: series(masters, staticRes, 'maxRssKb'),
  };

  const masterRes = masters.map((n) => {
    log(`scale: constructs, 1 cluster, ${n} masters`);
    const outdir = tmpdir(`scale-cm${n}`);
    return { masters: n, ...sample(runs, () => child(['constructs', '1', String(n), outdir])) };
  });
  out.constructsMasters = {
    results: masterRes,
    fitSynth: series(masters, masterRes, 'synthMs'),
    fitCpu: series(masters, masterRes, 'cpuMs'),
    fitRss: series(masters, masterRes, 'maxRssKb'),
  };

  const clusterRes = clusters.map((k) => {
    log(`scale: constructs, ${k} clusters of 3 masters`);
    const outdir = tmpdir(`scale-cc${k}`);
    return { clusters: k, ...sample(runs, () => child(['constructs', String(k), '3', outdir])) };
  });
  out.constructsClusters = {
    results: clusterRes,
    fitSynth: series(clusters, clusterRes, 'synthMs'),
    fitCpu: series(clusters, clusterRes, 'cpuMs'),
    fitRss: series(clusters, clusterRes, 'maxRssKb'),
  };

  if (e2e) {
    // Twice: with the synth cache (nothing changed since the last synth: what a user runs most) and without it (the
    // full render, what a synth after a code or spec change costs: the series that shows the growth per master).
    // Sizes interleaved round by round (1, 3, 5, 7, 1, 3, ...): through the CLI one sample varies by 100-300 ms, and
    // load drifting during a size-by-size run would show up as a slope.
    for (const [key, cache] of [
      ['e2e', true],
      ['e2eRender', false],
    ]) {
      const setups = masters.map((n) => {
        const dir = tmpdir(`scale-${key}-m${n}`);
        fs.symlinkSync(path.join(ROOT, 'cdk8s.yaml'), path.join(dir, 'cdk8s.yaml'));
        fs.symlinkSync(path.join(ROOT, 'build'), path.join(dir, 'build'));
        // the spec scale-child.js prepared the PKI for, so the PKI is warm
        const clusterFile = path.join(dir, 'cluster.yaml');
        fs.writeFileSync(clusterFile, JSON.stringify(specFor(n), null, 2));
        const env = {
          CDK8S_CHECK_UPGRADE: 'false',
          HACP_SYNTH_CACHE: cache ? 'on' : 'off',
          HACP_CLUSTER: clusterFile,
          HACP_PKI_DIR: path.join(state, `m${n}`),
        };
        return { n, dir, env, xs: [] };
      });
      for (let round = -1; round < runs; round++) {
        log(
          `scale: cdk8s synth (both apps), ${masters.join('/')} masters, synth cache ${cache ? 'on' : 'off'}, ` +
            `round ${round < 0 ? 'warm-up' : `${round + 1}/${runs}`}`,
        );
        for (const u of setups) {
          const r = timed(CDK8S, ['synth'], { cwd: u.dir, env: u.env });
          const changes = pkiChanges(r.stderr);
          if (changes.length) throw new Error(`e2e ${u.n} masters: PKI not warm: ${changes.slice(0, 5).join('; ')}`);
          // the warm-up run of the cached series is the one that fills the cache
          if (round >= 0 && /reused the previous synth output/.test(r.stderr) !== cache) {
            throw new Error(`e2e ${u.n} masters: synth cache ${cache ? 'missed' : 'used'}: ${r.stderr.slice(0, 500)}`);
          }
          if (round >= 0) u.xs.push({ wallMs: r.ms, cpuMs: r.cpuMs, maxRssKb: r.maxRssKb });
        }
      }
      const res = setups.map((u) => {
        const pick = (k) => (u.xs.every((x) => typeof x[k] === 'number') ? stats(u.xs.map((x) => x[k])) : undefined);
        return {
          masters: u.n,
          wallMs: pick('wallMs'),
          cpuMs: pick('cpuMs'),
          maxRssKb: pick('maxRssKb'),
          samples: u.xs,
        };
      });
      out[key] = {
        results: res,
        fitWall: series(masters, res, 'wallMs'),
        fitRss: series(masters, res, 'maxRssKb'),
        fitCpu: res.every((x) => x.cpuMs) ? series(masters, res, 'cpuMs') : undefined,
      };
    }
  }
  return out;
}

module.exports = { runScale };
