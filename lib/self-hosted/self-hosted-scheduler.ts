import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  KUBE_SYSTEM,
  bindClusterRole,
  bindRole,
  checkPositive,
  componentArgs,
  flagValue,
  minAvailableOne,
  serviceAccount,
} from '../common';
import { SCHEDULER_PORT, kubernetesImage, schedulerFlags } from '../control-plane';
import { ResolvedClusterSpec, resolveSpec } from '../spec';
import { SelfHostedComponentProps, controlPlaneLabels, leaderElectedDeployment } from './_workload';

/** Properties of `SelfHostedScheduler`. */
export interface SelfHostedSchedulerProps extends SelfHostedComponentProps {
  /**
   * Replicas (leader election keeps one active).
   * @default 2
   */
  readonly replicas?: number;
}

/**
 * The self-hosted kube-scheduler: a Deployment of 2 replicas on the masters, spread over them, with a
 * PodDisruptionBudget keeping one; the static pod's flags (`schedulerFlags()`) with in-cluster credentials of its own
 * ServiceAccount, bound to the built-in `system:kube-scheduler` and `system:volume-scheduler` roles. No Secret.
 */
export class SelfHostedScheduler extends Construct {
  /** The resolved cluster. */
  public readonly cluster: ResolvedClusterSpec;
  /** Labels of every object and of the pods (`k8s-app: kube-scheduler`, `tier: control-plane`); also the selector. */
  public readonly labels = controlPlaneLabels('kube-scheduler');
  /** The container image. */
  public readonly image: string;
  /** Number of replicas (one leads). */
  public readonly replicas: number;
  /** The container's arguments (`--flag=value`, sorted). */
  public readonly args: string[];
  /** The Deployment (escape hatch). */
  public readonly apiObject: k8s.KubeDeployment;
  /** The Deployment; the same object as `apiObject`. */
  public readonly deployment: k8s.KubeDeployment;
  /** Keeps one replica through voluntary disruptions. */
  public readonly disruptionBudget: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: SelfHostedSchedulerProps) {
    super(scope, id);
    const spec = (this.cluster = resolveSpec(props.cluster));
    const labels = this.labels;
    this.replicas = checkPositive('replicas', props.replicas ?? 2);
    this.image = props.image ?? kubernetesImage(spec.imageRegistry, 'kube-scheduler', spec.kubernetesVersion);
    const flags = schedulerFlags(spec, ''); // in-cluster credentials: no kubeconfig flags
    flags['bind-address'] = '$(POD_IP)'; // pod network: see SelfHostedControllerManager
    this.args = componentArgs(this, {
      component: 'kube-scheduler',
      version: spec.kubernetesVersion,
      defaults: flags,
      extraArgs: props.extraArgs,
      removeArgs: props.removeArgs,
      hostNetwork: false,
    });

    const account = { name: 'kube-scheduler', namespace: KUBE_SYSTEM };
    serviceAccount(this, account.name, KUBE_SYSTEM, labels);
    bindClusterRole(this, 'cluster-role-binding', 'kube-scheduler', 'system:kube-scheduler', account, labels);
    bindClusterRole(
      this,
      'volume-scheduler',
      'kube-scheduler:volume-scheduler',
      'system:volume-scheduler',
      account,
      labels,
    );
    bindRole(
      this,
      'auth-reader',
      'kube-scheduler:extension-apiserver-authentication-reader',
      KUBE_SYSTEM,
      { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      account,
      labels,
    );
    this.disruptionBudget = minAvailableOne(this, 'disruption-budget', 'kube-scheduler', KUBE_SYSTEM, labels);

    this.apiObject = this.deployment = leaderElectedDeployment(this, {
      component: 'kube-scheduler',
      labels,
      replicas: this.replicas,
      image: this.image,
      args: this.args,
      port: SCHEDULER_PORT,
      resources: props.resources ?? { requests: { cpu: k8s.Quantity.fromString('100m') } },
    });
  }

  /** The value of a flag, or undefined. */
  public flag(name: string): string | undefined {
    return flagValue(this.args, name);
  }
}
