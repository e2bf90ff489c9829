import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { KUBE_SYSTEM, bindClusterRole, bindRole, checkPositive, minAvailableOne, serviceAccount } from '../addons/_common';
import { CONTROLLER_MANAGER_PORT, controllerManagerFlags, flagValue, kubernetesImage, renderFlags } from '../control-plane';
import { ResolvedClusterSpec, resolveSpec } from '../spec';
import { SelfHostedComponentProps, controlPlaneLabels, leaderElectedDeployment } from './_workload';
import { CONTROLLER_MANAGER_SECRET_KEYS, SECRETS_DIR, SelfHostedTlsAssets, controllerManagerPaths, secretData } from './tls';

/** Properties of `SelfHostedControllerManager`. */
export interface SelfHostedControllerManagerProps extends SelfHostedComponentProps {
  /** The PEMs; the Secret gets the CA certificate and key (CSR signing), the service-account key and the front-proxy CA. */
  readonly tls: SelfHostedTlsAssets;
  /**
   * Replicas (leader election keeps one active).
   * @default 2
   */
  readonly replicas?: number;
}

/** Flags that point at a kubeconfig file: dropped, the self-hosted pods use their ServiceAccount (in-cluster config). */
export const IN_CLUSTER_DROPPED_FLAGS = ['kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig'];

/**
 * The self-hosted kube-controller-manager: a Deployment of 2 replicas on the masters, spread over them, with a
 * PodDisruptionBudget keeping one; the static pod's flags (`controllerManagerFlags()`) with in-cluster credentials of
 * its own ServiceAccount (bound to the built-in `system:kube-controller-manager` role, not cluster-admin) and
 * `--use-service-account-credentials`. Its Secret is the only place the CA key goes (CSR signing).
 */
export class SelfHostedControllerManager extends Construct {
  public readonly cluster: ResolvedClusterSpec;
  public readonly labels = controlPlaneLabels('kube-controller-manager');
  public readonly image: string;
  public readonly replicas: number;
  public readonly args: string[];
  public readonly deployment: k8s.KubeDeployment;
  public readonly secret: k8s.KubeSecret;
  public readonly disruptionBudget: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: SelfHostedControllerManagerProps) {
    super(scope, id);
    const spec = this.cluster = resolveSpec(props.cluster);
    const labels = this.labels;
    this.replicas = checkPositive('replicas', props.replicas ?? 2);
    this.image = props.image ?? kubernetesImage(spec.imageRegistry, 'kube-controller-manager', spec.kubernetesVersion);
    const flags = controllerManagerFlags(spec, controllerManagerPaths(SECRETS_DIR, ''));
    // Not on the host network: 127.0.0.1 would be the pod's own loopback, out of the kubelet probe's reach; bind
    // the pod IP only (the probe's default host), never 0.0.0.0.
    flags['bind-address'] = '$(POD_IP)';
    this.args = renderFlags(flags, props.extraArgs, [...IN_CLUSTER_DROPPED_FLAGS, ...(props.removeArgs ?? [])]);

    const sa = { name: 'kube-controller-manager', namespace: KUBE_SYSTEM };
    serviceAccount(this, sa.name, KUBE_SYSTEM, labels);
    bindClusterRole(this, 'cluster-role-binding', 'kube-controller-manager', 'system:kube-controller-manager', sa, labels);
    bindRole(this, 'auth-reader', 'kube-controller-manager:extension-apiserver-authentication-reader', KUBE_SYSTEM,
      { kind: 'Role', name: 'extension-apiserver-authentication-reader' }, sa, labels);
    this.secret = new k8s.KubeSecret(this, 'secret', {
      metadata: { name: 'kube-controller-manager', namespace: KUBE_SYSTEM, labels },
      type: 'Opaque',
      stringData: secretData(props.tls, CONTROLLER_MANAGER_SECRET_KEYS),
    });
    this.disruptionBudget = minAvailableOne(this, 'disruption-budget', 'kube-controller-manager', KUBE_SYSTEM, labels);

    this.deployment = leaderElectedDeployment(this, {
      component: 'kube-controller-manager', labels, replicas: this.replicas, image: this.image, args: this.args,
      port: CONTROLLER_MANAGER_PORT,
      resources: props.resources ?? { requests: { cpu: k8s.Quantity.fromString('200m') } },
      volumes: [
        { volume: { name: 'secrets', secret: { secretName: 'kube-controller-manager', defaultMode: 0o440 } }, mount: { name: 'secrets', mountPath: SECRETS_DIR, readOnly: true } },
        { volume: { name: 'ca-certs', hostPath: { path: '/etc/ssl/certs', type: 'DirectoryOrCreate' } }, mount: { name: 'ca-certs', mountPath: '/etc/ssl/certs', readOnly: true } },
      ],
      // fsGroup lets the non-root user read the 0440 Secret files.
      podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 65534 },
    });
  }

  public flag(name: string): string | undefined {
    return flagValue(this.args, name);
  }
}
