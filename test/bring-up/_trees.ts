/**
 * Real synthesized trees for the bring-up tests: the apps' own `synthStaticPods()` and `synthBootkube()` for the two
 * built-in examples, with the shared fixture PKIs (no keys made per test) and a fixed encryption key.
 */
import * as path from 'path';
import { synthBootkube } from '../../lib/synth';
import { synthStaticPods } from '../../lib/synth';
import { BOOTKUBE_EXAMPLE_CLUSTER, ResolvedClusterSpec, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki } from '../support/fixture-pki';

export const STATIC_SPEC: ResolvedClusterSpec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
export const BOOTKUBE_SPEC: ResolvedClusterSpec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
/** 32 bytes, base64: test data, not a secret. */
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** Writes `<outdir>/static-pods/` (static example); returns its path. */
export async function synthStaticTree(outdir: string): Promise<string> {
  synthStaticPods({ spec: STATIC_SPEC, pki: await fixturePki(STATIC_SPEC), encryptionKey: ENCRYPTION_KEY, outdir });
  return path.join(outdir, 'static-pods');
}

/** Writes `<outdir>/bootkube/` (bootkube example); returns its path. */
export async function synthBootkubeTree(outdir: string): Promise<string> {
  synthBootkube(BOOTKUBE_SPEC, await fixturePki(BOOTKUBE_SPEC), outdir, { encryptionKey: ENCRYPTION_KEY });
  return path.join(outdir, 'bootkube');
}
