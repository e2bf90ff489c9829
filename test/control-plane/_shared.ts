import { STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { SCHEMA_MINORS, checkEtcdSettings, checkFlags, validateObject } from '../../lib/verify';

export const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);

/** Schema errors of an object for every supported Kubernetes minor. */
export function schemaErrors(obj: unknown): string[] {
  return SCHEMA_MINORS.flatMap((minor) => validateObject(obj, minor));
}

/** Flag errors of a component's args at every supported Kubernetes minor. */
export function flagErrors(
  component: 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler',
  args: string[],
): string[] {
  return SCHEMA_MINORS.flatMap((v) => checkFlags(component, args, v))
    .filter((f) => f.severity === 'error')
    .map((f) => f.message);
}

export function etcdErrors(
  args: string[],
  env: Array<{ name: string; value?: string }>,
  etcdVersion: string,
): string[] {
  return checkEtcdSettings(args, env, etcdVersion)
    .filter((f) => f.severity === 'error')
    .map((f) => f.message);
}
