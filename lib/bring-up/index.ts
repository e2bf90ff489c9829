// The bring-up engine: executes a BringUpPlan (lib/verify/cluster/plan.ts) with the real kubectl, for
// `hacp cluster apply` (static pods) and `hacp bootstrap` (self-hosted). One module per concern: kubectl (the
// runner), waits (bounded waits), executor (the plan), plan-for-tree (the cluster check's plan of a tree), bootstrap
// (`hacp bootstrap`).
export {
  BOOTSTRAP_STATE_FILE,
  BOOTSTRAP_STEPS,
  BOOTSTRAP_STEP_HELP,
  bootstrapStepsHelp,
  runBootstrap,
} from './bootstrap';
export type { BootstrapOptions, BootstrapResult, BootstrapState, BootstrapStepId } from './bootstrap';
export { Deadline, MAX_DURATION_SECONDS, MAX_TIMER_MS, kubectlSeconds, parseDuration, timerMs } from './duration';
export {
  BringUpError,
  FIELD_MANAGER,
  checkPlan,
  describePlan,
  executePlan,
  orderedSteps,
  stepNodes,
  stepServer,
} from './executor';
export type { ExecutePlanOptions, PlanRunResult } from './executor';
export { KUBECTL_ENV, Kubectl, KubectlError, kubeconfigServer } from './kubectl';
export type { KubectlCall, KubectlOptions, KubectlResult } from './kubectl';
export { SELF_HOSTED_COMPONENTS, planForTree, treeLayout } from './plan-for-tree';
export type { TreeLayout } from './plan-for-tree';
export { manifestFiles, readObjects, resolvePlanFile } from './tree-files';
export type { TreeObject } from './tree-files';
export { WaitError, describeWait, runWait, runningPods, waitForReadyz } from './waits';
export type { PollOutcome, WaitContext } from './waits';
