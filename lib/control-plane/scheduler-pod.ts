import { Construct } from 'constructs';
import { KubeconfigPaths } from '../pki/paths';
import { ControlPlanePod, ControlPlanePodProps, localHealthzProbes, quantity } from './control-plane-pod';
import { SCHEDULER_PORT, schedulerFlags } from './flags';
import { kubernetesImage } from './image';

/** Properties of `SchedulerPod`. */
export interface SchedulerPodProps extends ControlPlanePodProps {}

/**
 * kube-scheduler of one master, as a static pod: leader election, its own kubeconfig to the local API server,
 * HTTPS on 127.0.0.1:10259 only, profiling off. It mounts nothing but its kubeconfig.
 */
export class SchedulerPod extends ControlPlanePod {
  constructor(scope: Construct, id: string, props: SchedulerPodProps) {
    super(scope, id, props, (spec) => ({
      component: 'kube-scheduler',
      image: kubernetesImage(spec.imageRegistry, 'kube-scheduler', spec.kubernetesVersion),
      command: ['kube-scheduler'],
      defaultFlags: schedulerFlags(spec),
      volumes: [{ name: 'kubeconfig', hostPath: KubeconfigPaths.scheduler, type: 'FileOrCreate' }],
      resources: { requests: { cpu: quantity('100m') } },
      probes: localHealthzProbes(SCHEDULER_PORT),
    }));
  }
}
