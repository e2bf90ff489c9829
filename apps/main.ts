/**
 * The synth entry point (`app:` in cdk8s.yaml): loads the cluster spec (`$HACP_CLUSTER`, `./cluster.yaml`, or the
 * built-in examples), makes or reuses the PKI in the state directory (`$HACP_PKI_DIR`, default `pki/`, outside
 * dist/ because `cdk8s synth` deletes dist/), and writes both apps' trees into the output directory.
 */
import * as path from 'path';
import { reportError } from '../lib/cli/_common';
import { loadOrCreateEncryptionKey } from '../lib/control-plane';
import { ClusterPki } from '../lib/pki';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, ResolvedClusterSpec, STATIC_EXAMPLE_CLUSTER, loadClusterSpec } from '../lib/spec';
import { synthBootkube } from './bootkube';
import { synthStaticPods } from './static-pods';

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
}

/** Synthesizes the static-pod and the bootkube trees. */
export async function synthAll(options: SynthAllOptions = {}): Promise<void> {
  const cwd = options.cwd ?? process.cwd();
  const outdir = path.resolve(cwd, options.outdir ?? process.env.CDK8S_OUTDIR ?? 'dist');
  const stateRoot = path.resolve(cwd, options.stateRoot ?? process.env.HACP_PKI_DIR ?? 'pki');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const load = (example: ClusterSpec): ResolvedClusterSpec =>
    loadClusterSpec({ example, cwd, onWarning: (w) => log(`warning: ${w}`) }).spec;
  const staticSpec = load(STATIC_EXAMPLE_CLUSTER);
  const bootkubeSpec = load(BOOTKUBE_EXAMPLE_CLUSTER);
  const ensure = (spec: ResolvedClusterSpec) => ClusterPki.ensure(spec, { dir: path.join(stateRoot, spec.name), log });
  // Both apps read the same cluster.yaml when there is one: then they share one spec and one PKI.
  const [staticPki, bootkubePki] = staticSpec.name === bootkubeSpec.name
    ? await ensure(staticSpec).then((p) => [p, p])
    : await Promise.all([ensure(staticSpec), ensure(bootkubeSpec)]);
  const encryptionKey = (spec: ResolvedClusterSpec) => loadOrCreateEncryptionKey(path.join(stateRoot, spec.name));
  synthStaticPods({ spec: staticSpec, pki: staticPki, outdir, encryptionKey: encryptionKey(staticSpec) });
  synthBootkube(bootkubeSpec, bootkubePki, outdir, { encryptionKey: encryptionKey(bootkubeSpec) });
}

if (require.main === module) {
  synthAll().catch((e) => {
    process.exitCode = reportError(e);
  });
}
