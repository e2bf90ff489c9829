// Names and host paths of the checkpointer (`hacp checkpointer run`). Kept free of cdk8s imports: this module is
// loaded by a long-running host service, which should not pay for the construct libraries.
import * as path from 'path';
import { KUBERNETES_DIR, KubeconfigPaths, MANIFESTS_DIR, PkiPaths } from '../../pki/paths';

/**
 * The annotation that marks a pod to checkpoint (`"true"`), bootkube's name. Equal to `CHECKPOINT_ANNOTATION` of
 * lib/common, which the self-hosted API server's DaemonSet sets; repeated here so the host service does not load the
 * constructs (a test keeps the two equal).
 */
export const CHECKPOINT_REQUEST_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint';

/** Set on a checkpoint pod: the DaemonSet it is a copy of (bootkube set the parent pod's name here). */
export const CHECKPOINT_OF_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint-of';

/** Set on a checkpoint pod: the generation directory its files are in (`gen-000042`). */
export const CHECKPOINT_GENERATION_ANNOTATION = 'hacp.io/checkpoint-generation';

/** The annotation the kubelet puts on the mirror pod of a static pod: such a pod is never a parent. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** Where checkpoints are kept: `<dir>/<namespace>/<DaemonSet>/gen-NNNNNN/` (0700, files 0600). */
export const CHECKPOINTS_DIR = `${KUBERNETES_DIR}/checkpoints`;

/** Name of the checkpoint static pod (the kubelet appends `-<node>`); its manifest is `<name>.yaml` in the manifest dir. */
export const CHECKPOINT_POD_NAME = 'kube-apiserver-checkpoint';

/** The checkpoint's manifest file in the kubelet's static pod directory while it is active. */
export const CHECKPOINT_MANIFEST = `${MANIFESTS_DIR}/${CHECKPOINT_POD_NAME}.yaml`;

/** Where the kubelet keeps its rotated client certificate and key (one PEM), when it has rotated once. */
export const KUBELET_CLIENT_CURRENT = '/var/lib/kubelet/pki/kubelet-client-current.pem';

/** `https://<host>:<port>`, an IPv6 host in brackets. */
export function apiUrl(host: string, port: number): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Host paths the checkpointer reads and writes, all below one root (`/` on a node; a temp dir in tests). */
export class HostLayout {
  /** @param root the directory standing for `/` */
  constructor(public readonly root: string = '/') {}

  /** The path on this machine of host path `hostPath` (absolute). */
  public local(hostPath: string): string {
    if (!path.posix.isAbsolute(hostPath)) throw new Error(`${hostPath}: not an absolute host path`);
    return path.join(this.root, hostPath);
  }

  /** The kubelet's static pod directory. */
  get manifestsDir(): string {
    return this.local(MANIFESTS_DIR);
  }

  /** The active checkpoint's manifest. */
  get activeManifest(): string {
    return this.local(CHECKPOINT_MANIFEST);
  }

  /** The kubelet's kubeconfig (its credentials: the Node authorizer limits them to this node's pods and their Secrets). */
  get kubeletKubeconfig(): string {
    return this.local(KubeconfigPaths.kubelet);
  }

  /** The cluster CA the API servers' certificates are verified against. */
  get caCert(): string {
    return this.local(PkiPaths.caCert);
  }

  /** Host directory of one checkpoint's generations. */
  static checkpointHostDir(namespace: string, daemonSet: string): string {
    return `${CHECKPOINTS_DIR}/${namespace}/${daemonSet}`;
  }
}
