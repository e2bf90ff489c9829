import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { ClusterSpec, NodeSpec, ResolvedClusterSpec } from '../spec';
import { ApiServerPod, ApiServerPodProps, HostFile } from './api-server-pod';
import { ControlPlanePod, resolveMaster } from './control-plane-pod';
import { ControllerManagerPod, ControllerManagerPodProps } from './controller-manager-pod';
import { EtcdStaticPod, EtcdStaticPodProps } from './etcd-static-pod';
import { SchedulerPod, SchedulerPodProps } from './scheduler-pod';

/** Per-component customisation for `StaticControlPlane` (everything but the cluster and the master). */
export type ComponentOptions<P> = Omit<P, 'cluster' | 'master'>;

/** Properties of `StaticControlPlane`. */
export interface StaticControlPlaneProps {
  /** The cluster. */
  readonly cluster: ClusterSpec | ResolvedClusterSpec;
  /** The master this control plane runs on. */
  readonly master: string;
  /** Options for the etcd member. @default {} */
  readonly etcd?: ComponentOptions<EtcdStaticPodProps>;
  /** Options for kube-apiserver. @default {} */
  readonly apiServer?: ComponentOptions<ApiServerPodProps>;
  /** Options for kube-controller-manager. @default {} */
  readonly controllerManager?: ComponentOptions<ControllerManagerPodProps>;
  /** Options for kube-scheduler. @default {} */
  readonly scheduler?: ComponentOptions<SchedulerPodProps>;
}

/**
 * The complete static-pod control plane of one master: its etcd member, kube-apiserver, kube-controller-manager and
 * kube-scheduler, as four Pods for the kubelet's `/etc/kubernetes/manifests`.
 */
export class StaticControlPlane extends Construct {
  /** The resolved cluster. */
  public readonly cluster: ResolvedClusterSpec;
  /** The master this control plane runs on. */
  public readonly master: NodeSpec;
  /** The master's etcd member (`etcd.yaml`). */
  public readonly etcd: EtcdStaticPod;
  /** The master's API server (`kube-apiserver.yaml`). */
  public readonly apiServer: ApiServerPod;
  /** The master's controller manager (`kube-controller-manager.yaml`). */
  public readonly controllerManager: ControllerManagerPod;
  /** The master's scheduler (`kube-scheduler.yaml`). */
  public readonly scheduler: SchedulerPod;

  constructor(scope: Construct, id: string, props: StaticControlPlaneProps) {
    super(scope, id);
    const { spec, master } = resolveMaster(props);
    this.cluster = spec;
    this.master = master;
    const base = { cluster: spec, master: master.name };
    this.etcd = new EtcdStaticPod(this, 'etcd', { ...props.etcd, ...base });
    this.apiServer = new ApiServerPod(this, 'kube-apiserver', { ...props.apiServer, ...base });
    this.controllerManager = new ControllerManagerPod(this, 'kube-controller-manager', {
      ...props.controllerManager,
      ...base,
    });
    this.scheduler = new SchedulerPod(this, 'kube-scheduler', { ...props.scheduler, ...base });
  }

  /** The four pods, in start order. */
  public get pods(): ControlPlanePod[] {
    return [this.etcd, this.apiServer, this.controllerManager, this.scheduler];
  }

  /** The four pods (escape hatches), in start order. */
  public get apiObjects(): k8s.KubePod[] {
    return this.pods.map((pod) => pod.apiObject);
  }

  /** Host files the pods read that are not PKI (the API server's audit policy and authentication configuration). */
  public hostFiles(): HostFile[] {
    return this.apiServer.hostFiles();
  }
}
