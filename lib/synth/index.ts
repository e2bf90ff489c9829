// Public API of lib/synth: the tree writers. They compose the constructs for a spec and write what goes on the hosts
// (`static-pods/<master>/` mirroring /etc/kubernetes, `static-pods/cluster/`) and the bootkube asset tree, with the
// PKI's files and exact modes. The synth app (apps/) and cluster repos that import the library both use them; a
// cluster repo's `cdk8s synth` calls `synthCluster()` (or `synthClusterMain()`), which adds the PKI state, the
// encryption key, the output lock and the repo's own charts.
export * from './cluster-addons';
export * from './static-pods-tree';
export * from './static-pods';
export * from './bootkube';
export * from './self-hosted-masters';
export type {
  BootkubeTreeOptions,
  ClusterCharts,
  ClusterTreesProps,
  SynthClusterProps,
  SynthClusterResult,
} from './synth-cluster';
export { SynthClusterError, synthCluster, synthClusterMain } from './synth-cluster';
export type { OutputLockOptions } from './output-lock';
export {
  DEFAULT_LOCK_TIMEOUT_MS,
  OutputLock,
  OutputLockBusyError,
  SYNTH_LOCK_ENV,
  acquireOutputLock,
  outputLockFile,
} from './output-lock';
