import * as path from 'path';
import { hostPathToAssetPath } from '../pki/paths';
import { FLAG_COMPONENTS, FlagComponent, etcdEnvName, parseFlags } from './flags';
import { AssetFile, AssetTree, objectsOf } from './tree';

/** A pod template found in a manifest. */
export interface PodTemplate {
  /** The file it was found in. */
  readonly file: AssetFile;
  /** The object holding it (a Pod, a Deployment, a CronJob, ...). */
  readonly object: any;
  /** The pod spec. */
  readonly spec: any;
  /** The pod's labels. */
  readonly labels: Record<string, string>;
}

/** A container of a control-plane component (or kube-proxy / kubelet-like components) found in a manifest. */
export interface ComponentContainer {
  /** The pod template it belongs to. */
  readonly pod: PodTemplate;
  /** The container as written in the manifest. */
  readonly container: any;
  /** Which component it runs (the flag table its flags are checked against). */
  readonly component: FlagComponent;
  /** `command` + `args` tokens. */
  readonly tokens: string[];
  /** Flags as `--name` → value (last one wins, as in the components). */
  readonly flags: Map<string, string | undefined>;
  /** Literal environment variables. */
  readonly env: Record<string, string>;
  /** The image tag (`v1.35.4`, `3.6.6-0`), if any. */
  readonly imageTag?: string;
}

/** Every pod template of the tree (Pods, workload templates, CronJob templates). */
export function podTemplates(tree: AssetTree): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const file of tree.files) {
    for (const object of objectsOf(file)) {
      const template =
        object.kind === 'Pod'
          ? object
          : object.kind === 'CronJob'
            ? object.spec?.jobTemplate?.spec?.template
            : object.spec?.template;
      if (template?.spec && Array.isArray(template.spec.containers)) {
        out.push({ file, object, spec: template.spec, labels: template.metadata?.labels ?? {} });
      }
    }
  }
  return out;
}

/** The component a container runs, from its command or its image name. */
export function componentOf(container: any): FlagComponent | undefined {
  const cmd =
    Array.isArray(container.command) && container.command.length
      ? path.posix.basename(String(container.command[0]))
      : undefined;
  if (cmd && (FLAG_COMPONENTS as readonly string[]).includes(cmd)) return cmd as FlagComponent;
  const image = typeof container.image === 'string' ? container.image : '';
  const repo = path.posix.basename(image.split('@')[0].replace(/:[^/:]*$/, ''));
  return (FLAG_COMPONENTS as readonly string[]).includes(repo) ? (repo as FlagComponent) : undefined;
}

/** Every component container of the tree (of `pods`, its pod templates, when the caller has them already). */
export function componentContainers(
  tree: AssetTree,
  pods: readonly PodTemplate[] = podTemplates(tree),
): ComponentContainer[] {
  const out: ComponentContainer[] = [];
  for (const pod of pods) {
    for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      const component = componentOf(container);
      if (!component) continue;
      const tokens = [...(container.command ?? []), ...(container.args ?? [])].map(String);
      const flags = new Map(parseFlags(component, tokens).map((f) => [f.name, f.value]));
      const env: Record<string, string> = {};
      for (const e of container.env ?? []) if (typeof e?.value === 'string') env[e.name] = e.value;
      const tag = /:([^/:@]+)(@.*)?$/.exec(String(container.image ?? ''))?.[1];
      out.push({ pod, container, component, tokens, flags, env, imageTag: tag });
    }
  }
  return out;
}

/** The value of an etcd setting, from its flag or its `ETCD_*` variable. */
export function etcdSetting(c: ComponentContainer, flag: string): string | undefined {
  const name = `--${flag}`;
  return c.flags.get(name) ?? c.env[etcdEnvName(name)];
}

/**
 * Where a host path a pod references lives in the tree, relative to the tree root; undefined when the host provides
 * it (not part of the tree). Static pods: their folder mirrors `/etc/kubernetes` (`hostPathToAssetPath`). bootkube
 * bootstrap pods (`.../bootstrap-manifests/*.yaml`): `/etc/kubernetes/bootstrap-secrets/` holds the asset dir's `tls/`
 * (and `auth/kubeconfig` as `kubeconfig`).
 */
export function assetPathFor(podFile: string, hostPath: string): string | undefined {
  const dir = path.posix.dirname(podFile);
  if (path.posix.basename(dir) === 'bootstrap-manifests') {
    const root = path.posix.dirname(dir);
    const secrets = '/etc/kubernetes/bootstrap-secrets';
    if (hostPath === `${secrets}/kubeconfig`) return path.posix.join(root, 'auth/kubeconfig');
    if (hostPath === secrets) return path.posix.join(root, 'tls');
    if (hostPath.startsWith(`${secrets}/`)) return path.posix.join(root, 'tls', hostPath.slice(secrets.length + 1));
    return undefined;
  }
  if (dir.endsWith('/manifests') || dir === 'manifests') return undefined; // self-hosted manifests use Secrets, not the tree
  const rel = hostPathToAssetPath(hostPath);
  return rel === undefined ? undefined : path.posix.normalize(path.posix.join(dir, rel));
}

/**
 * The host path behind a path seen inside a container (`/etc/kubernetes/pki/ca.crt`), through its volume mounts;
 * undefined when no hostPath volume covers it.
 */
export function hostPathOf(pod: PodTemplate, container: any, containerPath: string): string | undefined {
  let best: { mountPath: string; hostPath: string } | undefined;
  for (const m of container.volumeMounts ?? []) {
    const vol = (pod.spec.volumes ?? []).find((v: any) => v.name === m.name);
    const mp = String(m.mountPath).replace(/\/$/, '');
    if (!vol?.hostPath || !(containerPath === mp || containerPath.startsWith(`${mp}/`))) continue;
    if (!best || mp.length > best.mountPath.length) {
      const sub = m.subPath ? `/${m.subPath}` : '';
      best = { mountPath: mp, hostPath: String(vol.hostPath.path).replace(/\/$/, '') + sub };
    }
  }
  return best ? best.hostPath + containerPath.slice(best.mountPath.length) : undefined;
}

/** True when some volume mount (any volume type) covers the path. */
export function isMounted(container: any, containerPath: string): boolean {
  return (container.volumeMounts ?? []).some((m: any) => {
    const mp = String(m.mountPath).replace(/\/$/, '');
    return containerPath === mp || containerPath.startsWith(`${mp}/`);
  });
}
