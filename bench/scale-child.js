'use strict';
/**
 * One scale measurement in a fresh Node process (so every run pays module loading like a real synth does, and the
 * peak RSS belongs to this size alone). Prints one JSON line on stdout. Used by bench/scale.js; usage:
 *
 *   node bench/scale-child.js prepare   <stateRoot> <n1,n2,...>        make the PKI + encryption key of each size in
 *                                                                      <stateRoot>/m<n>/bench (keygen, untimed; each size
 *                                                                      starts from a copy of the previous one: fewer keys)
 *   node bench/scale-child.js static    <masters> <stateRoot> <outdir> warm: ClusterPki.ensure (reads state) + synthStaticPods
 *   node bench/scale-child.js constructs <clusters> <masters> <outdir> one App, per cluster one Chart per master
 *                                                                      (StaticControlPlane) + one (ControlPlaneRbac); app.synth()
 */
const fs = require('fs');
const path = require('path');
const { specFor } = require('./_util');

const BUILD = path.resolve(__dirname, '..', 'build');
const t0 = process.hrtime.bigint();
const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const result = { mode };
  if (mode === 'prepare') {
    const [stateRoot, sizes] = [args[0], args[1].split(',').map(Number)];
    const { resolveSpec } = require(`${BUILD}/lib/spec`);
    const { ClusterPki } = require(`${BUILD}/lib/pki`);
    const { loadOrCreateEncryptionKey } = require(`${BUILD}/lib/control-plane`);
    let previous;
    for (const n of sizes) {
      const spec = resolveSpec(specFor(n));
      const dir = path.join(stateRoot, `m${n}`, spec.name);
      if (previous) fs.cpSync(previous, dir, { recursive: true });
      await ClusterPki.ensure(spec, { dir });
      loadOrCreateEncryptionKey(dir);
      previous = dir;
    }
  } else if (mode === 'static') {
    const [n, stateRoot, outdir] = [Number(args[0]), args[1], args[2]];
    const { resolveSpec } = require(`${BUILD}/lib/spec`);
    const { ClusterPki } = require(`${BUILD}/lib/pki`);
    const { loadOrCreateEncryptionKey } = require(`${BUILD}/lib/control-plane`);
    const { synthStaticPods } = require(`${BUILD}/lib/synth`);
    result.requireMs = since(t0);
    const spec = resolveSpec(specFor(n));
    const dir = path.join(stateRoot, `m${n}`, spec.name);
    let t = process.hrtime.bigint();
    const logged = [];
    const pki = await ClusterPki.ensure(spec, { dir, log: (l) => logged.push(l) });
    result.pkiMs = since(t);
    if (logged.length) throw new Error(`the PKI state was not warm: ${logged.join('; ')}`);
    const encryptionKey = loadOrCreateEncryptionKey(dir);
    t = process.hrtime.bigint();
    synthStaticPods({ spec, pki, encryptionKey, outdir });
    result.synthMs = since(t);
    result.masters = n;
  } else if (mode === 'constructs') {
    const [clusters, n, outdir] = [Number(args[0]), Number(args[1]), args[2]];
    const { App, Chart } = require(`${BUILD}/../node_modules/cdk8s`);
    const { resolveSpec } = require(`${BUILD}/lib/spec`);
    const { ControlPlaneRbac, StaticControlPlane } = require(`${BUILD}/lib/control-plane`);
    result.requireMs = since(t0);
    const t = process.hrtime.bigint();
    const app = new App({ outdir });
    for (let c = 0; c < clusters; c++) {
      const spec = resolveSpec(specFor(n, c));
      for (const m of spec.masters)
        new StaticControlPlane(new Chart(app, `${spec.name}-${m.name}`), 'cp', { cluster: spec, master: m.name });
      new ControlPlaneRbac(new Chart(app, `${spec.name}-cluster`), 'rbac');
    }
    app.synth();
    result.synthMs = since(t);
    Object.assign(result, { clusters, masters: n });
  } else {
    throw new Error(`unknown mode '${mode}' (prepare, static, constructs)`);
  }
  result.totalMs = since(t0);
  const usage = process.resourceUsage();
  result.cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  result.maxRssKb = usage.maxRSS;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
