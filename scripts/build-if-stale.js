#!/usr/bin/env node
/**
 * `npm run synth`'s build step: runs `tsc` only when a TypeScript source (lib/, apps/, imports/) or tsconfig.json is
 * newer than the last build (build/.tsbuildinfo). An up-to-date build costs a directory walk (a few milliseconds)
 * instead of an incremental `tsc` (about 2 s, most of it loading the compiler): users synthesize many times a day.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return p.endsWith('.ts') || p.endsWith('.json') ? st.mtimeMs : 0;
  return fs.readdirSync(p).reduce((m, e) => Math.max(m, newest(path.join(p, e))), st.mtimeMs);
}

/** True when `dir`'s build is missing or older than one of its TypeScript sources. */
function isStale(dir = root) {
  const built = path.join(dir, 'build', '.tsbuildinfo');
  if (!fs.existsSync(built) || !fs.existsSync(path.join(dir, 'build', 'apps', 'main.js'))) return true;
  const at = fs.statSync(built).mtimeMs;
  return ['lib', 'apps', 'imports', 'tsconfig.json'].some((p) => newest(path.join(dir, p)) > at);
}

/** Compiles when stale; returns tsc's exit status (0 when nothing had to be done). */
function buildIfStale(dir = root) {
  if (!isStale(dir)) return 0;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [dir] });
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { stdio: 'inherit' });
  // tsc leaves .tsbuildinfo alone when a touched file's content did not change: mark the build as current.
  if (r.status === 0) fs.utimesSync(path.join(dir, 'build', '.tsbuildinfo'), new Date(), new Date());
  return r.status ?? 1;
}

module.exports = { isStale, buildIfStale };

if (require.main === module) process.exit(buildIfStale());
