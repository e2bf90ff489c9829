#!/usr/bin/env node
/**
 * `npm run synth [-- cdk8s synth options]`: `cdk8s synth`, made safe for bad input and for two runs at once.
 *
 * 1. Compiles when a TypeScript source changed (build-if-stale.js).
 * 2. Takes the output lock (apps/_output-lock.ts) before anything touches the output directory: a second synth in the
 *    same working directory waits, saying so, and runs when the first is done.
 * 3. Checks the inputs (apps/_synth-inputs.ts: the spec, the PKI state, the encryption keys) without writing anything,
 *    unless the synth cache says these exact inputs already made a synth. A rejected spec or a damaged state is
 *    reported here, with exit code 1, and the previous output stays as it was: `cdk8s synth` deletes the output
 *    directory before its app runs, so the check has to come first.
 * 4. Runs `cdk8s synth --no-check-upgrade` with the lock handed to the app ($HACP_SYNTH_LOCK) and the app's exit code
 *    collected ($HACP_SYNTH_STATUS): cdk8s reports any failure of its app as its own exit code 1 with a stack trace,
 *    which is left out here (the app has printed its message). The app's exit code is this script's.
 *
 * Exit codes: 0; 1 for what the user has to fix (the spec, the state, hacp verify's findings); 2 when synth could
 * not run (the build failed, another synth held the lock too long, an internal error).
 */
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { buildIfStale } = require('./build-if-stale');

const root = path.join(__dirname, '..');
const build = (rel) => path.join(root, 'build', rel);

/** `cdk8s synth`'s output directory: `--output`/`-o`, else cdk8s.yaml's `output`, else `dist`. */
function outputOf(argv, config) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--output' || argv[i] === '-o') return argv[i + 1];
    if (argv[i].startsWith('--output=')) return argv[i].slice('--output='.length);
  }
  return config.output ?? 'dist';
}

function readConfig(cwd) {
  const file = path.join(cwd, 'cdk8s.yaml');
  if (!fs.existsSync(file)) return {};
  return require(require.resolve('yaml', { paths: [root] })).parse(fs.readFileSync(file, 'utf8')) ?? {};
}

function reportError(e) {
  return require(build('lib/cli/_common.js')).reportError(e);
}

/**
 * The inputs' check. Skipped when the synth cache holds an entry for exactly these inputs (they made a synth that
 * succeeded); the environment is the app's, as cdk8s will set it, so that the cache key is the app's.
 */
function checkInputs(cwd, output, config) {
  const outdir = path.resolve(cwd, output);
  const stateRoot = path.resolve(cwd, process.env.HACP_PKI_DIR || 'pki');
  const { SynthCache, synthCacheEnabled } = require(build('apps/_synth-cache.js'));
  const appEnv = {
    ...process.env,
    CDK8S_OUTDIR: output,
    CDK8S_RECORD_CONSTRUCT_METADATA:
      process.env.CDK8S_RECORD_CONSTRUCT_METADATA ?? (config.validations?.length ? 'true' : 'false'),
  };
  if (synthCacheEnabled() && new SynthCache({ cwd, outdir, stateRoot }, appEnv).isFresh(new Date())) return 0;
  try {
    require(build('apps/_synth-inputs.js')).checkSynthInputs({ cwd, stateRoot });
    return 0;
  } catch (e) {
    const code = reportError(e);
    if (code === 1)
      process.stderr.write(`nothing was synthesized; ${path.relative(cwd, outdir) || outdir}/ is as it was\n`);
    return code;
  }
}

/** Passes cdk8s' stderr through, but for its stack trace of a failed app (the app printed its own message). */
function filterStderr(stream) {
  let pending = '';
  let skipping = false;
  const line = (l) => {
    if (/^Error: command ".*" at .* returned a non-zero exit code/.test(l)) {
      skipping = true;
      return;
    }
    if (skipping && /^\s+at /.test(l)) return;
    skipping = false;
    process.stderr.write(`${l}\n`);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    lines.forEach(line);
  });
  return () => {
    if (pending) line(pending);
    pending = '';
  };
}

/** Runs `cdk8s synth` holding `lock`; resolves to this script's exit code. */
function runCdk8s(argv, lock, output) {
  const statusDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-synth-'));
  const statusFile = path.join(statusDir, 'status');
  const pkg = require.resolve('cdk8s-cli/package.json', { paths: [root] });
  const cli = path.join(path.dirname(pkg), require(pkg).bin.cdk8s);
  const upgrade = argv.some((a) => /^--(no-)?check-upgrade/.test(a)) ? [] : ['--no-check-upgrade'];
  const child = spawn(process.execPath, [cli, 'synth', ...upgrade, ...argv], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, HACP_SYNTH_LOCK: lock.token, HACP_SYNTH_STATUS: statusFile },
  });
  if (child.pid) lock.addPids(child.pid);
  const flush = filterStderr(child.stderr);
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`error: cannot run cdk8s synth (${e.message})\n`);
      resolve(2);
    });
    child.on('close', (code, signal) => {
      flush();
      process.removeListener('SIGINT', forward);
      process.removeListener('SIGTERM', forward);
      let appCode;
      try {
        appCode = Number(fs.readFileSync(statusFile, 'utf8').trim());
      } catch {
        appCode = undefined;
      }
      fs.rmSync(statusDir, { recursive: true, force: true });
      if (signal) {
        process.stderr.write(
          `error: cdk8s synth was stopped (${signal}); run it again (the PKI state is consistent; ${output}/ may be incomplete)\n`,
        );
        resolve(2);
      } else if (code === 0) {
        resolve(0);
      } else if (appCode !== undefined && appCode !== 0) {
        resolve(appCode); // the app printed its message
      } else if (appCode === 0) {
        process.stderr.write(
          `error: hacp verify (the validation plugin of cdk8s.yaml) found errors in ${output}/ (report above)\n`,
        );
        resolve(1);
      } else {
        process.stderr.write(`error: cdk8s synth failed (exit code ${code}) before the app finished (output above)\n`);
        resolve(2);
      }
    });
  });
}

async function main(argv) {
  const cwd = process.cwd();
  if (buildIfStale() !== 0) {
    process.stderr.write('error: the TypeScript build failed (above); nothing was synthesized\n');
    return 2;
  }
  let config;
  try {
    config = readConfig(cwd);
  } catch (e) {
    process.stderr.write(`error: cdk8s.yaml: ${String(e.message).split('\n')[0]}\n`);
    return 1;
  }
  const output = outputOf(argv, config);
  const { acquireOutputLock } = require(build('apps/_output-lock.js'));
  let lock;
  try {
    lock = await acquireOutputLock(path.resolve(cwd, output), { log: (l) => process.stderr.write(`${l}\n`) });
  } catch (e) {
    return reportError(e);
  }
  try {
    const checked = checkInputs(cwd, output, config);
    if (checked !== 0) return checked;
    return await runCdk8s(argv, lock, output);
  } finally {
    lock.release();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e);
    },
  );
}

module.exports = { outputOf };
