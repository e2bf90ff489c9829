/**
 * The synth entry point (`app:` in cdk8s.yaml): loads the cluster spec (`$HACP_CLUSTER`, `./cluster.yaml`, or the
 * built-in examples, saying so), makes or reuses the PKI in the state directory (`$HACP_PKI_DIR`, default `pki/`,
 * outside dist/ because `cdk8s synth` deletes dist/), and writes both apps' trees into the output directory, holding
 * the output lock (`_output-lock.ts`: one synth at a time per output directory).
 *
 * When nothing it reads has changed since the last synth, the previous output is written again from the synth cache
 * (`_synth-cache.ts`) and the rendering code is not even loaded.
 *
 * Exit codes: 0, 1 for what the user has to fix (the spec, the PKI state, a path), 2 when it could not run. Under
 * `npm run synth` the code also goes to the file `$HACP_SYNTH_STATUS` names, because `cdk8s synth` turns every
 * failure of its app into its own exit code 1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { acquireOutputLock } from './_output-lock';
import { SynthCache, isEmptyDir, synthCacheEnabled } from './_synth-cache';

/** Environment variable naming the file the app writes its exit code to (set by scripts/synth.js). */
export const SYNTH_STATUS_ENV = 'HACP_SYNTH_STATUS';

/** Options of `synthAll()`. */
export interface SynthAllOptions {
  /** Output directory. @default - `$CDK8S_OUTDIR`, else `dist` */
  readonly outdir?: string;
  /** PKI state root; each cluster uses `<root>/<cluster name>`. @default - `$HACP_PKI_DIR`, else `pki` */
  readonly stateRoot?: string;
  /** Working directory for `cluster.yaml`. @default - process.cwd() */
  readonly cwd?: string;
  /** Progress lines. @default - stderr */
  readonly log?: (line: string) => void;
  /** The current time (certificate issuing and renewal windows). @default - now */
  readonly now?: Date;
  /**
   * Reuse the previous output when no input changed (`<stateRoot>/.synth-cache.json`, see `_synth-cache.ts`).
   * @default - on, unless `$HACP_SYNTH_CACHE` is `off`
   */
  readonly cache?: boolean;
}

/** Synthesizes the static-pod and the bootkube trees. */
export async function synthAll(options: SynthAllOptions = {}): Promise<void> {
  const cwd = options.cwd ?? process.cwd();
  const outdir = path.resolve(cwd, options.outdir ?? process.env.CDK8S_OUTDIR ?? 'dist');
  const stateRoot = path.resolve(cwd, options.stateRoot ?? (process.env.HACP_PKI_DIR || 'pki')); // empty: unset, as defaultPkiDir()
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? new Date();
  const lock = await acquireOutputLock(outdir, { log });
  try {
    const cache = (options.cache ?? synthCacheEnabled()) ? new SynthCache({ cwd, outdir, stateRoot }) : undefined;
    if (cache?.restore(now, log)) return;

    const cacheable = cache && isEmptyDir(outdir);
    const replayed: string[] = [];
    const { renderAll } = require('./_render-all') as typeof import('./_render-all');
    const { stableUntil, cacheable: outputCacheable } = await renderAll({
      cwd,
      outdir,
      stateRoot,
      now,
      log: (line) => {
        // Warnings and notes (the built-in examples are used) are told again when the output is served from the cache.
        if (/^(warning|note):/.test(line)) replayed.push(line);
        log(line);
      },
      onInputsRead: cacheable ? () => cache.inputsRead() : undefined,
    });
    // An output holding the OpenStack credential is never cached (see RenderAllResult.cacheable).
    if (cacheable && outputCacheable) cache.store(now, stableUntil, replayed, log);
  } finally {
    lock.release();
  }
}

if (require.main === module) {
  synthAll()
    .then(
      () => 0,
      (e) => {
        // Loaded here only: the cache hit path does not need it.
        const { reportError } = require('../lib/util/errors') as typeof import('../lib/util/errors');
        return reportError(e);
      },
    )
    .then((code) => {
      process.exitCode = code;
      const status = process.env[SYNTH_STATUS_ENV];
      if (status) fs.writeFileSync(status, `${code}\n`);
    });
}
