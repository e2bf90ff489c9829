import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CONTROL_PLANE_TOLERATION,
  LINUX_NODE_SELECTOR,
  RESTRICTED_CONTAINER,
  RUNTIME_DEFAULT_POD_SECURITY,
  bindClusterRole,
  bindRole,
  createDeployment,
  emptyDirVolume,
  httpGetProbe,
  quantity,
  secretVolume,
  serviceAccount,
} from '../common';
import { checkImage, podSecurityLabels } from './_helpers';
import { PodSecurityLevel } from './app-namespace';
import { RETIRED_ANNOTATION } from './heapster';
import { AddonImages } from './images';

/** Properties of `Dashboard`. */
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
 * Runs in its own namespace (restricted Pod Security), serves and is probed on 8443 (HTTPS), and draws its graphs from
 * metrics-server through the scraper.
 */
export class Dashboard extends Construct {
  /** The dashboard's namespace (created by this construct). */
  public readonly namespace: string;
  /** The dashboard image. */
  public readonly image: string;
  /** The metrics scraper image. */
  public readonly metricsScraperImage: string;
  /** Labels of the dashboard's objects and pods (`k8s-app: kubernetes-dashboard`); also its selector. */
  public readonly labels: Record<string, string> = { 'k8s-app': 'kubernetes-dashboard' };
  /** Labels of the scraper's objects and pods (`k8s-app: dashboard-metrics-scraper`); also its selector. */
  public readonly scraperLabels: Record<string, string> = { 'k8s-app': 'dashboard-metrics-scraper' };
  /** The dashboard's Deployment (escape hatch). */
  public readonly apiObject: k8s.KubeDeployment;
  /** The dashboard's Deployment; the same object as `apiObject`. */
  public readonly deployment: k8s.KubeDeployment;
  /** The metrics scraper's Deployment. */
  public readonly metricsScraper: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: DashboardProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? 'kubernetes-dashboard';
    this.image = checkImage('image', props.image ?? AddonImages.dashboard);
    this.metricsScraperImage = checkImage(
      'metricsScraperImage',
      props.metricsScraperImage ?? AddonImages.dashboardMetricsScraper,
    );
    const ns = this.namespace;
    const labels = this.labels;
    const annotations = { [RETIRED_ANNOTATION]: 'Kubernetes Dashboard was archived on 2026-01-21; use Headlamp' };
    const sa = { name: 'kubernetes-dashboard', namespace: ns };

    new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: ns, labels: { ...labels, ...podSecurityLabels(PodSecurityLevel.RESTRICTED) }, annotations },
    });
    serviceAccount(this, 'kubernetes-dashboard', ns, labels);
    new k8s.KubeService(this, 'service', {
      metadata: { name: 'kubernetes-dashboard', namespace: ns, labels },
      spec: {
        selector: labels,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: k8s.IntOrString.fromString('https') }],
      },
    });
    for (const [id, name, data] of [
      ['certs', 'kubernetes-dashboard-certs', undefined],
      ['csrf', 'kubernetes-dashboard-csrf', { csrf: '' }],
      ['key-holder', 'kubernetes-dashboard-key-holder', undefined],
    ] as const) {
      new k8s.KubeSecret(this, id, { metadata: { name, namespace: ns, labels }, type: 'Opaque', data });
    }
    new k8s.KubeConfigMap(this, 'settings', {
      metadata: { name: 'kubernetes-dashboard-settings', namespace: ns, labels },
    });

    new k8s.KubeRole(this, 'role', {
      metadata: { name: 'kubernetes-dashboard', namespace: ns, labels },
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: ['kubernetes-dashboard-key-holder', 'kubernetes-dashboard-certs', 'kubernetes-dashboard-csrf'],
          verbs: ['get', 'update', 'delete'],
        },
        {
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: ['kubernetes-dashboard-settings'],
          verbs: ['get', 'update'],
        },
        { apiGroups: [''], resources: ['services'], resourceNames: ['dashboard-metrics-scraper'], verbs: ['proxy'] },
        {
          apiGroups: [''],
          resources: ['services/proxy'],
          resourceNames: ['dashboard-metrics-scraper', 'http:dashboard-metrics-scraper'],
          verbs: ['get'],
        },
      ],
    });
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'kubernetes-dashboard', labels },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
    });
    bindRole(
      this,
      'role-binding',
      'kubernetes-dashboard',
      ns,
      { kind: 'Role', name: 'kubernetes-dashboard' },
      sa,
      labels,
    );
    bindClusterRole(this, 'cluster-role-binding', 'kubernetes-dashboard', 'kubernetes-dashboard', sa, labels);

    const restricted: k8s.SecurityContext = {
      ...RESTRICTED_CONTAINER,
      runAsNonRoot: true,
      runAsUser: 1001,
      runAsGroup: 2001,
    };
    const podSpec = (spec: Pick<k8s.PodSpec, 'containers' | 'volumes'>): k8s.PodSpec => ({
      nodeSelector: LINUX_NODE_SELECTOR,
      tolerations: [CONTROL_PLANE_TOLERATION],
      serviceAccountName: 'kubernetes-dashboard',
      automountServiceAccountToken: true,
      securityContext: RUNTIME_DEFAULT_POD_SECURITY,
      ...spec,
    });
    const certs = secretVolume('kubernetes-dashboard-certs', 'kubernetes-dashboard-certs');
    const tmp = emptyDirVolume('tmp-volume');
    this.apiObject = this.deployment = createDeployment(this, 'deployment', {
      name: 'kubernetes-dashboard',
      namespace: ns,
      labels,
      annotations,
      replicas: 1,
      apiDefaults: true,
      podSpec: podSpec({
        containers: [
          {
            name: 'kubernetes-dashboard',
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            args: ['--auto-generate-certificates', `--namespace=${ns}`],
            ports: [{ containerPort: 8443, name: 'https', protocol: 'TCP' }],
            livenessProbe: httpGetProbe('/', 8443, { scheme: 'HTTPS', initialDelaySeconds: 30, timeoutSeconds: 30 }),
            resources: { requests: { cpu: quantity('50m'), memory: quantity('64Mi') } },
            securityContext: restricted,
            volumeMounts: [
              { name: certs.name, mountPath: '/certs' },
              { name: tmp.name, mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [certs, tmp],
      }),
    });

    new k8s.KubeService(this, 'scraper-service', {
      metadata: { name: 'dashboard-metrics-scraper', namespace: ns, labels: this.scraperLabels },
      spec: {
        selector: this.scraperLabels,
        ports: [{ port: 8000, protocol: 'TCP', targetPort: k8s.IntOrString.fromNumber(8000) }],
      },
    });
    this.metricsScraper = createDeployment(this, 'scraper', {
      name: 'dashboard-metrics-scraper',
      namespace: ns,
      labels: this.scraperLabels,
      annotations,
      replicas: 1,
      apiDefaults: true,
      podSpec: podSpec({
        containers: [
          {
            name: 'dashboard-metrics-scraper',
            image: this.metricsScraperImage,
            imagePullPolicy: 'IfNotPresent',
            ports: [{ containerPort: 8000, protocol: 'TCP' }],
            livenessProbe: httpGetProbe('/', 8000, { initialDelaySeconds: 30, timeoutSeconds: 30 }),
            resources: { requests: { cpu: quantity('10m'), memory: quantity('32Mi') } },
            securityContext: restricted,
            volumeMounts: [{ name: tmp.name, mountPath: '/tmp' }],
          },
        ],
        volumes: [tmp],
      }),
    });
  }
}
