import { App, Chart } from 'cdk8s';
import { validateTree } from '../common';
import { HostFile, ControlPlaneRbac, KubeVipPod, KubeVipRbac, StaticControlPlane, StaticControlPlaneProps } from '../control-plane';
import { ClusterSpec, ResolvedClusterSpec, resolveSpec } from '../spec';

/** Options of `buildStaticPodsTree()`. */
export interface StaticPodsTreeOptions {
  /** The masters to build. @default - every master of the spec */
  readonly masters?: string[];
  /** Per-component options given to every master's `StaticControlPlane`. @default {} */
  readonly controlPlane?: Omit<StaticControlPlaneProps, 'cluster' | 'master'>;
  /** Adds your own constructs to each master's chart, beside the control plane. @default - nothing is added */
  readonly extend?: (chart: Chart, controlPlane: StaticControlPlane) => void;
}

/** One master's part of the static-pod tree. */
export interface MasterTree {
  readonly master: string;
  /** The static pods (and anything `extend` added), one object per manifest file `<metadata.name>.yaml`. */
  readonly objects: any[];
  /** The non-PKI files the pods read (audit policy, authentication configuration), relative to /etc/kubernetes. */
  readonly hostFiles: HostFile[];
}

/** The static-pod control plane of a cluster (`buildStaticPodsTree()`). */
export interface StaticPodsTree {
  /** Each master's part. */
  readonly masters: MasterTree[];
  /** The cluster-scoped objects to apply once the API answers (`cluster/rbac.yaml`): `ControlPlaneRbac`. */
  readonly cluster: any[];
  /**
   * With `loadBalancer.type: kube-vip`, `KubeVipRbac` (`cluster/kube-vip-rbac.yaml`): what kube-vip needs to hold the
   * VIP, applied first, through a master's own API server (plan step `kube-vip-rbac`). Empty otherwise.
   */
  readonly kubeVipRbac: any[];
}

/**
 * The static-pod control plane of a cluster, composed once for the synth app and the testing helpers: per master a
 * `StaticControlPlane` (plus a `KubeVipPod` when `loadBalancer.type` is `kube-vip`), the cluster-scoped
 * `ControlPlaneRbac`, and with kube-vip its `KubeVipRbac`. The constructs are validated as `App.synth()` does (a flag the component does not know throws,
 * naming the construct path; weakening overrides print warnings). Nothing is written and no key is made.
 */
export function buildStaticPodsTree(cluster: ClusterSpec | ResolvedClusterSpec, options: StaticPodsTreeOptions = {}): StaticPodsTree {
  const spec = resolveSpec(cluster);
  const app = new App({ outdir: '.' });
  const built = (options.masters ?? spec.masters.map((m) => m.name)).map((name) => {
    const chart = new Chart(app, name);
    const cp = new StaticControlPlane(chart, 'control-plane', { ...options.controlPlane, cluster: spec, master: name });
    if (spec.loadBalancer.type === 'kube-vip') new KubeVipPod(chart, 'kube-vip', { cluster: spec, master: name });
    options.extend?.(chart, cp);
    return { name, chart, cp };
  });
  const rbac = new Chart(app, 'cluster');
  new ControlPlaneRbac(rbac, 'rbac');
  const kubeVip = new Chart(app, 'kube-vip-rbac');
  if (spec.loadBalancer.type === 'kube-vip') new KubeVipRbac(kubeVip, 'kube-vip');
  validateTree(app); // what App.synth() does first: the user's flags are checked (lib/common/component-flags)
  const masters = built.map(({ name, chart, cp }) => ({ master: name, objects: chart.toJson(), hostFiles: cp.hostFiles() }));
  return { masters, cluster: rbac.toJson(), kubeVipRbac: kubeVip.toJson() };
}
