import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ControlPlaneRbac, ControlPlaneRbacProps } from '../control-plane';
import { ClusterSpec, ResolvedClusterSpec, resolveSpec } from '../spec';
import { SelfHostedApiServer, SelfHostedApiServerProps } from './self-hosted-api-server';
import { SelfHostedControllerManager, SelfHostedControllerManagerProps } from './self-hosted-controller-manager';
import { SelfHostedScheduler, SelfHostedSchedulerProps } from './self-hosted-scheduler';
import { SelfHostedTlsAssets } from './tls';

/** Per-component options (everything but the cluster and the PEMs). */
export type SelfHostedComponentOptions<P> = Omit<P, 'cluster' | 'tls'>;

/** Properties of `SelfHostedControlPlane`. */
export interface SelfHostedControlPlaneProps {
  /** The cluster. A plain `ClusterSpec` is validated and resolved. */
  readonly cluster: ClusterSpec | ResolvedClusterSpec;
  /** The PEMs (`ClusterPki.bootkubeAssets()`); each component's Secret gets only what it reads. */
  readonly tls: SelfHostedTlsAssets;
  /** Options for the API server DaemonSet. @default {} */
  readonly apiServer?: SelfHostedComponentOptions<SelfHostedApiServerProps>;
  /** Options for the controller manager Deployment. @default {} */
  readonly controllerManager?: SelfHostedComponentOptions<SelfHostedControllerManagerProps>;
  /** Options for the cluster RBAC (`ControlPlaneRbac`). @default {} */
  readonly rbac?: ControlPlaneRbacProps;
  /** Options for the scheduler Deployment. @default {} */
  readonly scheduler?: SelfHostedComponentOptions<SelfHostedSchedulerProps>;
}

/**
 * A bootkube-style self-hosted control plane: the API server as a DaemonSet on the masters (checkpointed), the
 * controller manager and the scheduler as 2-replica Deployments with disruption budgets, each with its own
 * ServiceAccount and built-in role (no `system:default-sa` cluster-admin binding), Secrets built from the PKI's PEMs,
 * and `ControlPlaneRbac` (the admin kubeconfig's group → cluster-admin; the API server's kubelet client →
 * `system:kubelet-api-admin`).
 * etcd stays outside, on the masters (`https://<master>:2379`). Start it with `BootstrapControlPlane`'s temporary
 * static pods (`bootkube start`); the add-ons (network, proxy, DNS, checkpointer) are separate constructs.
 */
export class SelfHostedControlPlane extends Construct {
  /** The resolved cluster. */
  public readonly cluster: ResolvedClusterSpec;
  /** The API server DaemonSet (with its Secret, ConfigMap, ServiceAccount and Service). */
  public readonly apiServer: SelfHostedApiServer;
  /** The controller manager Deployment (with its Secret, ServiceAccount and disruption budget). */
  public readonly controllerManager: SelfHostedControllerManager;
  /** The scheduler Deployment (with its ServiceAccount and disruption budget). */
  public readonly scheduler: SelfHostedScheduler;
  /** The cluster-scoped bindings the control plane needs (`ControlPlaneRbac`). */
  public readonly rbac: ControlPlaneRbac;

  constructor(scope: Construct, id: string, props: SelfHostedControlPlaneProps) {
    super(scope, id);
    this.cluster = resolveSpec(props.cluster);
    const common = { cluster: this.cluster, tls: props.tls };
    this.apiServer = new SelfHostedApiServer(this, 'kube-apiserver', { ...props.apiServer, ...common });
    this.controllerManager = new SelfHostedControllerManager(this, 'kube-controller-manager', {
      ...props.controllerManager,
      ...common,
    });
    this.scheduler = new SelfHostedScheduler(this, 'kube-scheduler', { ...props.scheduler, cluster: this.cluster });
    this.rbac = new ControlPlaneRbac(this, 'rbac', props.rbac);
  }

  /** The workloads of the three components (escape hatches): the API server's DaemonSet, then the two Deployments. */
  public get apiObjects(): ApiObject[] {
    return [this.apiServer.apiObject, this.controllerManager.apiObject, this.scheduler.apiObject];
  }
}
