/**
 * What a cluster has without any object of the tree, per Kubernetes minor: the objects the API server, the controller
 * manager and the kubelet create by themselves, which a tree may reference without shipping them. The one place the
 * `cluster` check's reference rules read (docs/verify.md lists the same names).
 *
 * Sources: the API server's RBAC bootstrap policy (kubernetes/kubernetes
 * `plugin/pkg/auth/authorizer/rbac/bootstrappolicy`, testdata `cluster-roles.yaml`, `controller-roles.yaml`,
 * `namespace-roles.yaml`), the system namespaces and priority classes the API server creates, the ServiceAccount
 * controller's `default` account and the root-CA publisher's `kube-root-ca.crt` in every namespace, and the API
 * server's `extension-apiserver-authentication` ConfigMap. Only names every minor from 1.33 to 1.36 has are listed
 * in `BASE`; what a minor adds goes to `ADDED_IN`. A reference to a built-in object missing here is reported: add it
 * here, with the minor that introduced it.
 */
import { minorOf } from '../../spec/versions';

/** The objects a cluster of one Kubernetes minor has before anything is applied. */
export interface BuiltinObjects {
  /** The minor (`1.35`). */
  readonly minor: string;
  /** Namespaces the API server creates. */
  readonly namespaces: ReadonlySet<string>;
  /** PriorityClasses the API server creates. */
  readonly priorityClasses: ReadonlySet<string>;
  /** ClusterRoles of the RBAC bootstrap policy. */
  readonly clusterRoles: ReadonlySet<string>;
  /** Roles of the RBAC bootstrap policy, by namespace. */
  readonly roles: ReadonlyMap<string, ReadonlySet<string>>;
  /** ConfigMaps present in every namespace (`kube-root-ca.crt`, published by the controller manager). */
  readonly configMapsInEveryNamespace: ReadonlySet<string>;
  /** Other ConfigMaps, by namespace (`kube-system/extension-apiserver-authentication`, written by the API server). */
  readonly configMaps: ReadonlyMap<string, ReadonlySet<string>>;
  /** ServiceAccounts present in every namespace (`default`, made by the ServiceAccount controller). */
  readonly serviceAccountsInEveryNamespace: ReadonlySet<string>;
  /** Groups RBAC never restricts (`system:masters`: authorized for everything without a binding). */
  readonly superuserGroups: ReadonlySet<string>;
  /** Built-in ClusterRoles that grant get/update of Leases in kube-system (leader election). */
  readonly leaseRoles: ReadonlySet<string>;
}

/** The `kubernetes` Service the API server keeps in `default`: its ClusterIP is the service range's first address. */
export const KUBERNETES_SERVICE = { namespace: 'default', name: 'kubernetes', port: 443 } as const;

const CONTROLLER_ROLES = [
  'attachdetach-controller',
  'certificate-controller',
  'clusterrole-aggregation-controller',
  'cronjob-controller',
  'daemon-set-controller',
  'deployment-controller',
  'disruption-controller',
  'endpoint-controller',
  'endpointslice-controller',
  'endpointslicemirroring-controller',
  'ephemeral-volume-controller',
  'expand-controller',
  'generic-garbage-collector',
  'horizontal-pod-autoscaler',
  'job-controller',
  'legacy-service-account-token-cleaner',
  'namespace-controller',
  'node-controller',
  'persistent-volume-binder',
  'pod-garbage-collector',
  'pv-protection-controller',
  'pvc-protection-controller',
  'replicaset-controller',
  'replication-controller',
  'resourcequota-controller',
  'root-ca-cert-publisher',
  'route-controller',
  'service-account-controller',
  'service-controller',
  'statefulset-controller',
  'ttl-after-finished-controller',
  'ttl-controller',
  'validatingadmissionpolicy-status-controller',
].map((n) => `system:controller:${n}`);

/** What every supported minor has. */
const BASE = {
  namespaces: ['default', 'kube-system', 'kube-public', 'kube-node-lease'],
  priorityClasses: ['system-node-critical', 'system-cluster-critical'],
  clusterRoles: [
    'cluster-admin',
    'admin',
    'edit',
    'view',
    'system:aggregate-to-admin',
    'system:aggregate-to-edit',
    'system:aggregate-to-view',
    'system:auth-delegator',
    'system:basic-user',
    'system:discovery',
    'system:public-info-viewer',
    'system:monitoring',
    'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
    'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
    'system:certificates.k8s.io:kube-apiserver-client-approver',
    'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver',
    'system:certificates.k8s.io:kubelet-serving-approver',
    'system:certificates.k8s.io:legacy-unknown-approver',
    'system:heapster',
    'system:kube-aggregator',
    'system:kube-controller-manager',
    'system:kube-dns',
    'system:kube-scheduler',
    'system:kubelet-api-admin',
    'system:node',
    'system:node-bootstrapper',
    'system:node-problem-detector',
    'system:node-proxier',
    'system:persistent-volume-provisioner',
    'system:service-account-issuer-discovery',
    'system:volume-scheduler',
    ...CONTROLLER_ROLES,
  ],
  roles: {
    'kube-system': [
      'extension-apiserver-authentication-reader',
      'system::leader-locking-kube-controller-manager',
      'system::leader-locking-kube-scheduler',
      'system:controller:bootstrap-signer',
      'system:controller:cloud-provider',
      'system:controller:token-cleaner',
    ],
    'kube-public': ['system:controller:bootstrap-signer'],
  } as Record<string, string[]>,
  configMapsInEveryNamespace: ['kube-root-ca.crt'],
  configMaps: { 'kube-system': ['extension-apiserver-authentication'] } as Record<string, string[]>,
  serviceAccountsInEveryNamespace: ['default'],
  superuserGroups: ['system:masters'],
  // admin and edit aggregate system:aggregate-to-edit, which grants every verb on leases.
  leaseRoles: ['cluster-admin', 'admin', 'edit', 'system:aggregate-to-edit'],
};

/**
 * Names a minor adds to `BASE` (none of the names above changed between 1.33 and 1.36; a controller role that exists
 * only behind a feature gate is not listed).
 */
const ADDED_IN: Record<string, Partial<Record<keyof typeof BASE, string[]>>> = {
  '1.33': { clusterRoles: ['system:controller:service-cidrs-controller'] },
  '1.34': {},
  '1.35': {},
  '1.36': {},
};

/** The minors `builtinObjects()` knows. */
export const BUILTIN_MINORS = Object.keys(ADDED_IN);

const cache = new Map<string, BuiltinObjects>();

/**
 * The built-in objects of a Kubernetes version (`v1.35.4` or `1.35`); a minor before 1.33 gets 1.33's, one after
 * 1.36 gets 1.36's (the spec rejects both).
 */
export function builtinObjects(kubernetesVersion: string): BuiltinObjects {
  let minor = minorOf(kubernetesVersion);
  if (!BUILTIN_MINORS.includes(minor))
    minor = compareMinor(minor, BUILTIN_MINORS[0]) < 0 ? BUILTIN_MINORS[0] : BUILTIN_MINORS[BUILTIN_MINORS.length - 1];
  const hit = cache.get(minor);
  if (hit) return hit;
  const upTo = BUILTIN_MINORS.filter((m) => compareMinor(m, minor) <= 0);
  const list = (key: keyof typeof BASE): string[] => [
    ...(BASE[key] as string[]),
    ...upTo.flatMap((m) => ADDED_IN[m][key] ?? []),
  ];
  const byNs = (record: Record<string, string[]>) =>
    new Map(Object.entries(record).map(([ns, names]) => [ns, new Set(names)] as const));
  const built: BuiltinObjects = {
    minor,
    namespaces: new Set(list('namespaces')),
    priorityClasses: new Set(list('priorityClasses')),
    clusterRoles: new Set(list('clusterRoles')),
    roles: byNs(BASE.roles),
    configMapsInEveryNamespace: new Set(list('configMapsInEveryNamespace')),
    configMaps: byNs(BASE.configMaps),
    serviceAccountsInEveryNamespace: new Set(list('serviceAccountsInEveryNamespace')),
    superuserGroups: new Set(list('superuserGroups')),
    leaseRoles: new Set(list('leaseRoles')),
  };
  cache.set(minor, built);
  return built;
}

function compareMinor(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/** An image that cannot run (error) or is no longer maintained (warning) on the clusters this library targets. */
export interface RetiredImage {
  /** Repository without tag or digest (`quay.io/coreos/pod-checkpointer`). */
  readonly repository: string;
  /**
   * Severity of the `image-retired` finding: `error` for an image that cannot run (the bring-up plan does not wait
   * for its rollout either), `warning` for one that runs but is unmaintained.
   */
  readonly severity: 'error' | 'warning';
  /** Why, for the finding. */
  readonly reason: string;
}

/** Images known to be dead or retired, matched by repository. */
export const RETIRED_IMAGES: readonly RetiredImage[] = [
  {
    repository: 'quay.io/coreos/pod-checkpointer',
    severity: 'error',
    reason:
      "bootkube's pod-checkpointer (archived 2021) speaks only CRI v1alpha1/v1alpha2, which kubelets dropped in v1.26 and containerd 2 no longer serves: it sees no running container and cannot checkpoint or restore anything",
  },
  {
    repository: 'k8s.gcr.io/heapster-amd64',
    severity: 'warning',
    reason: 'heapster was retired with Kubernetes 1.13 (metrics-server replaces it) and k8s.gcr.io is frozen',
  },
  {
    repository: 'registry.k8s.io/dns/k8s-dns-kube-dns',
    severity: 'warning',
    reason:
      'kube-dns is retired (kubeadm dropped it in Kubernetes 1.21, its images are unmaintained); CoreDNS replaces it',
  },
  {
    repository: 'kubernetesui/dashboard',
    severity: 'warning',
    reason: 'the Kubernetes Dashboard project was archived on 2026-01-21 (Headlamp is its successor)',
  },
  {
    repository: 'kubernetesui/metrics-scraper',
    severity: 'warning',
    reason: 'part of the archived Kubernetes Dashboard project',
  },
];

/** The repository of an image reference (`registry/path/name`, without tag or digest). */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}
