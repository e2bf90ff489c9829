import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  KUBE_SYSTEM, RESTRICTED_CONTAINER, RUNTIME_DEFAULT_SECCOMP, bindClusterRole, checkImage, finishWorkload,
  serviceAccount, serviceAccountRef,
} from './_common';
import { AddonImages } from './images';

/** Annotation put on every retired or archived add-on's objects, with the successor to use. */
export const RETIRED_ANNOTATION = 'hacp.io/retired';

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
}

/**
 * heapster, the seed's metrics collector. **Retired**: deprecated in Kubernetes 1.11, retired in 1.13; `kubectl top`
 * and the dashboard no longer read it. Use `MetricsServer`. Kept as an explicit opt-in for old tooling; every object
 * carries the `hacp.io/retired` annotation.
 *
 * Reads the kubelets' summary API over HTTPS (port 10250) with its own ServiceAccount token (the seed used the
 * read-only port 10255 and the kube-system default ServiceAccount's cluster-admin rights).
 */
export class Heapster extends Construct {
  public readonly namespace: string;
  public readonly image: string;
  public readonly labels = { 'k8s-app': 'heapster', 'task': 'monitoring' };
  public readonly deployment: kplus.Deployment;

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
    bindClusterRole(this, 'cluster-role-binding', 'heapster', 'system:heapster', { name: 'heapster', namespace: ns }, labels);
    new k8s.KubeService(this, 'service', {
      metadata: { name: 'heapster', namespace: ns, labels: { ...labels, 'kubernetes.io/name': 'Heapster' }, annotations },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: k8s.IntOrString.fromNumber(8082) }] },
    });

    this.deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: 'heapster', namespace: ns, labels, annotations },
      replicas: 1,
      select: false,
      podMetadata: { labels },
      serviceAccount: serviceAccountRef(this, 'heapster'),
      automountServiceAccountToken: true,
      containers: [{
        name: 'heapster',
        image: this.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/heapster', "--source=kubernetes.summary_api:''?kubeletHttps=true&kubeletPort=10250&useServiceAccount=true"],
        ports: [{ number: 8082, name: 'http' }],
        liveness: kplus.Probe.fromHttpGet('/healthz', { port: 8082, initialDelaySeconds: Duration.seconds(180), timeoutSeconds: Duration.seconds(5) }),
        resources: { cpu: { request: kplus.Cpu.millis(80) }, memory: { request: Size.mebibytes(140) } },
      }],
    });
    finishWorkload(this.deployment, labels, {
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      securityContext: { seccompProfile: RUNTIME_DEFAULT_SECCOMP },
      containerSecurityContexts: [{ ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: 65534 }],
    });
  }
}
