/**
 * The inputs of a synth, read and checked: the cluster spec(s) and, per cluster, the PKI state and the
 * encryption-at-rest key. `renderAll()` reads them this way, and so does the check `npm run synth` runs before
 * `cdk8s synth` deletes the output directory (`checkSynthInputs()`, scripts/synth.js): a rejected spec or a damaged
 * state then leaves the previous output in place.
 */
import * as path from 'path';
import { PkiError } from '../lib/pki/errors';
import {
  BOOTKUBE_EXAMPLE_CLUSTER,
  ResolvedClusterSpec,
  STATIC_EXAMPLE_CLUSTER,
  loadClusterSpec,
  needsOpenStackCredential,
  readExternalEtcd,
  readOpenStackCredential,
} from '../lib/spec';
import { ENCRYPTION_KEY_FILE, checkEncryptionKey, checkStateRoot } from '../lib/synth/inputs';

// Shared with `synthCluster()` (lib/synth/_inputs.ts, light like this file).
export { ENCRYPTION_KEY_FILE, checkEncryptionKey, checkStateRoot };

/** The specs of the two apps. */
export interface SynthSpecs {
  readonly staticSpec: ResolvedClusterSpec;
  readonly bootkubeSpec: ResolvedClusterSpec;
  /** True when there is no spec file and the built-in examples are synthesized. */
  readonly fromExamples: boolean;
  /** Each cluster once (both apps share one spec when there is a spec file). */
  readonly clusters: ResolvedClusterSpec[];
}

/** The line synth prints when it falls back to the built-in examples. */
export const EXAMPLES_NOTE =
  'note: no cluster spec ($HACP_CLUSTER unset, no ./cluster.yaml): synthesizing the built-in examples (static-pods/ from the static example, bootkube/ from the bootkube example)';

/**
 * Loads the spec of each app: `$HACP_CLUSTER` or `./cluster.yaml` for both, else the built-in examples (then
 * `log` gets `EXAMPLES_NOTE`, one line). Warnings go to `log` as `warning: ...`.
 */
export function loadSynthSpecs(cwd: string, log: (line: string) => void): SynthSpecs {
  const onWarning = (w: string) => log(`warning: ${w}`);
  const first = loadClusterSpec({ example: STATIC_EXAMPLE_CLUSTER, cwd, onWarning });
  if (!first.fromExample)
    return { staticSpec: first.spec, bootkubeSpec: first.spec, fromExamples: false, clusters: [first.spec] };
  log(EXAMPLES_NOTE);
  const bootkubeSpec = loadClusterSpec({ example: BOOTKUBE_EXAMPLE_CLUSTER, cwd, onWarning }).spec;
  const clusters = new Map([first.spec, bootkubeSpec].map((s) => [s.name, s]));
  return { staticSpec: first.spec, bootkubeSpec, fromExamples: true, clusters: [...clusters.values()] };
}

/** Options of `checkSynthInputs()`. */
export interface CheckSynthInputsOptions {
  readonly cwd: string;
  readonly stateRoot: string;
  readonly now?: Date;
  /** Warnings and notes. @default - dropped (the app prints them when it runs) */
  readonly log?: (line: string) => void;
}

/**
 * Everything synth would refuse, found without writing anything: the spec (file, YAML, validation), the state root
 * and each cluster's PKI state and encryption key. Throws `SpecValidationError` or `PkiError` (with the state
 * directory) for the first cluster with a problem.
 */
export function checkSynthInputs(options: CheckSynthInputsOptions): SynthSpecs {
  const log = options.log ?? (() => {});
  const specs = loadSynthSpecs(options.cwd, log);
  // An external etcd's client files are read by the self-hosted app: a missing or mismatched one is refused here.
  readExternalEtcd(specs.bootkubeSpec, { cwd: options.cwd, now: options.now, onWarning: (w) => log(`warning: ${w}`) });
  // The cloud controller manager's credential (secretFile or secretEnv): a missing one is the user's to fix, found
  // before the output is touched. Read and dropped at once; never shown.
  for (const spec of specs.clusters)
    if (needsOpenStackCredential(spec)) readOpenStackCredential(spec, process.env, { cwd: options.cwd });
  checkStateRoot(options.stateRoot);
  // Loaded here: the spec check above must not pay for the PKI code when the spec is rejected.
  const { ClusterPki } = require('../lib/pki') as typeof import('../lib/pki');
  for (const spec of specs.clusters) {
    const dir = path.join(options.stateRoot, spec.name);
    ClusterPki.check(spec, { dir, now: options.now, log });
    try {
      checkEncryptionKey(dir);
    } catch (e) {
      throw e instanceof PkiError ? new PkiError(e.problems, dir) : e;
    }
  }
  return specs;
}
