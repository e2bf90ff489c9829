import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CONTROL_PLANE_TOLERATION, RESTRICTED_CONTAINER, RUNTIME_DEFAULT_SECCOMP, bindClusterRole, bindRole, checkImage,
  finishWorkload, podSecurityLabels, serviceAccount, serviceAccountRef,
} from './_common';
import { PodSecurityLevel } from './app-namespace';
import { RETIRED_ANNOTATION } from './heapster';
import { AddonImages } from './images';

export interface DashboardProps {
  /**
   * Dashboard image.
   * @default kubernetesui/dashboard:v2.7.0
   */
  readonly image?: string;
  /**
   * Metrics scraper image.
   * @default kubernetesui/metrics-scraper:v1.0.8
   */
  readonly metricsScraperImage?: string;
  /**
   * Namespace, created by this construct.
   * @default kubernetes-dashboard
   */
  readonly namespace?: string;
}

/**
 * Kubernetes Dashboard v2.7.0, the last release shipped as plain manifests (v7+ is Helm-only), with upstream's RBAC: a
 * Role limited to its own Secrets/ConfigMap and the scraper's service proxy, and read access to `metrics.k8s.io`.
 * Users log in with their own token, so the dashboard can do no more than they can.
 *
 * Status: **archived** upstream on 2026-01-21; the project recommends Headlamp (kubernetes-sigs/headlamp). Opt-in.
 * Compared with the seed: its own namespace instead of kube-system, the container port and the probe agree (8443,
 * HTTPS; the seed declared 9090 and probed 8443), and graphs come from metrics-server through the scraper (not heapster).
 */
export class Dashboard extends Construct {
  public readonly namespace: string;
  public readonly image: string;
  public readonly metricsScraperImage: string;
  public readonly labels = { 'k8s-app': 'kubernetes-dashboard' };
  public readonly scraperLabels = { 'k8s-app': 'dashboard-metrics-scraper' };
  public readonly deployment: kplus.Deployment;
  public readonly metricsScraper: kplus.Deployment;

  constructor(scope: Construct, id: string, props: DashboardProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? 'kubernetes-dashboard';
    this.image = checkImage('image', props.image ?? AddonImages.dashboard);
    this.metricsScraperImage = checkImage('metricsScraperImage', props.metricsScraperImage ?? AddonImages.dashboardMetricsScraper);
    const ns = this.namespace;
    const labels = this.labels;
    const annotations = { [RETIRED_ANNOTATION]: 'Kubernetes Dashboard was archived on 2026-01-21; use Headlamp' };
    const sa = { name: 'kubernetes-dashboard', namespace: ns };

    new k8s.KubeNamespace(this, 'namespace', { metadata: { name: ns, labels: { ...labels, ...podSecurityLabels(PodSecurityLevel.RESTRICTED) }, annotations } });
    serviceAccount(this, 'kubernetes-dashboard', ns, labels);
    new k8s.KubeService(this, 'service', {
      metadata: { name: 'kubernetes-dashboard', namespace: ns, labels },
      spec: { selector: labels, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: k8s.IntOrString.fromString('https') }] },
    });
    for (const [id, name, data] of [['certs', 'kubernetes-dashboard-certs', undefined], ['csrf', 'kubernetes-dashboard-csrf', { csrf: '' }], ['key-holder', 'kubernetes-dashboard-key-holder', undefined]] as const) {
      new k8s.KubeSecret(this, id, { metadata: { name, namespace: ns, labels }, type: 'Opaque', data });
    }
    new k8s.KubeConfigMap(this, 'settings', { metadata: { name: 'kubernetes-dashboard-settings', namespace: ns, labels } });

    new k8s.KubeRole(this, 'role', {
      metadata: { name: 'kubernetes-dashboard', namespace: ns, labels },
      rules: [
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['kubernetes-dashboard-key-holder', 'kubernetes-dashboard-certs', 'kubernetes-dashboard-csrf'], verbs: ['get', 'update', 'delete'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['kubernetes-dashboard-settings'], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['services'], resourceNames: ['dashboard-metrics-scraper'], verbs: ['proxy'] },
        { apiGroups: [''], resources: ['services/proxy'], resourceNames: ['dashboard-metrics-scraper', 'http:dashboard-metrics-scraper'], verbs: ['get'] },
      ],
    });
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'kubernetes-dashboard', labels },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
    });
    bindRole(this, 'role-binding', 'kubernetes-dashboard', ns, { kind: 'Role', name: 'kubernetes-dashboard' }, sa, labels);
    bindClusterRole(this, 'cluster-role-binding', 'kubernetes-dashboard', 'kubernetes-dashboard', sa, labels);

    const restricted: k8s.SecurityContext = { ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: 1001, runAsGroup: 2001 };
    const overrides = {
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [CONTROL_PLANE_TOLERATION],
      securityContext: { seccompProfile: RUNTIME_DEFAULT_SECCOMP },
      containerSecurityContexts: [restricted],
    };
    const saRef = serviceAccountRef(this, 'kubernetes-dashboard');
    const certs = kplus.Volume.fromSecret(this, 'certs-volume', kplus.Secret.fromSecretName(this, 'certs-ref', 'kubernetes-dashboard-certs'), { name: 'kubernetes-dashboard-certs' });
    this.deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: 'kubernetes-dashboard', namespace: ns, labels, annotations },
      replicas: 1,
      select: false,
      podMetadata: { labels },
      serviceAccount: saRef,
      automountServiceAccountToken: true,
      containers: [{
        name: 'kubernetes-dashboard',
        image: this.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args: ['--auto-generate-certificates', `--namespace=${ns}`],
        ports: [{ number: 8443, name: 'https', protocol: kplus.Protocol.TCP }],
        liveness: kplus.Probe.fromHttpGet('/', { port: 8443, scheme: kplus.ConnectionScheme.HTTPS, initialDelaySeconds: Duration.seconds(30), timeoutSeconds: Duration.seconds(30) }),
        resources: { cpu: { request: kplus.Cpu.millis(50) }, memory: { request: Size.mebibytes(64) } },
        volumeMounts: [
          { path: '/certs', volume: certs },
          { path: '/tmp', volume: kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp-volume') },
        ],
      }],
    });
    finishWorkload(this.deployment, labels, overrides);

    new k8s.KubeService(this, 'scraper-service', {
      metadata: { name: 'dashboard-metrics-scraper', namespace: ns, labels: this.scraperLabels },
      spec: { selector: this.scraperLabels, ports: [{ port: 8000, protocol: 'TCP', targetPort: k8s.IntOrString.fromNumber(8000) }] },
    });
    this.metricsScraper = new kplus.Deployment(this, 'scraper', {
      metadata: { name: 'dashboard-metrics-scraper', namespace: ns, labels: this.scraperLabels, annotations },
      replicas: 1,
      select: false,
      podMetadata: { labels: this.scraperLabels },
      serviceAccount: saRef,
      automountServiceAccountToken: true,
      containers: [{
        name: 'dashboard-metrics-scraper',
        image: this.metricsScraperImage,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        ports: [{ number: 8000, protocol: kplus.Protocol.TCP }],
        liveness: kplus.Probe.fromHttpGet('/', { port: 8000, initialDelaySeconds: Duration.seconds(30), timeoutSeconds: Duration.seconds(30) }),
        resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(32) } },
        volumeMounts: [{ path: '/tmp', volume: kplus.Volume.fromEmptyDir(this, 'scraper-tmp', 'tmp-volume') }],
      }],
    });
    finishWorkload(this.metricsScraper, this.scraperLabels, overrides);
  }
}
