/**
 * The catalog: every certificate a cluster needs, derived from the spec (subject, SANs, profile, signer) and where
 * it lives in the state directory. Pure data; `_engine.ts` compares it with what is on disk.
 */
import { ResolvedClusterSpec, isIp } from '../spec';
import { CertProfile, canonicalIp } from './_crypto';

/** Group bound to ClusterRole cluster-admin by a ClusterRoleBinding (admin.conf's group; kubeadm's name). */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';
/** The group every kubelet identity is in. */
export const NODES_GROUP = 'system:nodes';
/** The break-glass group RBAC never checks: only super-admin.conf carries it. */
export const MASTERS_GROUP = 'system:masters';

/** The three CAs (their state path bases). */
export type CaId = 'ca' | 'front-proxy-ca' | 'etcd/ca';
export const CA_IDS: readonly CaId[] = ['ca', 'front-proxy-ca', 'etcd/ca'];

/** One certificate of the cluster. */
export interface CertEntry {
  /** State path without extension (`nodes/master0/apiserver`): `<id>.crt` and `<id>.key` in the state dir. */
  readonly id: string;
  /** Human name for logs and `hacp pki status` (`apiserver (master0)`, `admin.conf`). */
  readonly name: string;
  readonly profile: CertProfile;
  /** Signing CA; undefined for the CAs themselves (self-signed). */
  readonly signer?: CaId;
  readonly cn: string;
  readonly o: readonly string[];
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

/** State path of the service-account key pair (`sa.key`, `sa.pub`). */
export const SA_ID = 'sa';

/** Every certificate the cluster needs, CAs first. Computed once per (immutable) resolved spec. */
export function certCatalog(spec: ResolvedClusterSpec): readonly CertEntry[] {
  let catalog = CATALOGS.get(spec);
  if (!catalog) CATALOGS.set(spec, (catalog = buildCatalog(spec)));
  return catalog;
}
const CATALOGS = new WeakMap<ResolvedClusterSpec, readonly CertEntry[]>();

function buildCatalog(spec: ResolvedClusterSpec): CertEntry[] {
  const entry = (id: string, name: string, profile: CertProfile, signer: CaId | undefined, cn: string,
    o: string[] = [], sans: string[] = []): CertEntry => {
    const dns: string[] = [];
    const ips: string[] = [];
    for (const san of sans) {
      if (isIp(san)) ips.push(canonicalIp(san));
      else dns.push(san);
    }
    return { id, name, profile, signer, cn, o, dns: unique(dns), ips: unique(ips) };
  };
  const domain = spec.networking.clusterDomain;
  const endpoint = spec.apiEndpoint.host;
  const vips = [spec.loadBalancer.haproxy?.vip, spec.loadBalancer.kubeVip?.vip].filter((v): v is string => !!v);
  const serviceNames = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${domain}`];
  // kubeadm's apiserver SANs: node name, service names, first service IP, advertise address, endpoint, certSANs.
  const apiserverSans = (names: string[], ips: string[]) =>
    [...names, ...serviceNames, spec.apiServiceIp, ...ips, endpoint, ...vips, ...spec.extraCertSans];
  const nodes = [...spec.masters, ...spec.workers];

  return [
    entry('ca', 'ca', 'ca', undefined, 'kubernetes', [], ['kubernetes']),
    entry('front-proxy-ca', 'front-proxy-ca', 'ca', undefined, 'front-proxy-ca', [], ['front-proxy-ca']),
    entry('etcd/ca', 'etcd/ca', 'ca', undefined, 'etcd-ca', [], ['etcd-ca']),

    entry('apiserver-kubelet-client', 'apiserver-kubelet-client', 'client', 'ca', 'kube-apiserver-kubelet-client'),
    entry('apiserver-etcd-client', 'apiserver-etcd-client', 'client', 'etcd/ca', 'kube-apiserver-etcd-client'),
    entry('front-proxy-client', 'front-proxy-client', 'client', 'front-proxy-ca', 'front-proxy-client'),
    entry('etcd/healthcheck-client', 'etcd/healthcheck-client', 'client', 'etcd/ca', 'kube-etcd-healthcheck-client'),
    entry('kubeconfig/admin', 'admin.conf', 'client', 'ca', 'kubernetes-admin', [CLUSTER_ADMINS_GROUP]),
    entry('kubeconfig/super-admin', 'super-admin.conf', 'client', 'ca', 'kubernetes-super-admin', [MASTERS_GROUP]),
    // bootkube's apiserver runs on every master (DaemonSet), so one certificate names them all.
    entry('bootkube/apiserver', 'bootkube tls/apiserver', 'server', 'ca', 'kube-apiserver', [],
      apiserverSans(spec.masters.map((m) => m.name), spec.masters.map((m) => m.ip))),

    ...spec.masters.flatMap((m) => {
      const etcdSans = [m.name, 'localhost', m.ip, '127.0.0.1', '::1'];
      return [
        entry(`nodes/${m.name}/apiserver`, `apiserver (${m.name})`, 'server', 'ca', 'kube-apiserver', [], apiserverSans([m.name], [m.ip])),
        entry(`nodes/${m.name}/etcd-server`, `etcd/server (${m.name})`, 'peer', 'etcd/ca', m.name, [], etcdSans),
        entry(`nodes/${m.name}/etcd-peer`, `etcd/peer (${m.name})`, 'peer', 'etcd/ca', m.name, [], etcdSans),
        entry(`nodes/${m.name}/controller-manager`, `controller-manager.conf (${m.name})`, 'client', 'ca', 'system:kube-controller-manager'),
        entry(`nodes/${m.name}/scheduler`, `scheduler.conf (${m.name})`, 'client', 'ca', 'system:kube-scheduler'),
      ];
    }),
    ...nodes.flatMap((n) => [
      entry(`nodes/${n.name}/kubelet-client`, `kubelet.conf (${n.name})`, 'client', 'ca', `system:node:${n.name}`, [NODES_GROUP]),
      entry(`nodes/${n.name}/kubelet-serving`, `kubelet serving (${n.name})`, 'server', 'ca', `system:node:${n.name}`, [NODES_GROUP], [n.name, n.ip]),
    ]),
  ];
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
