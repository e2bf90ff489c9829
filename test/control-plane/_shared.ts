import { STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { checkEtcdSettings, checkFlags, validateObject } from '../../lib/verify';

export const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);

/** Schema errors of an object for every supported Kubernetes minor. */
export function schemaErrors(obj: unknown): string[] {
  return ['1.33', '1.34', '1.35', '1.36'].flatMap((minor) => validateObject(obj, minor));
}

/**
 * Flags the controller-manager/scheduler lists (v1.21, the newest stored) do not have, each with the release that
 * added it. Anything else missing from the lists is an error (see shared/reference/README.md).
 */
export const NEWER_FLAGS: Record<string, Record<string, string>> = {
  'kube-controller-manager': {},
  'kube-scheduler': {},
};

/** Flag findings of a component's args at every supported version (errors only; newer flags allowed as listed). */
export function flagErrors(component: 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler', args: string[]): string[] {
  const allowed = new Set(Object.keys(NEWER_FLAGS[component] ?? {}).map((f) => `--${f}`));
  const filtered = args.filter((a) => !allowed.has(a.split('=')[0]));
  return ['1.33', '1.34', '1.35', '1.36'].flatMap((v) => checkFlags(component, filtered, v))
    .filter((f) => f.severity === 'error').map((f) => f.message);
}

export function etcdErrors(args: string[], env: Array<{ name: string; value?: string }>, etcdVersion: string): string[] {
  return checkEtcdSettings(args, env, etcdVersion).filter((f) => f.severity === 'error').map((f) => f.message);
}
