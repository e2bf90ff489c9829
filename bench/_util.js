'use strict';
/**
 * Shared helpers of the benchmarks: statistics, timed child processes, temp dirs, machine description.
 * Plain Node (no deps): `npm run bench` runs `node bench/run.js` after `npm run build`.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * The environment of a measured child: this process's, minus every HACP_* and CDK8S_* variable (a user's own
 * HACP_CLUSTER, HACP_PKI_DIR or HACP_SYNTH_CACHE must not leak into the numbers), plus the case's explicit `env`.
 */
function childEnv(env) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HACP|CDK8S)_/.test(k)));
  return { ...base, ...env };
}

/**
 * The lines of a synth's stderr that say the PKI state changed: lib/pki logs each change on its own line starting
 * with one of these verbs (lib/pki/_engine.ts, lib/pki/cluster-pki.ts; apps/main.ts writes them to stderr unchanged).
 * Empty when the PKI was warm.
 */
function pkiChanges(stderr) {
  return stderr.match(/^(created|repaired|issued|renewed|completed|imported|changed) .*$/gm) ?? [];
}

/** Spec of cluster `c` with `n` masters on 10.<c>.0.10+i (IPv4, defaults elsewhere): the scale benchmark's clusters. */
function specFor(n, c = 0) {
  return {
    name: `bench${c}`,
    masters: Array.from({ length: n }, (_, i) => ({
      name: `master${i}`,
      ip: `10.${c % 250}.${Math.floor(c / 250)}.${10 + i}`,
    })),
  };
}

/** Median, min, max of a list of numbers. */
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/** Least-squares line through (x, y): { slope, intercept, r2 }. */
function fit(points) {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const syy = points.reduce((a, [, y]) => a + (y - my) ** 2, 0);
  const slope = sxx ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx, r2: sxx && syy ? (sxy * sxy) / (sxx * syy) : 1 };
}

/**
 * Runs a command and times it from the outside (wall clock around spawnSync). With GNU time available the command is
 * wrapped in `/usr/bin/time` to read the CPU time (user + system, ms) of the whole process tree and the peak RSS (KiB)
 * of its largest process (the CLI waits for the app, so its rusage covers it); the wrapper's own cost is the same for
 * every command measured. CPU time is the number to trust when the machine is loaded: wall time then includes waiting
 * for a core. The child's environment is childEnv(env): no inherited HACP_* / CDK8S_* variables. An exit code outside
 * `okCodes` (default: 0 only) throws.
 */
function timed(cmd, args, { cwd, env, rss = true, okCodes = [0] } = {}) {
  const wrap = rss && GNU_TIME;
  const marker = '@@bench-maxrss=';
  const [file, argv] = wrap ? [GNU_TIME, ['-f', `${marker}%M %U %S`, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { cwd, env: childEnv(env), encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let stderr = r.stderr ?? '';
  let maxRssKb;
  let cpuMs;
  const m = wrap && stderr.match(new RegExp(`${marker}(\\d+) ([\\d.]+) ([\\d.]+)\\s*$`));
  if (m) {
    maxRssKb = Number(m[1]);
    cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
    stderr = stderr.slice(0, m.index);
  }
  if (r.error || !okCodes.includes(r.status)) {
    const why = r.error ? r.error.message : `exit ${r.status}`;
    throw new Error(
      `${[cmd, ...args].join(' ')} (in ${cwd}) failed: ${why}\n${stderr.slice(-4000)}${(r.stdout ?? '').slice(-2000)}`,
    );
  }
  return { ms, cpuMs, maxRssKb, stdout: r.stdout, stderr };
}

/** A fresh temp dir under the OS temp dir; removed by `cleanup()`. */
const made = [];
function tmpdir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `hacp-bench-${prefix}-`));
  made.push(d);
  return d;
}
function cleanup() {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

const fmtMs = (ms) =>
  ms >= 10000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
const fmtMb = (kb) => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(0)} MB`);
const fmtStats = (s) => `${fmtMs(s.median)} (${fmtMs(s.min)} – ${fmtMs(s.max)})`;

/** Progress to stderr, so stdout stays clean. */
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

module.exports = {
  ROOT,
  stats,
  fit,
  timed,
  tmpdir,
  cleanup,
  machine,
  fmtMs,
  fmtMb,
  fmtStats,
  log,
  pkiChanges,
  specFor,
};
