import { BOOTKUBE_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
export { flagErrors } from '../control-plane/_shared';
export { pemMask } from '../support/synth';
export { dummyTls } from './_tls';

export const spec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
