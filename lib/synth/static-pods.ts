/**
 * The static-pod tree writer: one folder per master under `<outdir>/static-pods/`, ready to copy to the host:
 *   <master>/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler}.yaml  → /etc/kubernetes/manifests/
 *   <master>/pki/..., <master>/*.conf, <master>/apiserver/...                     → /etc/kubernetes/
 * and `cluster/` with the cluster-scoped objects to apply once the API answers (with super-admin.conf).
 */
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
  readonly spec: ResolvedClusterSpec;
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

  const tree = buildStaticPodsTree(spec, props.tree);
  for (const { master, objects, hostFiles } of tree.masters) {
    // One file per object, named after it, mode 0600 as kubeadm writes static pod manifests (CIS 1.1.1).
    const manifests = objects.map((obj) => ({ path: `${obj.metadata.name}.yaml`, content: Yaml.stringify(obj), mode: 0o600 }));
    const files = [...manifests, ...hostFiles, encryption, ...pki.masterFiles(master)];
    writeFilesAtomic(path.join(root, master), files);
    written.push(...files.map((f) => path.join('static-pods', master, f.path)));
  }

  const rbac = { path: 'rbac.yaml', content: Yaml.stringify(...tree.cluster), mode: 0o644 };
  writeFilesAtomic(path.join(root, 'cluster'), [rbac]);
  written.push(path.join('static-pods', 'cluster', rbac.path));
  return written;
}
