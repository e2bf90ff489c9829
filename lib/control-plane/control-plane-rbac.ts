import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { CLUSTER_ADMINS_GROUP } from '../pki/groups';

/** The user of the API server's kubelet client certificate. */
export const API_SERVER_KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

/** Properties of `ControlPlaneRbac`. */
export interface ControlPlaneRbacProps {
  /**
   * Group bound to `cluster-admin`: the group of admin.conf's certificate. Everyday admin access goes through this
   * binding (revocable by deleting it), not through `system:masters`, which only the break-glass super-admin.conf has.
   * @default kubeadm:cluster-admins
   */
  readonly clusterAdminsGroup?: string;
}

/**
 * Cluster-scoped RBAC the control plane needs once the API is up (apply with super-admin.conf): the cluster admins
 * group bound to `cluster-admin`; the API server's kubelet client bound to `system:kubelet-api-admin` (logs, exec,
 * port-forward on kubelets), which is all it needs; and nodes allowed to renew their own client certificate
 * (`selfnodeclient`), which the controller manager then approves, so the kubelets' certificates rotate.
 */
export class ControlPlaneRbac extends Construct {
  /** The three ClusterRoleBindings (escape hatches): cluster admins, kubelet API admin, node client-certificate renewal. */
  public readonly apiObjects: k8s.KubeClusterRoleBinding[];

  constructor(scope: Construct, id: string, props: ControlPlaneRbacProps = {}) {
    super(scope, id);
    const group = props.clusterAdminsGroup ?? CLUSTER_ADMINS_GROUP;
    const clusterAdmins = new k8s.KubeClusterRoleBinding(this, 'cluster-admins', {
      metadata: {
        name: group.replace(/[^a-z0-9.-]/g, '-'),
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-ha-control-plane' },
      },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
    });
    const kubeletApiAdmin = new k8s.KubeClusterRoleBinding(this, 'kubelet-api-admin', {
      metadata: {
        name: 'kube-apiserver-kubelet-api-admin',
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-ha-control-plane' },
      },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: API_SERVER_KUBELET_CLIENT_USER }],
    });
    const nodeClientCertRenewal = new k8s.KubeClusterRoleBinding(this, 'node-client-cert-renewal', {
      metadata: {
        name: 'kubelet-client-cert-renewal',
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-ha-control-plane' },
      },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
      },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    });
    this.apiObjects = [clusterAdmins, kubeletApiAdmin, nodeClientCertRenewal];
  }
}
