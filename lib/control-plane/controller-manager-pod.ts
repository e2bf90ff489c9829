import { Construct } from 'constructs';
import { KubeconfigPaths, PKI_DIR } from '../pki/paths';
import { ControlPlanePod, ControlPlanePodProps, localHealthzProbes, quantity } from './control-plane-pod';
import { CONTROLLER_MANAGER_PORT, controllerManagerFlags } from './flags';
import { kubernetesImage } from './image';

/** Properties of `ControllerManagerPod`. */
export interface ControllerManagerPodProps extends ControlPlanePodProps {}

/**
 * kube-controller-manager of one master, as a static pod.
 *
 * Leader election (one active instance per cluster), its own kubeconfig to the local API server, a per-controller
 * service-account identity, node CIDR allocation from the pod range, CSR signing with the cluster CA (kubelet
 * certificate rotation), HTTPS on 127.0.0.1:10257 only, profiling off; `--cloud-provider=external` when the cluster
 * uses a cloud controller manager.
 */
export class ControllerManagerPod extends ControlPlanePod {
  constructor(scope: Construct, id: string, props: ControllerManagerPodProps) {
    super(scope, id, props, (spec) => ({
      component: 'kube-controller-manager',
      image: kubernetesImage(spec.imageRegistry, 'kube-controller-manager', spec.kubernetesVersion),
      command: ['kube-controller-manager'],
      defaultFlags: controllerManagerFlags(spec),
      volumes: [
        { name: 'k8s-certs', hostPath: PKI_DIR },
        { name: 'ca-certs', hostPath: '/etc/ssl/certs' },
        { name: 'kubeconfig', hostPath: KubeconfigPaths.controllerManager, type: 'FileOrCreate' },
      ],
      resources: { requests: { cpu: quantity('200m') } },
      probes: localHealthzProbes(CONTROLLER_MANAGER_PORT),
    }));
  }
}
