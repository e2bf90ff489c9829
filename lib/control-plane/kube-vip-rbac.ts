import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { KUBE_VIP_USER } from '../pki/groups';
import { KUBE_VIP_LEASE_NAME } from './kube-vip-pod';

/** Properties of `KubeVipRbac`. */
export interface KubeVipRbacProps {
  /**
   * The user of kube-vip's client certificate (`/etc/kubernetes/kube-vip.conf`).
   * @default hacp:kube-vip (`KUBE_VIP_USER`, the PKI's kube-vip identity)
   */
  readonly user?: string;
  /**
   * Name of the leader-election Lease (kube-vip's `vip_leasename`).
   * @default plndr-cp-lock (`KUBE_VIP_LEASE_NAME`, what `KubeVipPod` sets)
   */
  readonly leaseName?: string;
  /**
   * Namespace of the Lease (kube-vip's `cp_namespace`).
   * @default kube-system
   */
  readonly namespace?: string;
}

/** Labels of the kube-vip RBAC objects. */
const LABELS = { 'app.kubernetes.io/name': 'kube-vip', 'app.kubernetes.io/managed-by': 'cdk8s-ha-control-plane' };

/**
 * What kube-vip's static pods need from the API, and nothing more: its own user (`hacp:kube-vip`, the client
 * certificate of `kube-vip.conf`, no group) may take and renew its leader-election Lease in kube-system. A Role and a
 * RoleBinding named `hacp:kube-vip`:
 * - `create` on `coordination.k8s.io` leases (a create cannot be limited to a name: the Lease does not exist yet),
 * - `get`, `update`, `list`, `watch` on the Lease `plndr-cp-lock` only.
 *
 * kube-vip v1.x in control-plane ARP mode with leader election (what `KubeVipPod` runs) uses client-go's `LeaseLock`
 * (get, create, update of its Lease) and nothing else; Service load balancing (`svc_enable`), node labeling and the
 * IPVS load balancer, which need nodes, services and endpoints, are off.
 *
 * This is what makes the VIP come up: it must be applied through a master's own API server (the plan's first apply
 * step, `kube-vip-rbac`, `via: master`), since the VIP answers only once kube-vip holds the Lease.
 */
export class KubeVipRbac extends Construct {
  /** The Role (the rights). */
  public readonly apiObject: k8s.KubeRole;
  /** The RoleBinding of the Role to the kube-vip user. */
  public readonly roleBinding: k8s.KubeRoleBinding;

  constructor(scope: Construct, id: string, props: KubeVipRbacProps = {}) {
    super(scope, id);
    const user = props.user ?? KUBE_VIP_USER;
    const lease = props.leaseName ?? KUBE_VIP_LEASE_NAME;
    const namespace = props.namespace ?? 'kube-system';
    if (!user || /\s/.test(user)) throw new Error(`user: ${JSON.stringify(user)} is not a user name`);
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(lease))
      throw new Error(`leaseName: ${JSON.stringify(lease)} is not a Lease name (DNS-1123 subdomain)`);
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
      throw new Error(`namespace: ${JSON.stringify(namespace)} is not a namespace name`);
    this.apiObject = new k8s.KubeRole(this, 'role', {
      metadata: { name: 'hacp:kube-vip', namespace, labels: LABELS },
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          resourceNames: [lease],
          verbs: ['get', 'update', 'list', 'watch'],
        },
      ],
    });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: { name: 'hacp:kube-vip', namespace, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'hacp:kube-vip' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    });
  }
}
