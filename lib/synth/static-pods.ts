/**
 * The static-pod tree writer: one folder per master under `<outdir>/static-pods/`, ready to copy to the host:
 *   <master>/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler}.yaml  → /etc/kubernetes/manifests/
 *   <master>/pki/..., <master>/*.conf, <master>/apiserver/...                     → /etc/kubernetes/
 * and `cluster/` with what `hacp cluster apply` applies once the API answers, in the `cluster` check's bring-up
 * order: with kube-vip `kube-vip-rbac.yaml` first, through a master's own API server (it is what makes the VIP
 * answer), `rbac.yaml` (the control plane's bindings) and one file per add-on (`kube-proxy.yaml`, the pod network
 * `flannel.yaml` or `openstack-cloud-controller-manager.yaml` with its `cloud-config.yaml` Secret (0600: it holds
 * the OpenStack application credential), `coredns.yaml`, `metrics-server.yaml`, ...).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { renderEncryptionConfiguration } from '../control-plane';
import type { ClusterPki } from '../pki';
import { OutputFile, writeFilesAtomic } from '../util';
import { HostPaths, hostPathToAssetPath } from '../pki/paths';
import { ResolvedClusterSpec } from '../spec';
import { StaticPodsTreeOptions, buildStaticPodsTree } from './static-pods-tree';

/** Inputs of the static-pod app. */
export interface StaticPodsAppProps {
  /** The cluster spec the tree is built from. */
  readonly spec: ResolvedClusterSpec;
  /** The cluster's PKI: each master folder gets its `masterFiles()` (certificates, keys, kubeconfigs). */
  readonly pki: ClusterPki;
  /** The API server's encryption-at-rest key (base64, 32 bytes), shared by every master. */
  readonly encryptionKey: string;
  /** Output root (`dist`). */
  readonly outdir: string;
  /**
   * What each master's folder holds besides the defaults: `buildStaticPodsTree()`'s options (the control plane's
   * settings, your own static pods through `extend`, the masters to write). @default {}
   */
  readonly tree?: StaticPodsTreeOptions;
  /**
   * The add-ons' options (where the OpenStack credential is read from, warnings), or `false` for none; they win over
   * `tree.addons`.
   * @default {} (the spec's choices, the credential read from the working directory and process.env)
   */
  readonly addons?: StaticPodsTreeOptions['addons'];
}

/** Builds the static-pod app's constructs and writes its tree. Returns the files written (relative to outdir). */
export function synthStaticPods(props: StaticPodsAppProps): string[] {
  const { spec, pki, outdir } = props;
  const root = path.join(outdir, 'static-pods');
  const written: string[] = [];
  const encryption: OutputFile = {
    path: hostPathToAssetPath(HostPaths.encryptionConfig)!,
    content: renderEncryptionConfiguration(props.encryptionKey),
    mode: 0o600,
  };

  const tree = buildStaticPodsTree(spec, {
    ...props.tree,
    ...(props.addons !== undefined ? { addons: props.addons } : {}),
  });
  for (const { master, objects, hostFiles } of tree.masters) {
    // One file per object, named after it, mode 0600 as kubeadm writes static pod manifests (CIS 1.1.1).
    const manifests = objects.map((obj) => ({
      path: `${obj.metadata.name}.yaml`,
      content: Yaml.stringify(obj),
      mode: 0o600,
    }));
    const files = [...manifests, ...hostFiles, encryption, ...pki.masterFiles(master)];
    writeFilesAtomic(path.join(root, master), files);
    written.push(...files.map((f) => path.join('static-pods', master, f.path)));
  }

  // cluster/ is regenerated whole: an add-on the spec no longer chooses (flannel after a switch to cloud-routes) must
  // not stay behind for `hacp cluster apply`.
  const cluster: OutputFile[] = [
    { path: 'rbac.yaml', content: Yaml.stringify(...tree.cluster), mode: 0o644 },
    ...(tree.kubeVipRbac.length
      ? [{ path: 'kube-vip-rbac.yaml', content: Yaml.stringify(...tree.kubeVipRbac), mode: 0o644 }]
      : []),
    ...tree.addons.map((f) => ({ path: f.path, content: Yaml.stringify(...f.objects), mode: f.mode })),
  ];
  // Written from the tree's root, so that cluster/ is made 0700 when it holds the credential's 0600 Secret file.
  fs.rmSync(path.join(root, 'cluster'), { recursive: true, force: true });
  writeFilesAtomic(
    root,
    cluster.map((f) => ({ ...f, path: `cluster/${f.path}` })),
  );
  written.push(...cluster.map((f) => path.join('static-pods', 'cluster', f.path)));
  return written;
}
