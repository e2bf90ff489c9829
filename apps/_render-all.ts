/**
 * The full synth of both apps (`synthAll()` without its cache): loads the cluster spec (`$HACP_CLUSTER`,
 * `./cluster.yaml`, or the built-in examples), makes or reuses the PKI in the state directory, and writes both trees.
 * Kept apart from `main.ts` so that a synth served from the cache never loads the constructs.
 */
import * as path from 'path';
import { loadOrCreateEncryptionKey } from '../lib/control-plane';
import { BOOTKUBE_ASSET_PATHS, BootkubeTlsAssets, ClusterPki } from '../lib/pki';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, ResolvedClusterSpec, STATIC_EXAMPLE_CLUSTER, loadClusterSpec } from '../lib/spec';
import { buildBootkube, buildStaticPodsTree, synthBootkube, synthStaticPods } from '../lib/synth';

/** Inputs of `renderAll()` (all resolved by `synthAll()`). */
export interface RenderAllOptions {
  readonly cwd: string;
  readonly outdir: string;
  readonly stateRoot: string;
  readonly log: (line: string) => void;
  readonly now: Date;
  /** Called once every input (spec, PKI state, encryption keys) has been read, before anything is rendered. */
  readonly onInputsRead?: () => void;
}

/** What the render depended on beyond its inputs' bytes. */
export interface RenderAllResult {
  /**
   * The earliest `ClusterPki.renewalDueAt()` of the clusters: from then on the same inputs would give a different
   * synth (a renewal, or a warning).
   */
  readonly stableUntil: Date;
}

/** Synthesizes the static-pod and the bootkube trees into `outdir`. */
export async function renderAll(options: RenderAllOptions): Promise<RenderAllResult> {
  const { cwd, outdir, stateRoot, log, now } = options;
  const load = (example: ClusterSpec): ResolvedClusterSpec =>
    loadClusterSpec({ example, cwd, onWarning: (w) => log(`warning: ${w}`) }).spec;
  const staticSpec = load(STATIC_EXAMPLE_CLUSTER);
  const bootkubeSpec = load(BOOTKUBE_EXAMPLE_CLUSTER);
  // Both apps read the same cluster.yaml when there is one: then they share one spec, one PKI, one encryption key.
  const clusters = new Map([staticSpec, bootkubeSpec].map((spec) => [spec.name, spec]));
  // The encryption keys first, then the PKI: a bad key file, like a construct error, is reported before any key is made.
  const encryptionKeys = new Map([...clusters.keys()].map((name) => [name, loadOrCreateEncryptionKey(path.join(stateRoot, name))]));
  // Before keys are generated (a cold state), the constructs are built once with stand-in PEMs: their errors come first.
  let validated = false;
  const validate = () => {
    if (validated) return;
    validated = true;
    buildStaticPodsTree(staticSpec);
    buildBootkube(bootkubeSpec, placeholderTls(), { encryptionKey: encryptionKeys.get(bootkubeSpec.name) });
  };
  const state = new Map(await Promise.all([...clusters.values()].map(async (spec) => {
    const dir = path.join(stateRoot, spec.name);
    const pki = await ClusterPki.ensure(spec, { dir, log, now, beforeKeyGeneration: validate });
    return [spec.name, { pki, encryptionKey: encryptionKeys.get(spec.name)! }] as const;
  })));
  const { pki: staticPki, encryptionKey: staticKey } = state.get(staticSpec.name)!;
  const { pki: bootkubePki, encryptionKey: bootkubeKey } = state.get(bootkubeSpec.name)!;
  options.onInputsRead?.();
  synthStaticPods({ spec: staticSpec, pki: staticPki, outdir, encryptionKey: staticKey });
  synthBootkube(bootkubeSpec, bootkubePki, outdir, { encryptionKey: bootkubeKey });
  return { stableUntil: new Date(Math.min(...[...state.values()].map(({ pki }) => pki.renewalDueAt().getTime()))) };
}

/** Stand-ins for the PEMs (the constructs only copy them), to build the constructs before the PKI exists. */
function placeholderTls(): BootkubeTlsAssets {
  const pem = '-----BEGIN PLACEHOLDER-----\n-----END PLACEHOLDER-----\n';
  return Object.fromEntries(Object.keys(BOOTKUBE_ASSET_PATHS).map((k) => [k, pem])) as unknown as BootkubeTlsAssets;
}
