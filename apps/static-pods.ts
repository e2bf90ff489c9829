/**
 * The static-pod app: one folder per master under `<outdir>/static-pods/`, ready to copy to the host:
 *   <master>/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler}.yaml  → /etc/kubernetes/manifests/
 *   <master>/pki/..., <master>/*.conf, <master>/apiserver/...                     → /etc/kubernetes/
 * and `cluster/` with the cluster-scoped objects to apply once the API answers (with super-admin.conf).
 */
import * as path from 'path';
import { App, Chart, Yaml } from 'cdk8s';
import { ControlPlaneRbac, StaticControlPlane, renderEncryptionConfiguration } from '../lib/control-plane';
import { KubeVipPod } from '../lib/host';
import { ClusterPki, PkiFile, writeFilesAtomic } from '../lib/pki';
import { HostPaths } from '../lib/pki/paths';
import { ResolvedClusterSpec } from '../lib/spec';

/** Inputs of the static-pod app. */
export interface StaticPodsAppProps {
  readonly spec: ResolvedClusterSpec;
  readonly pki: ClusterPki;
  /** The API server's encryption-at-rest key (base64, 32 bytes), shared by every master. */
  readonly encryptionKey: string;
  /** Output root (`dist`). */
  readonly outdir: string;
}

/** Builds the static-pod app's constructs and writes its tree. Returns the files written (relative to outdir). */
export function synthStaticPods(props: StaticPodsAppProps): string[] {
  const { spec, pki, outdir } = props;
  const root = path.join(outdir, 'static-pods');
  const app = new App({ outdir: root });
  const written: string[] = [];
  const encryption: PkiFile = {
    path: HostPaths.encryptionConfig.slice('/etc/kubernetes/'.length),
    content: renderEncryptionConfiguration(props.encryptionKey),
    mode: 0o600,
  };

  for (const master of spec.masters) {
    const chart = new Chart(app, master.name);
    const cp = new StaticControlPlane(chart, 'control-plane', { cluster: spec, master: master.name });
    if (spec.loadBalancer.type === 'kube-vip') new KubeVipPod(chart, 'kube-vip', { cluster: spec, master: master.name });
    const files = [...manifestFiles(chart), ...cp.hostFiles(), encryption, ...pki.masterFiles(master.name)];
    writeFilesAtomic(path.join(root, master.name), files);
    written.push(...files.map((f) => path.join('static-pods', master.name, f.path)));
  }

  const cluster = new Chart(app, 'cluster');
  new ControlPlaneRbac(cluster, 'rbac');
  const rbac = { path: 'rbac.yaml', content: Yaml.stringify(...cluster.toJson()), mode: 0o644 };
  writeFilesAtomic(path.join(root, 'cluster'), [rbac]);
  written.push(path.join('static-pods', 'cluster', rbac.path));
  return written;
}

/** One file per object, named after it (`etcd.yaml`), mode 0600 as kubeadm writes static pod manifests (CIS 1.1.1). */
function manifestFiles(chart: Chart): PkiFile[] {
  return chart.toJson().map((obj) => ({ path: `${obj.metadata.name}.yaml`, content: Yaml.stringify(obj), mode: 0o600 }));
}
