import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';

/** A ServiceAccount and its namespace, as RBAC subjects name it. */
export interface ServiceAccountRef {
  /** ServiceAccount name. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
}

/**
 * A ServiceAccount (construct id `service-account`) whose token is not mounted unless a pod asks for it
 * (`automountServiceAccountToken: true` in the pod spec).
 */
export function serviceAccount(
  scope: Construct,
  name: string,
  namespace: string,
  labels?: Record<string, string>,
): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, 'service-account', {
    metadata: { name, namespace, labels },
    automountServiceAccountToken: false,
  });
}

/** A ClusterRoleBinding named `name` of the ClusterRole `roleName` to one ServiceAccount. */
export function bindClusterRole(
  scope: Construct,
  id: string,
  name: string,
  roleName: string,
  sa: ServiceAccountRef,
  labels?: Record<string, string>,
): k8s.KubeClusterRoleBinding {
  return new k8s.KubeClusterRoleBinding(scope, id, {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
  });
}

/** A RoleBinding named `name` in `namespace` of a Role (or ClusterRole) to one ServiceAccount. */
export function bindRole(
  scope: Construct,
  id: string,
  name: string,
  namespace: string,
  role: { kind: 'Role' | 'ClusterRole'; name: string },
  sa: ServiceAccountRef,
  labels?: Record<string, string>,
): k8s.KubeRoleBinding {
  return new k8s.KubeRoleBinding(scope, id, {
    metadata: { name, namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.name },
    subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
  });
}
