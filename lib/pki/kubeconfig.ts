// YAML through cdk8s's bundled copy: the same library and options as the manifests, loaded once.
import { Yaml } from 'cdk8s';

/** Client credentials of a kubeconfig: embedded PEM data, or paths of files on the host. */
export type KubeconfigCredentials =
  | {
    /** Client certificate (PEM), embedded as `client-certificate-data`. */
    readonly certPem: string;
    /** Its key (PEM), embedded as `client-key-data`. */
    readonly keyPem: string;
  }
  | {
    /** Host path of the client certificate (`client-certificate`). */
    readonly certFile: string;
    /** Host path of its key (`client-key`). */
    readonly keyFile: string;
  };

/** Options for `renderKubeconfig()`. */
export interface KubeconfigOptions {
  /** Cluster name (the spec's name). */
  readonly clusterName: string;
  /** API server URL, e.g. `https://10.47.40.33:443`. */
  readonly server: string;
  /** CA certificate (PEM), embedded as `certificate-authority-data`. */
  readonly caPem: string;
  /** User name (the client certificate's CN, by convention). The context is `<user>@<cluster>`. */
  readonly user: string;
  /** The user's client credentials. */
  readonly credentials: KubeconfigCredentials;
}

/** A single-cluster, single-user kubeconfig in kubeadm's shape. Deterministic: same input, same bytes. */
export function renderKubeconfig(options: KubeconfigOptions): string {
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  const credentials = options.credentials;
  const user = 'certPem' in credentials
    ? { 'client-certificate-data': b64(credentials.certPem), 'client-key-data': b64(credentials.keyPem) }
    : { 'client-certificate': credentials.certFile, 'client-key': credentials.keyFile };
  const context = `${options.user}@${options.clusterName}`;
  return Yaml.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: options.clusterName, cluster: { 'certificate-authority-data': b64(options.caPem), 'server': options.server } }],
    contexts: [{ name: context, context: { cluster: options.clusterName, user: options.user } }],
    'current-context': context,
    'preferences': {},
    'users': [{ name: options.user, user }],
  });
}
