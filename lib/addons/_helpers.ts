// Helpers only the add-ons use: prop checks and the in-cluster kubeconfig of the node components. What the control
// plane and the self-hosted components share with them lives in lib/common.

/** Where the kubelet mounts a pod's ServiceAccount token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The Pod Security admission labels (enforce, audit and warn) of a namespace at `level`. */
export function podSecurityLabels(level: string): Record<string, string> {
  return Object.fromEntries(['enforce', 'audit', 'warn'].map((mode) => [`pod-security.kubernetes.io/${mode}`, level]));
}

/**
 * A kubeconfig that authenticates with the pod's own ServiceAccount token against `server`: for components that
 * must reach the API before Service IPs work (kube-proxy itself, the checkpointer), as bootkube v0.14 and Typhoon do.
 */
export function inClusterKubeconfig(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${SERVICE_ACCOUNT_DIR}/ca.crt`,
    'users:',
    '- name: service-account',
    '  user:',
    `    tokenFile: ${SERVICE_ACCOUNT_DIR}/token`,
    'contexts:',
    '- name: default',
    '  context:',
    '    cluster: local',
    '    user: service-account',
    'current-context: default',
    '',
  ].join('\n');
}

/** Throws naming the prop when `value` is not an image reference pinned by tag or digest. */
export function checkImage(prop: string, value: string): string {
  if (!/^[a-z0-9._/:-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(value) || /:latest$/.test(value)) {
    throw new Error(
      `${prop}: '${value}' must be an image pinned by tag or digest (e.g. 'registry.k8s.io/coredns/coredns:v1.13.1', not ':latest')`,
    );
  }
  return value;
}

/** Throws naming the prop when `value` is not an `https://` URL. */
export function checkHttpsUrl(prop: string, value: string): string {
  if (!/^https:\/\//.test(value)) throw new Error(`${prop}: '${value}' must be an https:// URL`);
  return value;
}
