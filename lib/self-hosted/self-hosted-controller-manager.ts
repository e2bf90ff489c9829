import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  KUBE_SYSTEM,
  RUNTIME_DEFAULT_POD_SECURITY,
  bindClusterRole,
  bindRole,
  checkPositive,
  componentArgs,
  flagValue,
  hostPathVolume,
  minAvailableOne,
  serviceAccount,
} from '../common';
import { CONTROLLER_MANAGER_PORT, controllerManagerFlags, kubernetesImage } from '../control-plane';
import { ResolvedClusterSpec, resolveSpec } from '../spec';
import { SelfHostedComponentProps, controlPlaneLabels, leaderElectedDeployment } from './_workload';
import {
  CONTROLLER_MANAGER_SECRET_KEYS,
  SECRETS_DIR,
  SelfHostedTlsAssets,
  controllerManagerPaths,
  secretData,
} from './tls';

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

/**
 * The self-hosted kube-controller-manager: a Deployment of 2 replicas on the masters, spread over them, with a
 * PodDisruptionBudget keeping one; the static pod's flags (`controllerManagerFlags()`) with in-cluster credentials of
 * its own ServiceAccount (no kubeconfig flags, unless the user gives them), bound to the built-in
 * `system:kube-controller-manager` role (not cluster-admin), and `--use-service-account-credentials`. Its Secret is the only place the CA key goes (CSR signing).
 */
export class SelfHostedControllerManager extends Construct {
  /** The resolved cluster. */
  public readonly cluster: ResolvedClusterSpec;
  /** Labels of every object and of the pods (`k8s-app: kube-controller-manager`, `tier: control-plane`); also the selector. */
  public readonly labels = controlPlaneLabels('kube-controller-manager');
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
  /** The Secret with the PEMs the controller manager reads (the only place of the CA key). */
  public readonly secret: k8s.KubeSecret;
  /** Keeps one replica through voluntary disruptions. */
  public readonly disruptionBudget: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: SelfHostedControllerManagerProps) {
    super(scope, id);
    const spec = (this.cluster = resolveSpec(props.cluster));
    const labels = this.labels;
    this.replicas = checkPositive('replicas', props.replicas ?? 2);
    this.image = props.image ?? kubernetesImage(spec.imageRegistry, 'kube-controller-manager', spec.kubernetesVersion);
    // In-cluster credentials: an empty kubeconfig path leaves out the kubeconfig flags.
    const flags = controllerManagerFlags(spec, controllerManagerPaths(SECRETS_DIR, ''));
    // Not on the host network: 127.0.0.1 would be the pod's own loopback, out of the kubelet probe's reach; bind
    // the pod IP only (the probe's default host), never 0.0.0.0.
    flags['bind-address'] = '$(POD_IP)';
    this.args = componentArgs(this, {
      component: 'kube-controller-manager',
      version: spec.kubernetesVersion,
      defaults: flags,
      extraArgs: props.extraArgs,
      removeArgs: props.removeArgs,
      hostNetwork: false,
    });

    const account = { name: 'kube-controller-manager', namespace: KUBE_SYSTEM };
    serviceAccount(this, account.name, KUBE_SYSTEM, labels);
    bindClusterRole(
      this,
      'cluster-role-binding',
      'kube-controller-manager',
      'system:kube-controller-manager',
      account,
      labels,
    );
    bindRole(
      this,
      'auth-reader',
      'kube-controller-manager:extension-apiserver-authentication-reader',
      KUBE_SYSTEM,
      { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      account,
      labels,
    );
    this.secret = new k8s.KubeSecret(this, 'secret', {
      metadata: { name: 'kube-controller-manager', namespace: KUBE_SYSTEM, labels },
      type: 'Opaque',
      stringData: secretData(props.tls, CONTROLLER_MANAGER_SECRET_KEYS),
    });
    this.disruptionBudget = minAvailableOne(this, 'disruption-budget', 'kube-controller-manager', KUBE_SYSTEM, labels);

    this.apiObject = this.deployment = leaderElectedDeployment(this, {
      component: 'kube-controller-manager',
      labels,
      replicas: this.replicas,
      image: this.image,
      args: this.args,
      port: CONTROLLER_MANAGER_PORT,
      resources: props.resources ?? { requests: { cpu: k8s.Quantity.fromString('200m') } },
      volumes: [
        {
          volume: { name: 'secrets', secret: { secretName: 'kube-controller-manager', defaultMode: 0o440 } },
          mount: { name: 'secrets', mountPath: SECRETS_DIR, readOnly: true },
        },
        {
          volume: hostPathVolume('ca-certs', '/etc/ssl/certs', 'DirectoryOrCreate'),
          mount: { name: 'ca-certs', mountPath: '/etc/ssl/certs', readOnly: true },
        },
      ],
      // fsGroup lets the non-root user read the 0440 Secret files.
      podSecurityContext: { ...RUNTIME_DEFAULT_POD_SECURITY, fsGroup: 65534 },
    });
  }

  /** The value of a flag, or undefined. */
  public flag(name: string): string | undefined {
    return flagValue(this.args, name);
  }
}
