/**
 * The full synth of both apps (`synthAll()` without its cache): loads the cluster spec (`$HACP_CLUSTER`,
 * `./cluster.yaml`, or the built-in examples), makes or reuses the PKI in the state directory, and writes both trees.
 * Kept apart from `main.ts` so that a synth served from the cache never loads the constructs.
 */
import { X509Certificate } from 'crypto';
import * as path from 'path';
import { loadOrCreateEncryptionKey } from '../lib/control-plane';
import { ClusterPki } from '../lib/pki';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, ResolvedClusterSpec, STATIC_EXAMPLE_CLUSTER, loadClusterSpec } from '../lib/spec';
import { synthBootkube } from './bootkube';
import { synthStaticPods } from './static-pods';

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
   * The earliest moment at which a certificate enters its renewal window (`pki.renewBeforeDays`; for a CA,
   * `pki.validityDays`): from then on the same inputs would give a different synth (a renewal, or a warning).
   */
  readonly stableUntil: Date;
}

const DAY = 86_400_000;

/** Synthesizes the static-pod and the bootkube trees into `outdir`. */
export async function renderAll(options: RenderAllOptions): Promise<RenderAllResult> {
  const { cwd, outdir, stateRoot, log, now } = options;
  const load = (example: ClusterSpec): ResolvedClusterSpec =>
    loadClusterSpec({ example, cwd, onWarning: (w) => log(`warning: ${w}`) }).spec;
  const staticSpec = load(STATIC_EXAMPLE_CLUSTER);
  const bootkubeSpec = load(BOOTKUBE_EXAMPLE_CLUSTER);
  const ensure = (spec: ResolvedClusterSpec) => ClusterPki.ensure(spec, { dir: path.join(stateRoot, spec.name), log, now });
  // Both apps read the same cluster.yaml when there is one: then they share one spec and one PKI.
  const [staticPki, bootkubePki] = staticSpec.name === bootkubeSpec.name
    ? await ensure(staticSpec).then((p) => [p, p])
    : await Promise.all([ensure(staticSpec), ensure(bootkubeSpec)]);
  const encryptionKey = (spec: ResolvedClusterSpec) => loadOrCreateEncryptionKey(path.join(stateRoot, spec.name));
  const staticKey = encryptionKey(staticSpec);
  const bootkubeKey = encryptionKey(bootkubeSpec);
  options.onInputsRead?.();
  synthStaticPods({ spec: staticSpec, pki: staticPki, outdir, encryptionKey: staticKey });
  synthBootkube(bootkubeSpec, bootkubePki, outdir, { encryptionKey: bootkubeKey });
  return { stableUntil: new Date(Math.min(stableUntil(staticPki), stableUntil(bootkubePki))) };
}

/** When the first certificate of `pki` enters its window (the same rule as `ClusterPki.ensure()`'s). */
function stableUntil(pki: ClusterPki): number {
  const { renewBeforeDays, validityDays } = pki.spec.pki;
  return Math.min(...Object.entries(pki.snapshot())
    .filter(([file]) => file.endsWith('.crt'))
    .map(([, pem]) => new X509Certificate(pem))
    .map((x509) => Date.parse(x509.validTo) - (x509.ca ? validityDays : renewBeforeDays) * DAY));
}
