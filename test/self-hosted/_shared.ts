import { BOOTKUBE_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { checkFlags } from '../../lib/verify';
import { MINORS } from '../addons/_checks';
export { dummyTls } from './_tls';

export const spec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);

/** Flag errors of a component's args at every supported version. */
export function flagErrors(component: 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler', args: string[]): string[] {
  return MINORS.flatMap((v) => checkFlags(component, args, v)).filter((f) => f.severity === 'error').map((f) => f.message);
}

/** Snapshot serializer masking PEM blocks. */
export const pemMask = {
  test: (v: unknown) => typeof v === 'string' && /-----BEGIN [A-Z ]+-----/.test(v),
  serialize: (v: string) => JSON.stringify(v.replace(/-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g, '<$1>')),
};
