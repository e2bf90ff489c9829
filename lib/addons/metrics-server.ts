import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  KUBE_SYSTEM, RESTRICTED_CONTAINER, RUNTIME_DEFAULT_SECCOMP, bindClusterRole, bindRole, checkImage, checkPositive,
  finishWorkload, minAvailableOne, serviceAccount, serviceAccountRef, spreadOverNodes,
} from './_common';
import { AddonImages } from './images';

export interface MetricsServerProps {
  /**
   * Image.
   * @default registry.k8s.io/metrics-server/metrics-server:v0.9.0
   */
  readonly image?: string;
  /**
   * Replicas (2 or more adds a PodDisruptionBudget).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Skip verifying kubelet serving certificates. Leave off when the kubelets serve certificates signed by the cluster CA.
   * @default false
   */
  readonly kubeletInsecureTls?: boolean;
  /**
   * Namespace.
   * @default kube-system
   */
  readonly namespace?: string;
}

/**
 * metrics-server, the resource-metrics API (`metrics.k8s.io`) behind `kubectl top` and autoscaling: heapster's
 * replacement. Needs the API server's aggregation layer (front-proxy flags) and kubelet webhook authentication.
 */
export class MetricsServer extends Construct {
  public readonly namespace: string;
  public readonly image: string;
  public readonly labels = { 'k8s-app': 'metrics-server' };
  public readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: MetricsServerProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? KUBE_SYSTEM;
    this.image = checkImage('image', props.image ?? AddonImages.metricsServer);
    const replicas = checkPositive('replicas', props.replicas ?? 1);
    const ns = this.namespace;
    const labels = this.labels;
    const sa = { name: 'metrics-server', namespace: ns };

    serviceAccount(this, 'metrics-server', ns, labels);
    new k8s.KubeClusterRole(this, 'aggregated-reader', {
      metadata: {
        name: 'system:aggregated-metrics-reader',
        labels: {
          ...labels,
          'rbac.authorization.k8s.io/aggregate-to-view': 'true',
          'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
          'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        },
      },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
    });
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'system:metrics-server', labels },
      rules: [
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    bindClusterRole(this, 'cluster-role-binding', 'system:metrics-server', 'system:metrics-server', sa, labels);
    bindClusterRole(this, 'auth-delegator', 'metrics-server:system:auth-delegator', 'system:auth-delegator', sa, labels);
    bindRole(this, 'auth-reader', 'metrics-server-auth-reader', KUBE_SYSTEM, { kind: 'Role', name: 'extension-apiserver-authentication-reader' }, sa, labels);

    new k8s.KubeService(this, 'service', {
      metadata: { name: 'metrics-server', namespace: ns, labels },
      spec: { selector: labels, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: k8s.IntOrString.fromString('https') }] },
    });
    new k8s.KubeApiService(this, 'api-service', {
      metadata: { name: 'v1beta1.metrics.k8s.io', labels },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        groupPriorityMinimum: 100,
        versionPriority: 100,
        // metrics-server serves a self-signed certificate from its emptyDir (upstream's default).
        insecureSkipTlsVerify: true,
        service: { name: 'metrics-server', namespace: ns },
      },
    });

    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp-dir');
    this.deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: 'metrics-server', namespace: ns, labels },
      replicas,
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      select: false,
      podMetadata: { labels },
      serviceAccount: serviceAccountRef(this, 'metrics-server'),
      automountServiceAccountToken: true,
      containers: [{
        name: 'metrics-server',
        image: this.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args: [
          '--cert-dir=/tmp',
          '--secure-port=10250',
          '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
          '--kubelet-use-node-status-port',
          '--metric-resolution=15s',
          ...(props.kubeletInsecureTls ? ['--kubelet-insecure-tls'] : []),
        ],
        ports: [{ number: 10250, name: 'https', protocol: kplus.Protocol.TCP }],
        liveness: kplus.Probe.fromHttpGet('/livez', { port: 10250, scheme: kplus.ConnectionScheme.HTTPS, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
        readiness: kplus.Probe.fromHttpGet('/readyz', { port: 10250, scheme: kplus.ConnectionScheme.HTTPS, initialDelaySeconds: Duration.seconds(20), periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
        resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(200) } },
        volumeMounts: [{ path: '/tmp', volume: tmp }],
      }],
    });
    finishWorkload(this.deployment, labels, {
      priorityClassName: 'system-cluster-critical',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      affinity: replicas > 1 ? spreadOverNodes(labels) : undefined,
      securityContext: { seccompProfile: RUNTIME_DEFAULT_SECCOMP },
      containerSecurityContexts: [{ ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: 1000 }],
    });
    if (replicas > 1) minAvailableOne(this, 'pdb', 'metrics-server', ns, labels);
  }
}
