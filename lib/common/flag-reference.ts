/**
 * The flag references of the control-plane components (`schemas/flags/<component>.json`; each names its `source` and
 * the version it describes), corrected for the releases the lists predate by the explicit `ADDED` / `REMOVED` /
 * `DEPRECATED_SINCE` tables below. Used by the
 * constructs (a user's flag unknown for the cluster's version fails validation) and by `hacp verify`.
 *
 * Light on purpose: no ajv, no commander; each JSON list is read on first use.
 */
import coerce = require('semver/functions/coerce');
import { atLeast, minorOf } from '../spec/versions';
import { readSchemaFile } from './schema-files';

/** Components with a flag reference. */
export type FlagComponent =
  'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet' | 'kube-proxy' | 'etcd';

/** Every `FlagComponent`. */
export const FLAG_COMPONENTS: readonly FlagComponent[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'etcd',
];

/** What the reference says about one flag, for a given component version. */
export interface FlagInfo {
  /** The flag with its dashes (`--profiling`). */
  readonly name: string;
  /** True when the component marks it deprecated at that version (using it is a warning). */
  readonly deprecated: boolean;
  /** Replacement or reason, when the reference gives one. */
  readonly note?: string;
  /** etcd only: the `ETCD_*` environment variable that sets the same option. */
  readonly env?: string;
}

type Release = string; // `1.24`, `3.6`

/**
 * Flags newer than the stored reference list (kube-controller-manager and kube-scheduler: v1.21; kubelet: ~v1.20),
 * with the Kubernetes release that added them. A flag here is accepted from that release on.
 */
const ADDED: Partial<Record<FlagComponent, Record<string, Release>>> = {
  'kube-controller-manager': {
    '--concurrent-ephemeralvolume-syncs': '1.23', // generic ephemeral volumes controller
    '--concurrent-horizontal-pod-autoscaler-syncs': '1.26',
    '--concurrent-cron-job-syncs': '1.27',
    '--concurrent-job-syncs': '1.27',
    '--concurrent-daemonset-syncs': '1.27',
    '--concurrent-rc-syncs': '1.21', // the v1.21 page spells it --concurrent_rc_syncs; both normalise to this
    '--concurrent-validating-admission-policy-status-syncs': '1.28',
    '--legacy-service-account-token-clean-up-period': '1.28',
    '--log-text-info-buffer-size': '1.28', // logging options shared with kube-apiserver
    '--log-text-split-stream': '1.28',
    '--disable-http2-serving': '1.32', // generic secure serving option (kube-apiserver lists it in v1.35)
    '--emulated-version': '1.32', // compatibility versions (KEP-4330)
    '--min-compatibility-version': '1.33',
  },
  'kube-scheduler': {
    '--pod-max-in-unschedulable-pods-duration': '1.26',
    '--log-text-info-buffer-size': '1.28',
    '--log-text-split-stream': '1.28',
    '--disable-http2-serving': '1.32',
    '--emulated-version': '1.32',
    '--min-compatibility-version': '1.33',
  },
  kubelet: {
    '--memory-manager-policy': '1.21',
    '--reserved-memory': '1.21',
    '--cpu-manager-policy-options': '1.22',
    '--seccomp-default': '1.22',
    '--topology-manager-policy-options': '1.26',
    '--local-storage-capacity-isolation': '1.25',
    '--log-text-info-buffer-size': '1.28',
    '--log-text-split-stream': '1.28',
    '--log-json-info-buffer-size': '1.28',
    '--log-json-split-stream': '1.28',
  },
};

/**
 * Flags of a stored list (or of an older release) that a later release removed: an error from that release on.
 * `approx` marks releases recalled from release notes rather than read in the source.
 */
const KLOG_FLAGS = [
  '--add-dir-header',
  '--alsologtostderr',
  '--log-backtrace-at',
  '--log-dir',
  '--log-file',
  '--log-file-max-size',
  '--logtostderr',
  '--one-output',
  '--skip-headers',
  '--skip-log-headers',
  '--stderrthreshold',
];
const klogRemoved = Object.fromEntries(KLOG_FLAGS.map((flag) => [flag, '1.26 (klog flags, KEP-2845)']));
const REMOVED: Partial<Record<FlagComponent, Record<string, Release>>> = {
  'kube-apiserver': {
    '--insecure-port': '1.24 (insecure serving; use --secure-port)',
    '--insecure-bind-address': '1.24 (insecure serving; use --bind-address)',
    '--address': '1.24 (use --bind-address)',
    '--port': '1.24 (use --secure-port)',
    '--kubelet-https': '1.22 (kubelet connections are always HTTPS)',
    '--apiserver-count': '1.35 reference (lease endpoint reconciler is the default; drop it)',
    '--cloud-provider': '1.31 (in-tree cloud providers; use an external cloud controller manager)',
    '--cloud-config': '1.31 (in-tree cloud providers)',
    '--repair-malformed-updates': '1.15',
    '--experimental-bootstrap-token-auth': '1.9 (use --enable-bootstrap-token-auth)',
    '--etcd-quorum-read': '1.12',
    '--storage-versions': '1.18 approx',
    '--service-account-api-audiences': '1.24 approx (use --api-audiences)',
    '--target-ram-mb': '1.23 approx',
    '--kubelet-port': '1.22 approx',
    '--kubelet-read-only-port': '1.22 approx',
    '--enable-swagger-ui': '1.14',
    '--basic-auth-file': '1.19',
    '--insecure-allow-any-token': '1.10 approx',
    '--admission-control-config': '1.10 approx (use --admission-control-config-file)',
  },
  'kube-controller-manager': {
    ...klogRemoved,
    '--address': '1.24 (insecure serving; use --bind-address)',
    '--port': '1.24 (insecure serving; use --secure-port)',
    '--experimental-logging-sanitization': '1.25 approx',
    '--pod-eviction-timeout': '1.27',
    '--enable-taint-manager': '1.29 approx',
    '--azure-container-registry-config': '1.30',
    '--cloud-provider=openstack': '1.26',
  },
  'kube-scheduler': {
    ...klogRemoved,
    '--address': '1.24 approx (insecure serving; use --bind-address)',
    '--port': '1.24 approx (insecure serving; use --secure-port)',
    '--algorithm-provider': '1.23 (use --config profiles)',
    '--policy-config-file': '1.23 (use --config)',
    '--policy-configmap': '1.23 (use --config)',
    '--policy-configmap-namespace': '1.23 (use --config)',
    '--use-legacy-policy-config': '1.23 (use --config)',
    '--hard-pod-affinity-symmetric-weight': '1.23 approx (use --config)',
    '--scheduler-name': '1.23 approx (use --config profiles)',
    '--lock-object-name': '1.24 approx (use --leader-elect-resource-name)',
    '--lock-object-namespace': '1.24 approx (use --leader-elect-resource-namespace)',
    '--experimental-logging-sanitization': '1.25 approx',
    '--azure-container-registry-config': '1.30',
  },
  kubelet: {
    ...klogRemoved,
    '--cni-bin-dir': '1.24 (dockershim removal)',
    '--cni-cache-dir': '1.24 (dockershim removal)',
    '--cni-conf-dir': '1.24 (dockershim removal)',
    '--docker-endpoint': '1.24 (dockershim removal)',
    '--image-pull-progress-deadline': '1.24 (dockershim removal)',
    '--network-plugin': '1.24 (dockershim removal; CNI is configured in the runtime)',
    '--network-plugin-mtu': '1.24 (dockershim removal)',
    '--experimental-dockershim-root-directory': '1.24 (dockershim removal)',
    '--non-masquerade-cidr': '1.24 approx',
    '--dynamic-config-dir': '1.24 (dynamic kubelet configuration)',
    '--container-runtime': '1.27 (only remote runtimes: use --container-runtime-endpoint)',
    '--enable-cadvisor-json-endpoints': '1.21 approx',
    '--redirect-container-streaming': '1.21 approx',
    '--experimental-log-sanitization': '1.25 approx',
    '--seccomp-profile-root': '1.25 approx',
    '--master-service-namespace': '1.27 approx',
    '--azure-container-registry-config': '1.30',
    '--keep-terminated-pod-volumes': '1.31 approx',
    '--require-kubeconfig': '1.10',
    '--api-servers': '1.8',
    '--allow-privileged': '1.15',
    '--cadvisor-port': '1.12',
    '--cloud-provider=openstack': '1.26 (in-tree OpenStack provider; use external)',
  },
};

/** Flags deprecated later than the stored (older) list says: a warning from that release on. */
const DEPRECATED_SINCE: Partial<Record<FlagComponent, Record<string, string>>> = {
  kubelet: {
    '--container-runtime-endpoint': '1.27: set containerRuntimeEndpoint in the --config file',
    '--pod-infra-container-image': '1.27: the sandbox image is configured in the container runtime',
    '--image-service-endpoint': '1.27: set imageServiceEndpoint in the --config file',
  },
};

/** The version each stored list describes (used when a component's version is not given). */
export const FLAG_REFERENCE_VERSIONS: Record<FlagComponent, string> = {
  'kube-apiserver': '1.35',
  'kube-controller-manager': '1.21',
  'kube-scheduler': '1.21',
  kubelet: '1.20',
  'kube-proxy': '1.31',
  etcd: '3.6',
};

const tableCache = new Map<string, Map<string, FlagInfo>>();
const referenceCache = new Map<FlagComponent, any>();

/** `schemas/flags/<component>.json`, read and parsed once. */
function flagReference(component: FlagComponent): any {
  let ref = referenceCache.get(component);
  if (!ref) referenceCache.set(component, (ref = readSchemaFile(`flags/${component}.json`)));
  return ref;
}

/**
 * The flags `component` accepts at `version` (Kubernetes `v1.35.4`/`1.35`, or etcd `3.6.6`/`3.5`; without it, the
 * version the stored list describes, `FLAG_REFERENCE_VERSIONS`), keyed by name with dashes. Throws for an unknown
 * component or a version that is not one.
 */
export function knownFlags(component: FlagComponent, version?: string): Map<string, FlagInfo> {
  if (!FLAG_COMPONENTS.includes(component)) {
    throw new Error(`component: '${component}' is not one of ${FLAG_COMPONENTS.join(', ')}`);
  }
  const at = version ?? FLAG_REFERENCE_VERSIONS[component];
  if (!coerce(at)) throw new Error(`version: '${at}' is not a version`);
  const key = `${component}@${minorOf(at)}`;
  const hit = tableCache.get(key);
  if (hit) return hit;

  const ref = flagReference(component);
  const table = new Map<string, FlagInfo>();
  const add = (info: FlagInfo) =>
    table.set(normaliseFlagName(component, info.name), { ...info, name: normaliseFlagName(component, info.name) });
  for (const flag of ref.flags) {
    add({
      name: flag.name,
      deprecated: !!flag.deprecated,
      note: flag.note ?? (flag.replacement ? `use ${flag.replacement}` : undefined),
      env: flag.env,
    });
  }
  if (component === 'etcd' && !atLeast(at, '3.6')) {
    // etcd 3.5: no 3.6-only flags; experimental-* flags are the current names (deprecated only from 3.6); v2 flags exist.
    for (const name of ref.v3_6_14_new_flags_vs_v3_5_33) table.delete(name);
    for (const [name, info] of table) {
      if (name.startsWith('--experimental-')) table.set(name, { ...info, deprecated: false, note: undefined });
    }
    for (const name of ref.v3_5_33_only_flags) {
      add({ name, deprecated: ref.v3_5_33_deprecated.includes(name), env: etcdEnvName(name) });
    }
  }
  for (const [name, since] of Object.entries(ADDED[component] ?? {})) {
    if (atLeast(at, since) && !table.has(name)) add({ name, deprecated: false });
  }
  for (const [name, since] of Object.entries(DEPRECATED_SINCE[component] ?? {})) {
    const info = table.get(name);
    if (info && atLeast(at, since.split(':')[0])) table.set(name, { ...info, deprecated: true, note: since });
  }
  for (const [name, removed] of Object.entries(REMOVED[component] ?? {})) {
    if (!name.includes('=') && atLeast(at, removed.split(' ')[0])) table.delete(name);
  }
  tableCache.set(key, table);
  return table;
}

/** The `ETCD_*` environment variable of an etcd flag: `--cert-file` → `ETCD_CERT_FILE`. */
export function etcdEnvName(flag: string): string {
  return `ETCD_${flag.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`;
}

/**
 * A flag name as the component's flag set sees it: Kubernetes components normalise `_` to `-`
 * (cliflag.WordSepNormalizeFunc); etcd uses Go's flag package as is.
 */
export function normaliseFlagName(component: FlagComponent, name: string): string {
  return component === 'etcd' ? name : name.replace(/_/g, '-');
}

/**
 * The release (with a reason) that removed a flag (`--name`) or one of its values (`--name=value`), when `version` is
 * that release or later; undefined otherwise.
 */
export function removedIn(component: FlagComponent, flagOrValue: string, version: string): string | undefined {
  const removed = REMOVED[component]?.[flagOrValue];
  return removed && atLeast(version, removed.split(' ')[0]) ? removed : undefined;
}

/** `ETCD_*` variables etcd reads that are not flags. */
export const ETCD_NON_FLAG_ENV: ReadonlySet<string> = new Set(['ETCD_UNSUPPORTED_ARCH']);

let ignored: Set<string> | undefined;
/** Legacy etcd flags (names without dashes) that etcd accepts and ignores. */
export function etcdIgnoredFlags(): ReadonlySet<string> {
  return (ignored ??= new Set(flagReference('etcd').ignored_legacy_flags_accepted_and_ignored));
}
