/**
 * The full synth of both apps (`synthAll()` without its cache): loads the cluster spec (`$HACP_CLUSTER`,
 * `./cluster.yaml`, or the built-in examples, saying so), makes or reuses the PKI in the state directory, and writes
 * both trees.
 * Kept apart from `main.ts` so that a synth served from the cache never loads the constructs.
 */
import * as path from 'path';
import { ClusterPki } from '../lib/pki';
import { readExternalEtcd } from '../lib/spec';
import {
  buildBootkube,
  buildStaticPodsTree,
  deploysCloudControllerManager,
  synthBootkube,
  synthStaticPods,
} from '../lib/synth';
import { checkStateRoot, encryptionKeyOf, placeholderTls } from '../lib/synth/inputs';
import { loadSynthSpecs } from './_synth-inputs';

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
  /**
   * False when the output holds the OpenStack application credential (the cloud controller manager's `cloud-config`
   * Secret): it must not be copied into the synth cache, and its source (a file, an environment variable) is no input
   * the cache key covers.
   */
  readonly cacheable: boolean;
}

/** Synthesizes the static-pod and the bootkube trees into `outdir`. */
export async function renderAll(options: RenderAllOptions): Promise<RenderAllResult> {
  const { cwd, outdir, stateRoot, log, now } = options;
  // Both apps read the same cluster.yaml when there is one: then they share one spec, one PKI, one encryption key.
  const { staticSpec, bootkubeSpec, clusters } = loadSynthSpecs(cwd, log);
  checkStateRoot(stateRoot);
  // The encryption keys first, then the PKI: a bad key file, like a construct error, is reported before any key is made.
  const encryptionKeys = new Map(
    clusters.map((spec) => [spec.name, encryptionKeyOf(path.join(stateRoot, spec.name), log)]),
  );
  // An external etcd's CA and client pair (etcd.external) go into the self-hosted API server's Secret and tls/.
  const externalEtcd = readExternalEtcd(bootkubeSpec, { cwd, now, onWarning: (w) => log(`warning: ${w}`) });
  if (staticSpec.etcd.external)
    log(
      'warning: etcd.external: only the self-hosted app (dist/bootkube/) uses it; dist/static-pods/ runs its own etcd member on every master (stacked etcd)',
    );
  // Before keys are generated (a cold state), the constructs are built once with stand-in PEMs: their errors come first.
  // The add-ons read the OpenStack credential (relative files from the working directory); the credential itself is
  // never logged. Warnings about it (a file others can read) are told once: by the first build of the static tree.
  const quiet = { cwd };
  const told = { cwd, onWarning: (w: string) => log(`warning: ${w}`) };
  let validated = false;
  const validate = () => {
    if (validated) return;
    validated = true;
    buildStaticPodsTree(staticSpec, { addons: told });
    buildBootkube(bootkubeSpec, placeholderTls(), {
      encryptionKey: encryptionKeys.get(bootkubeSpec.name),
      addons: quiet,
      externalEtcd,
    });
  };
  const state = new Map(
    await Promise.all(
      clusters.map(async (spec) => {
        const dir = path.join(stateRoot, spec.name);
        const pki = await ClusterPki.ensure(spec, { dir, log, now, beforeKeyGeneration: validate });
        return [spec.name, { pki, encryptionKey: encryptionKeys.get(spec.name)! }] as const;
      }),
    ),
  );
  const { pki: staticPki, encryptionKey: staticKey } = state.get(staticSpec.name)!;
  const { pki: bootkubePki, encryptionKey: bootkubeKey } = state.get(bootkubeSpec.name)!;
  options.onInputsRead?.();
  synthStaticPods({
    spec: staticSpec,
    pki: staticPki,
    outdir,
    encryptionKey: staticKey,
    addons: validated ? quiet : told,
  });
  synthBootkube(bootkubeSpec, bootkubePki, outdir, { encryptionKey: bootkubeKey, addons: quiet, externalEtcd });
  return {
    stableUntil: new Date(Math.min(...[...state.values()].map(({ pki }) => pki.renewalDueAt().getTime()))),
    cacheable: !clusters.some(deploysCloudControllerManager),
  };
}
