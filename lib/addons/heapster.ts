import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CONTROL_PLANE_TOLERATION,
  KUBE_SYSTEM,
  LINUX_NODE_SELECTOR,
  RESTRICTED_CONTAINER,
  RUNTIME_DEFAULT_POD_SECURITY,
  bindClusterRole,
  createDeployment,
  httpGetProbe,
  quantity,
  serviceAccount,
} from '../common';
import { checkImage } from './_helpers';
import { AddonImages } from './images';

/** Annotation put on every retired or archived add-on's objects, with the successor to use. */
export const RETIRED_ANNOTATION = 'hacp.io/retired';

/** Properties of the retired `Heapster`. */
export interface HeapsterProps {
  /**
   * Image.
   * @default k8s.gcr.io/heapster-amd64:v1.5.4 (the last stable release)
   */
  readonly image?: string;
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
 * heapster, a cluster metrics collector. **Retired**: deprecated in Kubernetes 1.11, retired in 1.13; `kubectl top`
 * and the dashboard no longer read it. Use `MetricsServer`. Kept as an explicit opt-in for old tooling; every object
 * carries the `hacp.io/retired` annotation.
 *
 * Reads the kubelets' summary API over HTTPS (port 10250; the read-only port is off) with its own ServiceAccount's
 * token, bound to a ClusterRole that only reads what heapster collects.
 */
export class Heapster extends Construct {
  /** Namespace of the namespaced objects. */
  public readonly namespace: string;
  /** The heapster image. */
  public readonly image: string;
  /** Labels of every object and of the pods (`k8s-app: heapster`, `task: monitoring`); also the selector. */
  public readonly labels: Record<string, string> = { 'k8s-app': 'heapster', task: 'monitoring' };
  /** The Deployment (escape hatch). */
  public readonly apiObject: k8s.KubeDeployment;
  /** The Deployment; the same object as `apiObject`. */
  public readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: HeapsterProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? KUBE_SYSTEM;
    this.image = checkImage('image', props.image ?? AddonImages.heapster);
    const ns = this.namespace;
    const labels = this.labels;
    const annotations = { [RETIRED_ANNOTATION]: 'heapster was retired in Kubernetes 1.13; use metrics-server' };

    const sa = serviceAccount(this, 'heapster', ns, labels);
    sa.metadata.addAnnotation(RETIRED_ANNOTATION, annotations[RETIRED_ANNOTATION]);
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'system:heapster', labels, annotations },
      rules: [
        { apiGroups: [''], resources: ['events', 'namespaces', 'nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/stats'], verbs: ['get'] },
      ],
    });
    bindClusterRole(
      this,
      'cluster-role-binding',
      'heapster',
      'system:heapster',
      { name: 'heapster', namespace: ns },
      labels,
    );
    new k8s.KubeService(this, 'service', {
      metadata: {
        name: 'heapster',
        namespace: ns,
        labels: { ...labels, 'kubernetes.io/name': 'Heapster' },
        annotations,
      },
      spec: {
        selector: labels,
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: k8s.IntOrString.fromNumber(8082) }],
      },
    });

    this.apiObject = this.deployment = createDeployment(this, 'deployment', {
      name: 'heapster',
      namespace: ns,
      labels,
      annotations,
      replicas: 1,
      apiDefaults: true,
      podSpec: {
        nodeSelector: LINUX_NODE_SELECTOR,
        ...(props.tolerateControlPlane ? { tolerations: [CONTROL_PLANE_TOLERATION] } : {}),
        serviceAccountName: 'heapster',
        automountServiceAccountToken: true,
        securityContext: RUNTIME_DEFAULT_POD_SECURITY,
        containers: [
          {
            name: 'heapster',
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            command: [
              '/heapster',
              "--source=kubernetes.summary_api:''?kubeletHttps=true&kubeletPort=10250&useServiceAccount=true",
            ],
            ports: [{ containerPort: 8082, name: 'http' }],
            livenessProbe: httpGetProbe('/healthz', 8082, { initialDelaySeconds: 180, timeoutSeconds: 5 }),
            resources: { requests: { cpu: quantity('80m'), memory: quantity('140Mi') } },
            securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: 65534 },
          },
        ],
      },
    });
  }
}
