/**
 * The certificate catalog, as kubeadm's `certlist.go`: one table of every certificate a cluster needs (and the
 * service-account key pair), each with its name, CA, subject, profile (extended key usages), SANs and state path, and
 * every file made from it: where it goes (a host path, or a path in the bootkube asset directory), what it holds and
 * who receives it. The PKI engine issues and checks what the table lists; `ClusterPki`'s accessors (`masterFiles`,
 * `workerFiles`, `kubeletFiles`, `kubeconfig`, `bootkubeAssets`, `bootkubeFiles`) only read it.
 *
 * Names of places live in the layout tables: host paths in `paths.ts` (`PkiPaths`, `KubeconfigPaths`,
 * `KubeletPkiPaths`, in kubeadm's order), bootkube asset paths in `BOOTKUBE_ASSET_PATHS` (bootkube's order). The
 * table below says which certificate goes to which of them; each recipient's files are listed in its layout's order.
 */
import { ResolvedClusterSpec, isIp } from '../spec';
import { CertProfile, canonicalIp } from './_crypto';
import { CLUSTER_ADMINS_GROUP, KUBE_VIP_USER, MASTERS_GROUP, NODES_GROUP } from './groups';
import { BOOTKUBE_ASSET_PATHS, BootkubeTlsAssets } from './bootkube-assets';
import { KubeconfigPaths, KubeletPkiPaths, PkiPaths } from './paths';

export * from './bootkube-assets';

export type { CertProfile } from './_crypto';

/** The three CAs (their state path bases). */
export type CaId = 'ca' | 'front-proxy-ca' | 'etcd/ca';
/** Every CA, in the order they are issued. */
export const CA_IDS: readonly CaId[] = ['ca', 'front-proxy-ca', 'etcd/ca'];

/** State path of the service-account key pair (`sa.key`, `sa.pub`). */
export const SA_ID = 'sa';

/** The kubeconfigs the PKI renders (`ClusterPki.kubeconfig()`). */
export type KubeconfigKind = 'admin' | 'super-admin' | 'controller-manager' | 'scheduler' | 'kubelet' | 'kube-vip';

/** Who receives a file of the catalog. */
export type FileReceiver =
  | {
    /** Every master. */
    readonly kind: 'masters';
  }
  | {
    /** Every node, masters and workers. */
    readonly kind: 'nodes';
  }
  | {
    /** One host: the master or node a per-host certificate is for, or the first master (super-admin.conf). */
    readonly kind: 'host';
    /** Its name. */
    readonly host: string;
  }
  | {
    /** The bootkube asset directory. */
    readonly kind: 'bootkube';
  };

/** What a file holds: the certificate, its private key, the public key (`sa.pub`), or a kubeconfig made from the pair. */
export type FileContent = 'certificate' | 'private-key' | 'public-key' | 'kubeconfig';

/** One file made from a catalog entry. */
export interface CatalogFile {
  /** Who receives it. */
  readonly to: FileReceiver;
  /** On a host: its absolute path (`/etc/kubernetes/pki/ca.crt`). For bootkube: its path in the asset directory. */
  readonly path: string;
  /** What it holds. */
  readonly content: FileContent;
  /** File mode: 0600 for private keys and kubeconfigs (they embed a key), 0644 for certificates and public keys. */
  readonly mode: number;
  /** For bootkube files: the `BootkubeTlsAssets` field with the same content. */
  readonly asset?: keyof BootkubeTlsAssets;
  /**
   * For a kubeconfig file: `first-master` renders it with the first master's own API server
   * (`https://<first master ip>:<apiServerPort>`) instead of the entry's `kubeconfig.server`.
   * @default - the entry's server
   */
  readonly server?: 'first-master';
}

/** How a kubeconfig is rendered from its certificate (user = the certificate's common name, context `<user>@<cluster>`). */
export interface KubeconfigSpec {
  /** Which kubeconfig (`ClusterPki.kubeconfig(kind)`). */
  readonly kind: KubeconfigKind;
  /** `endpoint`: the spec's API endpoint (load balancer); `own-master`: `https://<master ip>:<apiServerPort>`. */
  readonly server: 'endpoint' | 'own-master';
  /**
   * `embedded`: the pair as `client-certificate-data`/`client-key-data`; `files`: the paths of the pair's own host
   * files (kubelet.conf, whose certificate the kubelet rotates).
   */
  readonly credentials: 'embedded' | 'files';
}

/** One certificate of the cluster. */
export interface CertEntry {
  /** Discriminates the catalog's entries. */
  readonly kind: 'certificate';
  /** State path without extension (`nodes/master0/apiserver`): `<id>.crt` and `<id>.key` in the state dir. */
  readonly id: string;
  /** Human name for logs and `hacp pki status` (`apiserver (master0)`, `admin.conf`). */
  readonly name: string;
  /** The master or node a per-host certificate is for. @default - cluster-wide */
  readonly host?: string;
  /** Key usages: a CA, or a leaf for server auth, client auth or both (`peer`). */
  readonly profile: CertProfile;
  /** Signing CA; undefined for the CAs themselves (self-signed). */
  readonly signer?: CaId;
  /** Subject CN: the user name for client certificates. */
  readonly commonName: string;
  /** Subject O values: the groups for client certificates. */
  readonly organizations: readonly string[];
  /** DNS SANs. */
  readonly dns: readonly string[];
  /** IP SANs (canonical text). */
  readonly ips: readonly string[];
  /** For client certificates that live in a kubeconfig: how it is rendered. @default - not a kubeconfig */
  readonly kubeconfig?: KubeconfigSpec;
  /** The files made from it. */
  readonly files: readonly CatalogFile[];
}

/** A key pair without certificate: the service-account signing key (`sa.key`, `sa.pub`). */
export interface KeyPairEntry {
  /** Discriminates the catalog's entries. */
  readonly kind: 'key-pair';
  /** State path without extension: `<id>.key` and `<id>.pub`. */
  readonly id: string;
  /** Human name for logs and `hacp pki status`. */
  readonly name: string;
  /** The files made from it. */
  readonly files: readonly CatalogFile[];
}

/** One row of the catalog. */
export type CatalogEntry = CertEntry | KeyPairEntry;

/** Every certificate and key pair of the cluster. Computed once per (immutable) resolved spec. */
export function pkiCatalog(spec: ResolvedClusterSpec): readonly CatalogEntry[] {
  let catalog = CATALOGS.get(spec);
  if (!catalog) CATALOGS.set(spec, (catalog = buildCatalog(spec)));
  return catalog;
}
const CATALOGS = new WeakMap<ResolvedClusterSpec, readonly CatalogEntry[]>();

/**
 * Every certificate the cluster needs, in the state's order: CAs first, then the cluster-wide certificates, each
 * master's, each node's.
 */
export function certCatalog(spec: ResolvedClusterSpec): readonly CertEntry[] {
  let certs = CERTS.get(spec);
  if (!certs) CERTS.set(spec, (certs = pkiCatalog(spec).filter((e): e is CertEntry => e.kind === 'certificate')));
  return certs;
}
const CERTS = new WeakMap<ResolvedClusterSpec, readonly CertEntry[]>();

/** True when `host` receives `file`. */
export function receives(spec: ResolvedClusterSpec, file: CatalogFile, host: string): boolean {
  switch (file.to.kind) {
    case 'masters':
      return spec.masters.some((m) => m.name === host);
    case 'nodes':
      return [...spec.masters, ...spec.workers].some((n) => n.name === host);
    case 'host':
      return file.to.host === host;
    case 'bootkube':
      return false;
  }
}

// --- The table ------------------------------------------------------------------------------------------------

/** A host of the spec. */
interface Host {
  readonly name: string;
  readonly ip: string;
}

/** Who receives a file, before the table is laid out for a spec. */
type ReceiverTemplate = 'masters' | 'nodes' | 'own-host' | 'first-master';

/** A file of a template: on hosts (by host path) or in the bootkube asset dir (by asset). */
type FileTemplate =
  | { readonly to: ReceiverTemplate; readonly path: string; readonly content: FileContent }
  | {
    readonly to: 'bootkube'; readonly asset: keyof BootkubeTlsAssets; readonly content: FileContent; readonly firstMasterOnly?: boolean;
    readonly server?: 'first-master';
  };

/** One row of the table: a certificate, per cluster, per master or per node. */
interface Template {
  /** State path base; per-host rows live under `nodes/<host>/<base>`. */
  readonly base: string;
  /** Log name; per-host rows get ` (<host>)`. */
  readonly name: string;
  /** One entry for the cluster, one per master, or one per node (masters and workers). */
  readonly scope: 'cluster' | 'master' | 'node';
  /** The certificate profile, or `key-pair` for a key without certificate. */
  readonly profile: CertProfile | 'key-pair';
  /** Signing CA; undefined for the CAs. */
  readonly signer?: CaId;
  /** Subject CN, fixed or from the host. */
  readonly commonName?: string | ((host: Host) => string);
  /** Subject O values. */
  readonly organizations?: readonly string[];
  /** SANs, IPs and DNS names mixed (sorted apart when the entry is made). */
  readonly sans?: (spec: ResolvedClusterSpec, host: Host | undefined) => string[];
  /** How the kubeconfig made from it is rendered, for kubeconfig rows. */
  readonly kubeconfig?: KubeconfigSpec;
  /** Only for some clusters. @default - every cluster */
  readonly when?: (spec: ResolvedClusterSpec) => boolean;
  /** The files made from it, in the layout's order. */
  readonly files: readonly FileTemplate[];
}

const crt = (to: ReceiverTemplate, path: string): FileTemplate => ({ to, path, content: 'certificate' });
const key = (to: ReceiverTemplate, path: string): FileTemplate => ({ to, path, content: 'private-key' });
const conf = (to: ReceiverTemplate, path: string): FileTemplate => ({ to, path, content: 'kubeconfig' });
const bootkube = (asset: keyof BootkubeTlsAssets, content: FileContent, firstMasterOnly?: boolean, server?: 'first-master'): FileTemplate =>
  ({ to: 'bootkube', asset, content, firstMasterOnly, server });

/** kubeadm's apiserver SANs: node names, service names, first service IP, advertise addresses, endpoint, VIPs, certSANs. */
function apiserverSans(spec: ResolvedClusterSpec, masters: readonly Host[]): string[] {
  const domain = spec.networking.clusterDomain;
  const vips = [spec.loadBalancer.haproxy?.vip, spec.loadBalancer.kubeVip?.vip].filter((v): v is string => !!v);
  return [
    ...masters.map((m) => m.name),
    'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${domain}`,
    spec.apiServiceIp, ...masters.map((m) => m.ip), spec.apiEndpoint.host, ...vips, ...spec.extraCertSans,
  ];
}
/** etcd's serving and peer SANs: the member's name and address, and loopback (the API server dials 127.0.0.1). */
const etcdSans = (_spec: ResolvedClusterSpec, master: Host | undefined) => [master!.name, 'localhost', master!.ip, '127.0.0.1', '::1'];

/**
 * The table, in the state's order within each scope: cluster-wide rows (CAs first), then each master's rows, then
 * each node's (masters and workers).
 */
const TEMPLATES: readonly Template[] = [
  // CAs. Of their keys only the cluster CA's leaves the state: every master's controller manager signs kubelet
  // certificates (csrsigning); etcd and front-proxy leaves are all issued here, so nothing else needs to sign.
  {
    base: 'ca', name: 'ca', scope: 'cluster', profile: 'ca', commonName: 'kubernetes', sans: () => ['kubernetes'],
    files: [crt('nodes', PkiPaths.caCert), key('masters', PkiPaths.caKey), bootkube('caCrt', 'certificate'), bootkube('caKey', 'private-key')],
  },
  {
    base: 'front-proxy-ca', name: 'front-proxy-ca', scope: 'cluster', profile: 'ca', commonName: 'front-proxy-ca', sans: () => ['front-proxy-ca'],
    files: [crt('masters', PkiPaths.frontProxyCaCert), bootkube('frontProxyCaCrt', 'certificate')],
  },
  {
    base: 'etcd/ca', name: 'etcd/ca', scope: 'cluster', profile: 'ca', commonName: 'etcd-ca', sans: () => ['etcd-ca'],
    files: [crt('masters', PkiPaths.etcdCaCert), bootkube('etcdClientCaCrt', 'certificate')],
  },
  // Cluster-wide client identities: one certificate shared by the masters.
  {
    base: 'apiserver-kubelet-client', name: 'apiserver-kubelet-client', scope: 'cluster', profile: 'client', signer: 'ca',
    commonName: 'kube-apiserver-kubelet-client',
    files: [
      crt('masters', PkiPaths.apiServerKubeletClientCert), key('masters', PkiPaths.apiServerKubeletClientKey),
      bootkube('apiserverKubeletClientCrt', 'certificate'), bootkube('apiserverKubeletClientKey', 'private-key'),
    ],
  },
  {
    base: 'apiserver-etcd-client', name: 'apiserver-etcd-client', scope: 'cluster', profile: 'client', signer: 'etcd/ca',
    commonName: 'kube-apiserver-etcd-client',
    files: [
      crt('masters', PkiPaths.apiServerEtcdClientCert), key('masters', PkiPaths.apiServerEtcdClientKey),
      bootkube('etcdClientCrt', 'certificate'), bootkube('etcdClientKey', 'private-key'),
    ],
  },
  {
    base: 'front-proxy-client', name: 'front-proxy-client', scope: 'cluster', profile: 'client', signer: 'front-proxy-ca',
    commonName: 'front-proxy-client',
    files: [
      crt('masters', PkiPaths.frontProxyClientCert), key('masters', PkiPaths.frontProxyClientKey),
      bootkube('frontProxyClientCrt', 'certificate'), bootkube('frontProxyClientKey', 'private-key'),
    ],
  },
  {
    base: 'etcd/healthcheck-client', name: 'etcd/healthcheck-client', scope: 'cluster', profile: 'client', signer: 'etcd/ca',
    commonName: 'kube-etcd-healthcheck-client',
    files: [crt('masters', PkiPaths.etcdHealthcheckClientCert), key('masters', PkiPaths.etcdHealthcheckClientKey)],
  },
  {
    base: 'kubeconfig/admin', name: 'admin.conf', scope: 'cluster', profile: 'client', signer: 'ca',
    commonName: 'kubernetes-admin', organizations: [CLUSTER_ADMINS_GROUP],
    kubeconfig: { kind: 'admin', server: 'endpoint', credentials: 'embedded' },
    files: [conf('masters', KubeconfigPaths.admin), bootkube('kubeconfig', 'kubeconfig')],
  },
  {
    // The first master bootstraps the cluster RBAC with it (as `kubeadm init`); bootkube's `auth/kubeconfig` is what
    // `hacp bootstrap` and the bootstrap controller manager and scheduler use before any binding exists. They all run
    // on the first master, so it dials that master's own API server: the bootstrap never waits for the VIP or load
    // balancer (whose kube-vip needs RBAC the bootstrap applies first).
    base: 'kubeconfig/super-admin', name: 'super-admin.conf', scope: 'cluster', profile: 'client', signer: 'ca',
    commonName: 'kubernetes-super-admin', organizations: [MASTERS_GROUP],
    kubeconfig: { kind: 'super-admin', server: 'endpoint', credentials: 'embedded' },
    files: [conf('first-master', KubeconfigPaths.superAdmin), bootkube('superAdminKubeconfig', 'kubeconfig', false, 'first-master')],
  },
  {
    // bootkube's API server runs on every master (DaemonSet), so one certificate names them all.
    base: 'bootkube/apiserver', name: 'bootkube tls/apiserver', scope: 'cluster', profile: 'server', signer: 'ca',
    commonName: 'kube-apiserver', sans: (spec) => apiserverSans(spec, spec.masters),
    files: [bootkube('apiserverCrt', 'certificate'), bootkube('apiserverKey', 'private-key')],
  },
  {
    base: SA_ID, name: 'sa.key/sa.pub', scope: 'cluster', profile: 'key-pair',
    files: [
      key('masters', PkiPaths.serviceAccountKey), { to: 'masters', path: PkiPaths.serviceAccountPub, content: 'public-key' },
      bootkube('serviceAccountKey', 'private-key'), bootkube('serviceAccountPub', 'public-key'),
    ],
  },

  // Per master.
  {
    base: 'apiserver', name: 'apiserver', scope: 'master', profile: 'server', signer: 'ca', commonName: 'kube-apiserver',
    sans: (spec, m) => apiserverSans(spec, [m!]),
    files: [crt('own-host', PkiPaths.apiServerCert), key('own-host', PkiPaths.apiServerKey)],
  },
  {
    base: 'etcd-server', name: 'etcd/server', scope: 'master', profile: 'peer', signer: 'etcd/ca', commonName: (m) => m.name, sans: etcdSans,
    files: [crt('own-host', PkiPaths.etcdServerCert), key('own-host', PkiPaths.etcdServerKey)],
  },
  {
    base: 'etcd-peer', name: 'etcd/peer', scope: 'master', profile: 'peer', signer: 'etcd/ca', commonName: (m) => m.name, sans: etcdSans,
    files: [crt('own-host', PkiPaths.etcdPeerCert), key('own-host', PkiPaths.etcdPeerKey)],
  },
  {
    base: 'controller-manager', name: 'controller-manager.conf', scope: 'master', profile: 'client', signer: 'ca',
    commonName: 'system:kube-controller-manager',
    kubeconfig: { kind: 'controller-manager', server: 'own-master', credentials: 'embedded' },
    files: [conf('own-host', KubeconfigPaths.controllerManager)],
  },
  {
    base: 'scheduler', name: 'scheduler.conf', scope: 'master', profile: 'client', signer: 'ca', commonName: 'system:kube-scheduler',
    kubeconfig: { kind: 'scheduler', server: 'own-master', credentials: 'embedded' },
    files: [conf('own-host', KubeconfigPaths.scheduler)],
  },
  {
    // kube-vip's leader election (a Lease) through its own master's API server: it must work before the VIP does, and
    // with its own narrow identity instead of admin.conf. Not in the bootkube asset dir: that goes to the first master
    // only, this file to every master (with the kube-vip static pod).
    base: 'kube-vip', name: 'kube-vip.conf', scope: 'master', profile: 'client', signer: 'ca', commonName: KUBE_VIP_USER,
    when: (spec) => spec.loadBalancer.type === 'kube-vip',
    kubeconfig: { kind: 'kube-vip', server: 'own-master', credentials: 'embedded' },
    files: [conf('own-host', KubeconfigPaths.kubeVip)],
  },

  // Per node. kubelet.conf names the client pair by path: the kubelet rotates it, an embedded copy would go stale.
  {
    base: 'kubelet-client', name: 'kubelet.conf', scope: 'node', profile: 'client', signer: 'ca',
    commonName: (n) => `system:node:${n.name}`, organizations: [NODES_GROUP],
    kubeconfig: { kind: 'kubelet', server: 'endpoint', credentials: 'files' },
    files: [
      conf('own-host', KubeconfigPaths.kubelet), crt('own-host', KubeletPkiPaths.clientCert), key('own-host', KubeletPkiPaths.clientKey),
      // The node `bootkube start` runs on.
      bootkube('kubeletCrt', 'certificate', true), bootkube('kubeletKey', 'private-key', true),
    ],
  },
  {
    base: 'kubelet-serving', name: 'kubelet serving', scope: 'node', profile: 'server', signer: 'ca',
    commonName: (n) => `system:node:${n.name}`, organizations: [NODES_GROUP], sans: (_spec, n) => [n!.name, n!.ip],
    files: [crt('own-host', KubeletPkiPaths.servingCert), key('own-host', KubeletPkiPaths.servingKey)],
  },
];

/** A DNS SAN: a DNS-1123 subdomain, optionally with a leading wildcard label. */
const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

function buildCatalog(spec: ResolvedClusterSpec): CatalogEntry[] {
  const first = spec.masters[0].name;
  const entries: CatalogEntry[] = [];
  const instantiate = (template: Template, host: Host | undefined) => {
    if (template.when && !template.when(spec)) return;
    const id = host ? `nodes/${host.name}/${template.base}` : template.base;
    const name = host ? `${template.name} (${host.name})` : template.name;
    const files: CatalogFile[] = [];
    for (const file of template.files) {
      if (file.to === 'bootkube') {
        if (file.firstMasterOnly && host?.name !== first) continue;
        files.push({
          to: { kind: 'bootkube' }, path: BOOTKUBE_ASSET_PATHS[file.asset], content: file.content, mode: modeOf(file.content), asset: file.asset,
          ...(file.server ? { server: file.server } : {}),
        });
      } else {
        const to: FileReceiver = file.to === 'own-host' ? { kind: 'host', host: host!.name }
          : file.to === 'first-master' ? { kind: 'host', host: first } : { kind: file.to };
        files.push({ to, path: file.path, content: file.content, mode: modeOf(file.content) });
      }
    }
    if (template.profile === 'key-pair') {
      entries.push({ kind: 'key-pair', id, name, files });
      return;
    }
    const dns: string[] = [];
    const ips: string[] = [];
    for (const san of template.sans?.(spec, host) ?? []) {
      if (isIp(san)) ips.push(canonicalIp(san));
      else if (DNS_NAME.test(san)) dns.push(san);
      else throw new Error(`certificate ${name}: SAN ${JSON.stringify(san)} is neither an IP address nor a DNS name`);
    }
    const commonName = typeof template.commonName === 'function' ? template.commonName(host!) : template.commonName ?? '';
    if (!commonName) throw new Error(`certificate ${name}: empty common name`);
    entries.push({
      kind: 'certificate', id, name, ...(host ? { host: host.name } : {}), profile: template.profile, signer: template.signer, commonName,
      organizations: template.organizations ?? [], dns: unique(dns), ips: unique(ips), ...(template.kubeconfig ? { kubeconfig: template.kubeconfig } : {}), files,
    });
  };
  const templatesOf = (scope: Template['scope']) => TEMPLATES.filter((template) => template.scope === scope);
  for (const template of templatesOf('cluster')) instantiate(template, undefined);
  for (const master of spec.masters) for (const template of templatesOf('master')) instantiate(template, master);
  for (const node of [...spec.masters, ...spec.workers]) for (const template of templatesOf('node')) instantiate(template, node);

  // The state paths must be distinct and stay inside the state directory (host names are DNS labels).
  const ids = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.id) || entry.id.split('/').some((part) => !/^[a-z0-9][-a-z0-9.]*$/.test(part) || part === '..')) {
      throw new Error(`certificate catalog: state path ${JSON.stringify(entry.id)} is ${ids.has(entry.id) ? 'used twice' : 'not a safe relative path'}`);
    }
    ids.add(entry.id);
  }
  return entries;
}

function modeOf(content: FileContent): number {
  return content === 'certificate' || content === 'public-key' ? 0o644 : 0o600;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
