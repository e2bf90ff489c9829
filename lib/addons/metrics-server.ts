import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CONTROL_PLANE_TOLERATION,
  KUBE_SYSTEM,
  LINUX_NODE_SELECTOR,
  RESTRICTED_CONTAINER,
  RUNTIME_DEFAULT_POD_SECURITY,
  bindClusterRole,
  bindRole,
  checkPositive,
  createDeployment,
  emptyDirVolume,
  httpGetProbe,
  minAvailableOne,
  quantity,
  serviceAccount,
  spreadOverNodes,
} from '../common';
import { checkImage } from './_helpers';
import { AddonImages } from './images';

/** Properties of `MetricsServer`. */
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
  /**
   * Tolerate the control-plane taint, for clusters without workers (masters only): no node would take its pod
   * otherwise. With workers, leave it off, so that it stays on them.
   * @default false
   */
  readonly tolerateControlPlane?: boolean;
}

/**
 * metrics-server, the resource-metrics API (`metrics.k8s.io`) behind `kubectl top` and autoscaling: heapster's
 * replacement. Needs the API server's aggregation layer (front-proxy flags) and kubelet webhook authentication.
 */
export class MetricsServer extends Construct {
  /** Namespace of the namespaced objects. */
  public readonly namespace: string;
  /** The metrics-server image. */
  public readonly image: string;
  /** Labels of every object and of the pods (`k8s-app: metrics-server`); also the selector. */
  public readonly labels: Record<string, string> = { 'k8s-app': 'metrics-server' };
  /** The Deployment (escape hatch). */
  public readonly apiObject: k8s.KubeDeployment;
  /** The Deployment; the same object as `apiObject`. */
  public readonly deployment: k8s.KubeDeployment;

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
    bindClusterRole(
      this,
      'auth-delegator',
      'metrics-server:system:auth-delegator',
      'system:auth-delegator',
      sa,
      labels,
    );
    bindRole(
      this,
      'auth-reader',
      'metrics-server-auth-reader',
      KUBE_SYSTEM,
      { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      sa,
      labels,
    );

    new k8s.KubeService(this, 'service', {
      metadata: { name: 'metrics-server', namespace: ns, labels },
      spec: {
        selector: labels,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: k8s.IntOrString.fromString('https') }],
      },
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

    const tmp = emptyDirVolume('tmp-dir');
    this.apiObject = this.deployment = createDeployment(this, 'deployment', {
      name: 'metrics-server',
      namespace: ns,
      labels,
      replicas,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: k8s.IntOrString.fromString('25%'), maxUnavailable: k8s.IntOrString.fromNumber(0) },
      },
      apiDefaults: true,
      podSpec: {
        priorityClassName: 'system-cluster-critical',
        nodeSelector: LINUX_NODE_SELECTOR,
        ...(props.tolerateControlPlane ? { tolerations: [CONTROL_PLANE_TOLERATION] } : {}),
        affinity: replicas > 1 ? spreadOverNodes(labels) : undefined,
        serviceAccountName: 'metrics-server',
        automountServiceAccountToken: true,
        securityContext: RUNTIME_DEFAULT_POD_SECURITY,
        containers: [
          {
            name: 'metrics-server',
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            args: [
              '--cert-dir=/tmp',
              '--secure-port=10250',
              '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
              '--kubelet-use-node-status-port',
              '--metric-resolution=15s',
              ...(props.kubeletInsecureTls ? ['--kubelet-insecure-tls'] : []),
            ],
            ports: [{ containerPort: 10250, name: 'https', protocol: 'TCP' }],
            livenessProbe: httpGetProbe('/livez', 10250, { scheme: 'HTTPS', periodSeconds: 10 }),
            readinessProbe: httpGetProbe('/readyz', 10250, {
              scheme: 'HTTPS',
              initialDelaySeconds: 20,
              periodSeconds: 10,
            }),
            resources: { requests: { cpu: quantity('100m'), memory: quantity('200Mi') } },
            securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: 1000 },
            volumeMounts: [{ name: tmp.name, mountPath: '/tmp' }],
          },
        ],
        volumes: [tmp],
      },
    });
    if (replicas > 1) minAvailableOne(this, 'pdb', 'metrics-server', ns, labels);
  }
}
