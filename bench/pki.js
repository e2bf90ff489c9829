#!/usr/bin/env node
/**
 * Benchmark: the full cold PKI of the built-in 3-master example, made by hacp (node-forge keys on the thread pool,
 * native signatures) and, in the same run, the same certificate set made by cfssl (one `cfssl gencert` per
 * certificate, as the usual shell scripts do, and the same with one job per CPU) and by an openssl script (one
 * `openssl req -x509` per certificate, sequential and one job per CPU).
 *
 *   npm run build && node bench/pki.js           # BENCH_RUNS=5 (after one warm-up run of each)
 *
 * Runs the cases round robin, prints min / median / max wall-clock milliseconds and writes bench/out/pki.json.
 */
'use strict';
const { execFile, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { stats } = require('./_util');

const build = path.join(__dirname, '..', 'build', 'lib');
if (!fs.existsSync(path.join(build, 'pki', 'index.js'))) {
  console.error('bench/pki.js: run `npm run build` first (build/lib/pki is missing)');
  process.exit(1);
}
const { ClusterPki } = require(path.join(build, 'pki'));
const { certCatalog } = require(path.join(build, 'pki', 'catalog'));
const { STATIC_EXAMPLE_CLUSTER, resolveSpec } = require(path.join(build, 'spec'));

const RUNS = Number(process.env.BENCH_RUNS || 5);
const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
const catalog = certCatalog(spec);
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-bench-pki-'));
const cpus = os.cpus().length;

function hasCfssl() {
  try {
    execFileSync('cfssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The cfssl jobs for the same set: CAs first (initca), then every leaf and the service-account key. */
function cfsslJobs(dir) {
  const hours = (days) => `${days * 24}h`;
  const profile = (usages) => ({
    usages: ['signing', 'key encipherment', ...usages],
    expiry: hours(spec.pki.validityDays),
  });
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      signing: {
        default: { expiry: hours(spec.pki.validityDays) },
        profiles: {
          server: profile(['server auth']),
          client: profile(['client auth']),
          peer: profile(['server auth', 'client auth']),
        },
      },
    }),
  );
  const key = { algo: 'rsa', size: spec.pki.keySize };
  const file = (id) => path.join(dir, id.replace(/\//g, '_'));
  const csr = (e) => {
    const p = `${file(e.id)}-csr.json`;
    fs.writeFileSync(
      p,
      JSON.stringify({
        CN: e.commonName,
        names: e.organizations.map((O) => ({ O })),
        hosts: [...e.dns, ...e.ips],
        key,
        ...(e.profile === 'ca' ? { ca: { expiry: hours(spec.pki.caValidityDays) } } : {}),
      }),
    );
    return p;
  };
  const cas = catalog
    .filter((e) => e.profile === 'ca')
    .map((e) => ({ id: e.id, args: ['gencert', '-initca', csr(e)] }));
  const leaves = catalog
    .filter((e) => e.profile !== 'ca')
    .map((e) => ({
      id: e.id,
      args: [
        'gencert',
        '-ca',
        `${file(e.signer)}.pem`,
        '-ca-key',
        `${file(e.signer)}-key.pem`,
        '-config',
        config,
        '-profile',
        e.profile,
        csr(e),
      ],
    }));
  fs.writeFileSync(`${file('sa')}-csr.json`, JSON.stringify({ CN: 'sa', key }));
  leaves.push({ id: 'sa', args: ['genkey', `${file('sa')}-csr.json`] });
  const save = (job, stdout) => {
    const out = JSON.parse(stdout);
    fs.writeFileSync(`${file(job.id)}-key.pem`, out.key, { mode: 0o600 });
    if (out.cert) fs.writeFileSync(`${file(job.id)}.pem`, out.cert);
  };
  return { cas, leaves, save };
}

function hasOpenssl() {
  try {
    // `req -x509 -CA` (sign with a CA in the same command) is OpenSSL 3.0+.
    return /^OpenSSL [3-9]\./.test(execFileSync('openssl', ['version'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

/**
 * The same set as an `openssl` script would make it: one `openssl req -x509` per certificate (key, certificate and
 * signature in one process, OpenSSL 3's `-CA`/`-CAkey`), `genrsa` + `rsa -pubout` for the service-account key. The
 * key generation is the very OpenSSL code hacp runs (through Node), so this comparison isolates everything else.
 */
function opensslJobs(dir) {
  const cnf = path.join(dir, 'min.cnf');
  fs.writeFileSync(cnf, '[req]\ndistinguished_name = dn\n[dn]\n');
  const file = (id) => path.join(dir, id.replace(/\//g, '_'));
  const subj = (e) => `/${[...e.organizations.map((o) => `O=${o}`), `CN=${e.commonName}`].join('/')}`;
  const sans = (e) => [...e.dns.map((d) => `DNS:${d}`), ...e.ips.map((i) => `IP:${i}`)];
  const job = (e) => {
    const args = [
      'req',
      '-config',
      cnf,
      '-x509',
      '-newkey',
      `rsa:${spec.pki.keySize}`,
      '-nodes',
      '-keyout',
      `${file(e.id)}.key`,
      '-out',
      `${file(e.id)}.crt`,
      '-subj',
      subj(e),
    ];
    if (e.profile === 'ca') {
      args.push(
        '-days',
        String(spec.pki.caValidityDays),
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
      );
    } else {
      const eku = { server: 'serverAuth', client: 'clientAuth', peer: 'serverAuth,clientAuth' }[e.profile];
      args.push(
        '-days',
        String(spec.pki.validityDays),
        '-CA',
        `${file(e.signer)}.crt`,
        '-CAkey',
        `${file(e.signer)}.key`,
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        '-addext',
        `extendedKeyUsage=${eku}`,
      );
    }
    if (sans(e).length) args.push('-addext', `subjectAltName=${sans(e).join(',')}`);
    return [args];
  };
  const cas = catalog.filter((e) => e.profile === 'ca').map(job);
  const leaves = catalog.filter((e) => e.profile !== 'ca').map(job);
  leaves.push([
    ['genrsa', '-out', `${file('sa')}.key`, String(spec.pki.keySize)],
    ['rsa', '-in', `${file('sa')}.key`, '-pubout', '-out', `${file('sa')}.pub`],
  ]);
  return { cas, leaves };
}

function opensslSequential(dir) {
  const { cas, leaves } = opensslJobs(dir);
  for (const steps of [...cas, ...leaves]) for (const args of steps) execFileSync('openssl', args, { stdio: 'ignore' });
}

async function opensslParallel(dir) {
  const { cas, leaves } = opensslJobs(dir);
  const run = (steps) =>
    steps.reduce(
      (p, args) =>
        p.then(
          () => new Promise((resolve, reject) => execFile('openssl', args, (err) => (err ? reject(err) : resolve()))),
        ),
      Promise.resolve(),
    );
  await pool(cas, run);
  await pool(leaves, run);
}

/** Runs `run(job)` for every job, one job per CPU at a time. */
async function pool(jobs, run) {
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: cpus }, async () => {
      while (queue.length) await run(queue.shift());
    }),
  );
}

function cfsslSequential(dir) {
  const { cas, leaves, save } = cfsslJobs(dir);
  for (const job of [...cas, ...leaves])
    save(job, execFileSync('cfssl', job.args, { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 }));
}

async function cfsslParallel(dir) {
  const { cas, leaves, save } = cfsslJobs(dir);
  const run = (job) =>
    new Promise((resolve, reject) =>
      execFile('cfssl', job.args, { maxBuffer: 1 << 24 }, (err, stdout) => {
        if (err) reject(err);
        else resolve(save(job, stdout));
      }),
    );
  await pool(cas, run);
  await pool(leaves, run);
}

async function time(label, fn) {
  const dir = fs.mkdtempSync(path.join(tmpRoot, `${label}-`));
  const start = process.hrtime.bigint();
  await fn(dir);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
  const keys = catalog.length + 1;
  console.log(
    `PKI benchmark: ${spec.masters.length} masters, ${catalog.length} certificates + sa key = ${keys} RSA-${spec.pki.keySize} keys; ` +
      `${cpus} CPUs, node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE || 4}; ${RUNS} runs after a warm-up`,
  );
  const warmDir = path.join(tmpRoot, 'warm');
  await ClusterPki.ensure(spec, { dir: warmDir });
  const cases = [
    ['hacp ensure, cold (keys + certs + atomic writes)', (dir) => ClusterPki.ensure(spec, { dir })],
    ['hacp ensure, warm (everything on disk and valid)', () => ClusterPki.ensure(spec, { dir: warmDir })],
    ['hacp inMemory, cold', () => ClusterPki.inMemory(spec)],
  ];
  if (hasCfssl()) {
    cases.push(['cfssl, one gencert per certificate (sequential)', cfsslSequential]);
    cases.push([`cfssl, one gencert per certificate (${cpus} parallel)`, cfsslParallel]);
  } else {
    console.log('cfssl not found: comparison skipped');
  }
  if (hasOpenssl()) {
    cases.push(['openssl script, one `req -x509` per certificate (sequential)', opensslSequential]);
    cases.push([`openssl script, one \`req -x509\` per certificate (${cpus} parallel)`, opensslParallel]);
  } else {
    console.log('OpenSSL 3 not found: comparison skipped');
  }
  // Round robin (every case once per round) so that load from other processes hits all cases alike.
  for (const [, fn] of cases) await time('warmup', fn);
  const samples = cases.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, [, fn]] of cases.entries()) samples[k].push(await time('run', fn));
  }
  const results = cases.map(([label], k) => {
    const { median, min, max } = stats(samples[k]);
    const r = { label, runs: RUNS, min, median, max, samples: samples[k] };
    console.log(
      `${label.padEnd(56)} median ${r.median.toFixed(1).padStart(8)} ms  (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)})`,
    );
    return r;
  });
  const hacp = results[0].median;
  for (const r of results.filter((x) => /^(cfssl|openssl script),/.test(x.label))) {
    console.log(`speed-up vs ${r.label}: ${(r.median / hacp).toFixed(2)}x`);
  }
  const outDir = path.join(__dirname, 'out');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, 'pki.json'),
    JSON.stringify({ date: new Date().toISOString(), cpus, node: process.version, keys, results }, null, 2),
  );
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}

main().catch((e) => {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
  console.error(e);
  process.exit(1);
});
