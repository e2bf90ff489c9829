// Private helpers shared by the add-on and self-hosted constructs: well-known labels, tolerations, RBAC objects and
// the escape hatches that turn cdk8s-plus-25's injected defaults into exact, explicit pod specs.
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';

export const KUBE_SYSTEM = 'kube-system';
/** The label and taint kubeadm (and this library's kubelet units) put on control-plane nodes. */
export const CONTROL_PLANE_ROLE = 'node-role.kubernetes.io/control-plane';
/** `nodeSelector` that pins a pod to the masters. */
export const MASTERS_ONLY: Record<string, string> = { [CONTROL_PLANE_ROLE]: '' };
/** Tolerates the masters' `NoSchedule` taint (and nothing else). */
export const CONTROL_PLANE_TOLERATION: k8s.Toleration = { key: CONTROL_PLANE_ROLE, operator: 'Exists', effect: 'NoSchedule' };
/** Lets critical add-ons run on nodes tainted `CriticalAddonsOnly`. */
export const CRITICAL_ADDONS_TOLERATION: k8s.Toleration = { key: 'CriticalAddonsOnly', operator: 'Exists' };
/** Node daemons (network, proxy) must run on every node whatever its taints. */
export const TOLERATE_EVERYTHING: k8s.Toleration[] = [{ operator: 'Exists' }];
/** Where the kubelet mounts a pod's ServiceAccount token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** seccomp profile of the container runtime. */
export const RUNTIME_DEFAULT_SECCOMP: k8s.SeccompProfile = { type: 'RuntimeDefault' };
/** A container that never needs root, extra capabilities or a writable root filesystem. */
export const RESTRICTED_CONTAINER: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** Annotation that tells the pod-checkpointer to keep a static-pod copy of a pod. */
export const CHECKPOINT_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint';

/** Exact pod-spec fields a cdk8s-plus workload cannot express (or gets wrong); applied as JSON patches. */
export interface PodSpecOverrides {
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: k8s.Toleration[];
  readonly priorityClassName?: string;
  readonly affinity?: k8s.Affinity;
  /** Replaces cdk8s-plus' pod securityContext (`runAsNonRoot`, `fsGroupChangePolicy`). */
  readonly securityContext: k8s.PodSecurityContext;
  /** Replaces each container's injected securityContext, by position. */
  readonly containerSecurityContexts: k8s.SecurityContext[];
  /** Replaces each init container's injected securityContext, by position. */
  readonly initContainerSecurityContexts?: k8s.SecurityContext[];
}

/**
 * Gives a cdk8s-plus workload an explicit selector (`labels`, no `cdk8s.io/metadata.addr` hash label, so the immutable
 * selector never changes when the construct tree does) and the exact pod-spec fields in `overrides`.
 */
export function finishWorkload(workload: kplus.Workload, labels: Record<string, string>, overrides: PodSpecOverrides): void {
  workload.select(kplus.LabelSelector.of({ labels }));
  const obj = ApiObject.of(workload);
  const pod = '/spec/template/spec';
  obj.addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
  obj.addJsonPatch(JsonPatch.replace(`${pod}/securityContext`, overrides.securityContext));
  overrides.containerSecurityContexts.forEach((sc, i) => obj.addJsonPatch(JsonPatch.replace(`${pod}/containers/${i}/securityContext`, sc)));
  (overrides.initContainerSecurityContexts ?? []).forEach((sc, i) =>
    obj.addJsonPatch(JsonPatch.replace(`${pod}/initContainers/${i}/securityContext`, sc)));
  const extra: Record<string, unknown> = {
    nodeSelector: overrides.nodeSelector,
    tolerations: overrides.tolerations,
    priorityClassName: overrides.priorityClassName,
    affinity: overrides.affinity,
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) obj.addJsonPatch(JsonPatch.add(`${pod}/${key}`, value));
  }
}

/** RollingUpdate one node at a time (written once: the seed had the key twice). */
export function rollingUpdateOneAtATime(daemonSet: kplus.DaemonSet): void {
  ApiObject.of(daemonSet).addJsonPatch(JsonPatch.add('/spec/updateStrategy', {
    type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) },
  }));
}

/** Preferred anti-affinity: spread the replicas over nodes. */
export function spreadOverNodes(labels: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' },
      }],
    },
  };
}

/** A PodDisruptionBudget keeping at least one of `labels`' pods. */
export function minAvailableOne(scope: Construct, id: string, name: string, namespace: string, labels: Record<string, string>): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, id, {
    metadata: { name, namespace, labels },
    spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
  });
}

/** The Pod Security admission labels (enforce, audit and warn) of a namespace at `level`. */
export function podSecurityLabels(level: string): Record<string, string> {
  return Object.fromEntries(['enforce', 'audit', 'warn'].map((mode) => [`pod-security.kubernetes.io/${mode}`, level]));
}

/** A reference to a ServiceAccount by name, for cdk8s-plus workloads (creates no object). */
export function serviceAccountRef(scope: Construct, name: string): kplus.IServiceAccount {
  return kplus.ServiceAccount.fromServiceAccountName(scope, `${name}-ref`, name);
}

/** A ServiceAccount whose token is not mounted unless a pod asks for it. */
export function serviceAccount(scope: Construct, name: string, namespace: string, labels?: Record<string, string>): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, 'service-account', {
    metadata: { name, namespace, labels },
    automountServiceAccountToken: false,
  });
}

/** A ClusterRoleBinding of `roleName` to one ServiceAccount. */
export function bindClusterRole(scope: Construct, id: string, name: string, roleName: string, sa: { name: string; namespace: string }, labels?: Record<string, string>) {
  return new k8s.KubeClusterRoleBinding(scope, id, {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
  });
}

/** A RoleBinding in `namespace` of a Role (or ClusterRole) to one ServiceAccount. */
export function bindRole(scope: Construct, id: string, name: string, namespace: string, role: { kind: 'Role' | 'ClusterRole'; name: string }, sa: { name: string; namespace: string }, labels?: Record<string, string>) {
  return new k8s.KubeRoleBinding(scope, id, {
    metadata: { name, namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.name },
    subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
  });
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
  if (!/^[a-z0-9.\-_/:]+(:[\w.\-]+|@sha256:[0-9a-f]{64})$/.test(value) || /:latest$/.test(value)) {
    throw new Error(`${prop}: '${value}' must be an image pinned by tag or digest (e.g. 'registry.k8s.io/coredns/coredns:v1.13.1', not ':latest')`);
  }
  return value;
}

/** Throws naming the prop when `value` is not an `https://` URL. */
export function checkHttpsUrl(prop: string, value: string): string {
  if (!/^https:\/\//.test(value)) throw new Error(`${prop}: '${value}' must be an https:// URL`);
  return value;
}

/** Throws naming the prop when `value` is not a positive integer. */
export function checkPositive(prop: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${prop}: ${value} must be a positive integer`);
  return value;
}
