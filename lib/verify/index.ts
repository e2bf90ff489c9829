// Public API of lib/verify: offline checks of a synthesized tree (schema, flags, CIS, consistency, cluster).
export * from './finding';
export * from './schema';
export * from './flags';
export * from './tree';
export * from './cis';
export * from './consistency';
export * from './verify';
export * from './cdk8s-plugin';
export * from './spec-resolver';
export {
  clusterCheck,
  buildClusterModel,
  findClusterRoots,
  builtinObjects,
  BUILTIN_MINORS,
  RETIRED_IMAGES,
  kubeletMaySetLabel,
  bringUpPlan,
  formatPlan,
} from './cluster';
export type {
  ClusterCheckOptions,
  ClusterCheckResult,
  ClusterModel,
  ClusterModelOptions,
  ClusterRoot,
  ClusterFlavor,
  ModelNode,
  ModelObject,
  Workload,
  Server,
  LoadBalancer,
  Dial,
  Phase,
  BuiltinObjects,
  RetiredImage,
  BringUpPlanInput,
  BringUpPlan,
  BringUpStep,
  BringUpStepKind,
  BringUpWait,
  NodeLabelChange,
  AppliedLabel,
  Trust,
  ExternalServer,
  HostCheckpointer,
} from './cluster';
