import { App, Chart } from 'cdk8s';
import { validateTree } from '../common';
import {
  HostFile,
  ControlPlaneRbac,
  KubeVipPod,
  KubeVipRbac,
  StaticControlPlane,
  StaticControlPlaneProps,
} from '../control-plane';
import { ClusterSpec, ResolvedClusterSpec, resolveSpec } from '../spec';
import { ClusterAddons, ClusterAddonsOptions, clusterAddons } from './cluster-addons';

/** Options of `buildStaticPodsTree()`. */
export interface StaticPodsTreeOptions {
  /** The masters to build. @default - every master of the spec */
  readonly masters?: string[];
  /** Per-component options given to every master's `StaticControlPlane`. @default {} */
  readonly controlPlane?: Omit<StaticControlPlaneProps, 'cluster' | 'master'>;
  /** Adds your own constructs to each master's chart, beside the control plane. @default - nothing is added */
  readonly extend?: (chart: Chart, controlPlane: StaticControlPlane) => void;
  /**
   * The cluster add-ons of `cluster/` (`clusterAddons()`: kube-proxy, the pod network, DNS, metrics, ... as the spec
   * chooses; these options override it), or `false` for none (the control plane alone: no credential is read).
   * bootkube's pod-checkpointer is never part of a static-pod tree.
   * @default {} (the spec's choices)
   */
  readonly addons?: Omit<ClusterAddonsOptions, 'podCheckpointer'> | false;
}

/** A file of `cluster/` beside `rbac.yaml`: one add-on component. */
export interface ClusterAddonFile {
  /** File name under `cluster/` (`kube-proxy.yaml`, `cloud-config.yaml`, ...). */
  readonly path: string;
  /** The component's objects as JSON, in apply order. */
  readonly objects: any[];
  /** 0600 when it holds a Secret with data (the cloud controller manager's credential), else 0644. */
  readonly mode: number;
}

/** One master's part of the static-pod tree. */
export interface MasterTree {
  /** Name of the master (from the spec): its folder `static-pods/<master>/` mirrors its /etc/kubernetes. */
  readonly master: string;
  /** The static pods (and anything `extend` added), one object per manifest file `<metadata.name>.yaml`. */
  readonly objects: any[];
  /** The non-PKI files the pods read (audit policy, authentication configuration), relative to /etc/kubernetes. */
  readonly hostFiles: HostFile[];
}

/** What `buildStaticPodsTree()` returns. */
export interface StaticPodsTree {
  /** Each master's static pods and host files. */
  readonly masters: MasterTree[];
  /** The cluster-scoped control-plane objects of `cluster/rbac.yaml` (`ControlPlaneRbac`). */
  readonly cluster: any[];
  /**
   * With `loadBalancer.type: kube-vip`, `KubeVipRbac` (`cluster/kube-vip-rbac.yaml`): what kube-vip needs to hold the
   * VIP, applied first, through a master's own API server (plan step `kube-vip-rbac`). Empty otherwise.
   */
  readonly kubeVipRbac: any[];
  /** The add-on files of `cluster/`, one per component (none with `addons: false`). */
  readonly addons: ClusterAddonFile[];
}

/**
 * The static-pod cluster, composed once for the synth app and the testing helpers: per master a `StaticControlPlane`
 * (plus a `KubeVipPod` when `loadBalancer.type` is `kube-vip`), the cluster-scoped `ControlPlaneRbac` (and with kube-vip
 * its `KubeVipRbac`), and the cluster add-ons the spec chooses (`clusterAddons()`), one file per component. The
 * constructs are validated as `App.synth()` does (a flag the component does not know throws, naming the construct
 * path; weakening overrides print warnings). Nothing is written and no key is made; with the OpenStack cloud
 * controller manager its credential is read.
 */
export function buildStaticPodsTree(
  cluster: ClusterSpec | ResolvedClusterSpec,
  options: StaticPodsTreeOptions = {},
): StaticPodsTree {
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
  let addons: ClusterAddons | undefined;
  if (options.addons !== false) {
    const addonOptions = options.addons ?? {};
    if (spec.addons.podCheckpointer) {
      addonOptions.onWarning?.(
        "addons.podCheckpointer: ignored by the static-pod tree: bootkube's pod-checkpointer only keeps a self-hosted API server running, and static pods are on the masters' disks",
      );
    }
    addons = clusterAddons(new Chart(app, 'cluster-addons'), spec, { ...addonOptions, podCheckpointer: false });
  }
  validateTree(app); // what App.synth() does first: the user's flags are checked (lib/common/component-flags)
  const masters = built.map(({ name, chart, cp }) => ({
    master: name,
    objects: chart.toJson(),
    hostFiles: cp.hostFiles(),
  }));
  const addonFiles = (addons?.components ?? []).map((c): ClusterAddonFile => {
    const objects = c.objects.map((o) => o.toJson());
    const secret = objects.some((o) => o.kind === 'Secret' && (o.data || o.stringData));
    return { path: `${c.name}.yaml`, objects, mode: secret ? 0o600 : 0o644 };
  });
  return { masters, cluster: rbac.toJson(), kubeVipRbac: kubeVip.toJson(), addons: addonFiles };
}
