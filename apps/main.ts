/**
 * The synth entry point (`app:` in cdk8s.yaml): loads the cluster spec (`$HACP_CLUSTER`, `./cluster.yaml`, or the
 * built-in examples), makes or reuses the PKI in the state directory (`$HACP_PKI_DIR`, default `pki/`, outside
 * dist/ because `cdk8s synth` deletes dist/), and writes both apps' trees into the output directory.
 *
 * When nothing it reads has changed since the last synth, the previous output is written again from the synth cache
 * (`_synth-cache.ts`) and the rendering code is not even loaded.
 */
import * as path from 'path';
import { SynthCache, isEmptyDir, synthCacheEnabled } from './_synth-cache';

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
  const stateRoot = path.resolve(cwd, options.stateRoot ?? process.env.HACP_PKI_DIR ?? 'pki');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? new Date();
  const cache = (options.cache ?? synthCacheEnabled()) ? new SynthCache({ cwd, outdir, stateRoot }) : undefined;
  if (cache?.restore(now, log)) return;

  const cacheable = cache && isEmptyDir(outdir);
  const warnings: string[] = [];
  const { renderAll } = require('./_render-all') as typeof import('./_render-all');
  const { stableUntil } = await renderAll({
    cwd,
    outdir,
    stateRoot,
    now,
    log: (line) => {
      if (line.startsWith('warning:')) warnings.push(line);
      log(line);
    },
    onInputsRead: cacheable ? () => cache.inputsRead() : undefined,
  });
  if (cacheable) cache.store(now, stableUntil, warnings);
}

if (require.main === module) {
  synthAll().catch((e) => {
    // Loaded here only: the cache hit path does not need it.
    const { reportError } = require('../lib/cli/_common') as typeof import('../lib/cli/_common');
    process.exitCode = reportError(e);
  });
}
