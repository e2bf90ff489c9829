import { ApiServerPaths, ControllerManagerPaths } from '../control-plane/flags';
import { BOOTKUBE_TLS_FILES, BootkubeTlsFile } from '../pki/bootkube-assets';
import { HostPaths } from '../pki/paths';

/**
 * The PEMs the self-hosted control plane puts into its Secrets: the subset of the PKI's `BootkubeTlsAssets`
 * (`ClusterPki.bootkubeAssets()`) it needs, so any object with those fields works. The constructs never generate keys.
 */
export interface SelfHostedTlsAssets {
  /** Cluster CA certificate. */
  readonly caCrt: string;
  /** Cluster CA key: only in the controller manager's Secret (CSR signing), never on every node. */
  readonly caKey: string;
  /** API server serving certificate (one for every master: the DaemonSet runs the same pod everywhere). */
  readonly apiserverCrt: string;
  /** The API server serving certificate's key. */
  readonly apiserverKey: string;
  /** The API server's client certificate towards the kubelets (`kube-apiserver-kubelet-client`). */
  readonly apiserverKubeletClientCrt: string;
  /** Its key. */
  readonly apiserverKubeletClientKey: string;
  /** Service-account token signing key (the API server issues tokens, the controller manager's token controller too). */
  readonly serviceAccountKey: string;
  /** Service-account public key: the API server verifies tokens with it. */
  readonly serviceAccountPub: string;
  /** etcd CA certificate: the API server verifies etcd's serving certificates with it. */
  readonly etcdClientCaCrt: string;
  /** The API server's etcd client certificate (`kube-apiserver-etcd-client`). */
  readonly etcdClientCrt: string;
  /** Its key. */
  readonly etcdClientKey: string;
  /** Front-proxy (aggregation layer) CA certificate. */
  readonly frontProxyCaCrt: string;
  /** The API server's front-proxy client certificate, presented to aggregated API servers. */
  readonly frontProxyClientCrt: string;
  /** Its key. */
  readonly frontProxyClientKey: string;
}

/** Where the self-hosted pods mount their Secret (bootkube's path). */
export const SECRETS_DIR = '/etc/kubernetes/secrets';
/** Where the self-hosted API server mounts its ConfigMap (audit policy, authentication configuration). */
export const CONFIG_DIR = '/etc/kubernetes/config';
/** Where `bootkube start` copies the asset dir's `tls/` (and `auth/kubeconfig`) for the bootstrap pods. */
export const BOOTSTRAP_SECRETS_DIR = '/etc/kubernetes/bootstrap-secrets';

/**
 * File names in `tls/` and in the Secrets: bootkube's names, from the PKI's certificate catalog (`BOOTKUBE_TLS_FILES`).
 * Also names `tls/kubelet.crt`/`.key`, which no Secret holds.
 */
export const TlsFiles: { readonly [K in BootkubeTlsFile]: string } = BOOTKUBE_TLS_FILES;

/** The assets in the API server's Secret: what it reads, nothing more. */
export const API_SERVER_SECRET_KEYS = [
  'caCrt',
  'apiserverCrt',
  'apiserverKey',
  'apiserverKubeletClientCrt',
  'apiserverKubeletClientKey',
  'serviceAccountPub',
  // Since Kubernetes 1.20 the API server signs ServiceAccount tokens itself (TokenRequest), so it needs the key.
  'serviceAccountKey',
  'etcdClientCaCrt',
  'etcdClientCrt',
  'etcdClientKey',
  'frontProxyCaCrt',
  'frontProxyClientCrt',
  'frontProxyClientKey',
] as const satisfies readonly (keyof SelfHostedTlsAssets)[];
/** The assets in the controller manager's Secret: CSR signing (CA pair), token signing, the front-proxy CA. */
export const CONTROLLER_MANAGER_SECRET_KEYS = [
  'caCrt',
  'caKey',
  'serviceAccountKey',
  'frontProxyCaCrt',
] as const satisfies readonly (keyof SelfHostedTlsAssets)[];

/** `{ 'ca.crt': <pem>, ... }` for a Secret; throws naming the missing asset. */
export function secretData(
  tls: SelfHostedTlsAssets,
  keys: readonly (keyof SelfHostedTlsAssets)[],
): Record<string, string> {
  return Object.fromEntries(
    keys.map((asset) => {
      const pem = tls[asset];
      if (typeof pem !== 'string' || !pem.includes('-----BEGIN'))
        throw new Error(`tls.${asset}: missing or not a PEM block`);
      return [TlsFiles[asset], pem];
    }),
  );
}

/**
 * The API server's file paths in a directory of bootkube-named files (`dir`) plus its configuration directory and,
 * with `encryptionConfig`, the encryption configuration `encryption-config.yaml` in `dir`.
 */
export function apiServerPaths(dir: string, configDir?: string, encryptionConfig = false): ApiServerPaths {
  const inDir = (name: string) => `${dir}/${name}`;
  return {
    caCert: inDir(TlsFiles.caCrt),
    tlsCert: inDir(TlsFiles.apiserverCrt),
    tlsKey: inDir(TlsFiles.apiserverKey),
    kubeletClientCert: inDir(TlsFiles.apiserverKubeletClientCrt),
    kubeletClientKey: inDir(TlsFiles.apiserverKubeletClientKey),
    etcdCaCert: inDir(TlsFiles.etcdClientCaCrt),
    etcdClientCert: inDir(TlsFiles.etcdClientCrt),
    etcdClientKey: inDir(TlsFiles.etcdClientKey),
    frontProxyCaCert: inDir(TlsFiles.frontProxyCaCrt),
    frontProxyClientCert: inDir(TlsFiles.frontProxyClientCrt),
    frontProxyClientKey: inDir(TlsFiles.frontProxyClientKey),
    serviceAccountPub: inDir(TlsFiles.serviceAccountPub),
    serviceAccountKey: inDir(TlsFiles.serviceAccountKey),
    ...(configDir
      ? {
          auditPolicy: `${configDir}/audit-policy.yaml`,
          auditLogDir: HostPaths.auditLogDir,
          authenticationConfig: `${configDir}/authentication-config.yaml`,
        }
      : {}),
    ...(encryptionConfig ? { encryptionConfig: inDir('encryption-config.yaml') } : {}),
  };
}

/** The controller manager's paths in a directory of bootkube-named files; `kubeconfig` empty means in-cluster. */
export function controllerManagerPaths(dir: string, kubeconfig: string): ControllerManagerPaths {
  return {
    kubeconfig,
    caCert: `${dir}/${TlsFiles.caCrt}`,
    caKey: `${dir}/${TlsFiles.caKey}`,
    frontProxyCaCert: `${dir}/${TlsFiles.frontProxyCaCrt}`,
    serviceAccountKey: `${dir}/${TlsFiles.serviceAccountKey}`,
  };
}
