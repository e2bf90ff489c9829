import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { KUBE_SYSTEM } from '../common';

/** Properties of `KubeSystemAdminBinding`. */
export interface KubeSystemAdminBindingProps {
  /**
   * Must be `true`: a reminder, at the call site, that this grants cluster-admin to every pod in kube-system that
   * runs under the default ServiceAccount.
   */
  readonly acknowledgeClusterAdmin: boolean;
}

/**
 * bootkube's ClusterRoleBinding `system:default-sa`: the kube-system `default` ServiceAccount becomes cluster-admin,
 * so that components without RBAC of their own work.
 *
 * **Off by default, opt-in only.** Every component this library generates has its own ServiceAccount and the
 * narrowest role, so nothing needs it; with it, any pod in kube-system that does not name a ServiceAccount (or
 * anyone who can create one there) gets full control of the cluster (CIS Kubernetes Benchmark 5.1.1, 5.1.5). Use it
 * only to run legacy kube-system manifests that rely on it, and remove it afterwards.
 */
export class KubeSystemAdminBinding extends Construct {
  /** The ClusterRoleBinding (escape hatch). */
  public readonly apiObject: k8s.KubeClusterRoleBinding;
  /** The ClusterRoleBinding; the same object as `apiObject`. */
  public readonly binding: k8s.KubeClusterRoleBinding;

  constructor(scope: Construct, id: string, props: KubeSystemAdminBindingProps) {
    super(scope, id);
    if (props.acknowledgeClusterAdmin !== true) {
      throw new Error(
        `acknowledgeClusterAdmin: ${props.acknowledgeClusterAdmin} must be true to bind kube-system:default to cluster-admin`,
      );
    }
    this.apiObject = this.binding = new k8s.KubeClusterRoleBinding(this, 'binding', {
      metadata: {
        name: 'system:default-sa',
        annotations: {
          'hacp.io/warning': 'grants cluster-admin to the kube-system default ServiceAccount (legacy bootkube opt-in)',
        },
      },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: KUBE_SYSTEM }],
    });
  }
}
