import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CONTROL_PLANE_TOLERATION,
  CRITICAL_ADDONS_TOLERATION,
  KUBE_SYSTEM,
  LINUX_NODE_SELECTOR,
  RESTRICTED_CONTAINER,
  RUNTIME_DEFAULT_POD_SECURITY,
  bindClusterRole,
  checkPositive,
  createDeployment,
  serviceAccount,
  spreadOverNodes,
} from '../common';
import { isIp } from '../spec/network';
import { checkImage } from './_helpers';
import { RETIRED_ANNOTATION } from './heapster';
import { AddonImages } from './images';

/** Cluster DNS servers. */
export enum DnsProvider {
  /** CoreDNS, the default since Kubernetes 1.13. */
  COREDNS = 'coredns',
  /**
   * kube-dns (kubedns + dnsmasq + sidecar). **Retired**: kubeadm dropped it in 1.21 and its images are unmaintained;
   * its Deployment carries the `hacp.io/retired` annotation.
   */
  KUBE_DNS = 'kube-dns',
}

/** The three kube-dns images. */
export interface KubeDnsImages {
  /** The `kubedns` container: watches Services and Endpoints, answers on 10053. @default registry.k8s.io/dns/k8s-dns-kube-dns:1.26.7 */
  readonly kubeDns?: string;
  /** The `dnsmasq` container: the cache on port 53 in front of kubedns. @default registry.k8s.io/dns/k8s-dns-dnsmasq-nanny:1.26.7 */
  readonly dnsmasqNanny?: string;
  /** The `sidecar` container: health checks and metrics. @default registry.k8s.io/dns/k8s-dns-sidecar:1.26.7 */
  readonly sidecar?: string;
}

/** Properties of `Dns`. */
export interface DnsProps {
  /**
   * ClusterIP of the `kube-dns` Service: the tenth address of the service CIDR, which must equal the kubelets'
   * `clusterDNS` (use `ResolvedClusterSpec.dnsServiceIp`).
   */
  readonly clusterIp: string;
  /**
   * Cluster domain.
   * @default cluster.local
   */
  readonly clusterDomain?: string;
  /**
   * Which DNS server.
   * @default DnsProvider.COREDNS
   */
  readonly provider?: DnsProvider;
  /**
   * Replicas, spread over nodes.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * CoreDNS image (provider COREDNS).
   * @default registry.k8s.io/coredns/coredns:v1.13.1
   */
  readonly image?: string;
  /**
   * kube-dns images (provider KUBE_DNS).
   * @default - the 1.26.7 images
   */
  readonly kubeDnsImages?: KubeDnsImages;
  /**
   * Namespace.
   * @default kube-system
   */
  readonly namespace?: string;
}

/** The DNS ports of the Service and the server container. */
const DNS_PORTS = [
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'dns-tcp', port: 53, protocol: 'TCP' },
];

/**
 * Cluster DNS: a Deployment (CoreDNS by default, kube-dns selectable) behind the Service `kube-dns` at `clusterIp`, with
 * its own ServiceAccount and read-only RBAC. Pods carry `k8s-app: kube-dns` whichever server runs, so tooling that
 * looks for that label keeps working.
 */
export class Dns extends Construct {
  /** Which DNS server runs. */
  public readonly provider: DnsProvider;
  /** ClusterIP of the `kube-dns` Service (the kubelets' `clusterDNS`). */
  public readonly clusterIp: string;
  /** The cluster domain the server is authoritative for. */
  public readonly clusterDomain: string;
  /** Namespace of every DNS object. */
  public readonly namespace: string;
  /** Number of replicas. */
  public readonly replicas: number;
  /** Labels of every object and of the pods (`k8s-app: kube-dns`, whichever server runs); also the selector. */
  public readonly labels: Record<string, string> = { 'k8s-app': 'kube-dns' };
  /** The Deployment (escape hatch). */
  public readonly apiObject: k8s.KubeDeployment;
  /** The Deployment; the same object as `apiObject`. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service `kube-dns` at `clusterIp` (UDP and TCP 53). */
  public readonly service: k8s.KubeService;

  constructor(scope: Construct, id: string, props: DnsProps) {
    super(scope, id);
    if (!isIp(props.clusterIp)) throw new Error(`clusterIp: '${props.clusterIp}' is not an IP address`);
    this.clusterIp = props.clusterIp;
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    this.provider = props.provider ?? DnsProvider.COREDNS;
    if (!Object.values(DnsProvider).includes(this.provider)) {
      throw new Error(`provider: '${this.provider}' is not one of ${Object.values(DnsProvider).join(', ')}`);
    }
    this.replicas = checkPositive('replicas', props.replicas ?? 2);
    this.namespace = props.namespace ?? KUBE_SYSTEM;
    const ns = this.namespace;
    const labels = this.labels;
    const name = this.provider; // Deployment and ServiceAccount: `coredns` or `kube-dns`

    serviceAccount(this, name, ns, labels);
    const pod = this.provider === DnsProvider.COREDNS ? this.coreDns(props, labels) : this.kubeDns(props, labels);

    this.apiObject = this.deployment = createDeployment(this, 'deployment', {
      name,
      namespace: ns,
      labels,
      ...(this.provider === DnsProvider.KUBE_DNS
        ? {
            annotations: {
              [RETIRED_ANNOTATION]:
                'kube-dns is retired (kubeadm dropped it in Kubernetes 1.21; its images are unmaintained); use CoreDNS',
            },
          }
        : {}),
      replicas: this.replicas,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1), maxSurge: k8s.IntOrString.fromString('10%') },
      },
      podSpec: {
        serviceAccountName: name,
        automountServiceAccountToken: true,
        priorityClassName: 'system-cluster-critical',
        dnsPolicy: 'Default',
        nodeSelector: LINUX_NODE_SELECTOR,
        tolerations: [CRITICAL_ADDONS_TOLERATION, CONTROL_PLANE_TOLERATION],
        affinity: spreadOverNodes(labels),
        securityContext: RUNTIME_DEFAULT_POD_SECURITY,
        ...pod,
      },
    });
    this.service = new k8s.KubeService(this, 'service', {
      metadata: {
        name: 'kube-dns',
        namespace: ns,
        labels: { ...labels, 'kubernetes.io/name': this.provider === DnsProvider.COREDNS ? 'CoreDNS' : 'KubeDNS' },
      },
      spec: {
        selector: labels,
        clusterIp: this.clusterIp,
        ports: [
          ...DNS_PORTS,
          ...(this.provider === DnsProvider.COREDNS ? [{ name: 'metrics', port: 9153, protocol: 'TCP' }] : []),
        ].map((servicePort) => ({ ...servicePort, targetPort: k8s.IntOrString.fromNumber(servicePort.port) })),
      },
    });
  }

  /** CoreDNS's RBAC and Corefile ConfigMap; returns its container and volume. */
  private coreDns(props: DnsProps, labels: Record<string, string>): Pick<k8s.PodSpec, 'containers' | 'volumes'> {
    const image = checkImage('image', props.image ?? AddonImages.coreDns);
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'system:coredns', labels },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    });
    bindClusterRole(
      this,
      'cluster-role-binding',
      'system:coredns',
      'system:coredns',
      { name: 'coredns', namespace: this.namespace },
      labels,
    );
    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'coredns', namespace: this.namespace, labels },
      data: { Corefile: corefile(this.clusterDomain) },
    });
    return {
      containers: [
        {
          name: 'coredns',
          image,
          imagePullPolicy: 'IfNotPresent',
          args: ['-conf', '/etc/coredns/Corefile'],
          ports: [
            { name: 'dns', containerPort: 53, protocol: 'UDP' },
            { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
          ],
          livenessProbe: {
            httpGet: { path: '/health', port: k8s.IntOrString.fromNumber(8080), scheme: 'HTTP' },
            initialDelaySeconds: 60,
            timeoutSeconds: 5,
            successThreshold: 1,
            failureThreshold: 5,
          },
          readinessProbe: { httpGet: { path: '/ready', port: k8s.IntOrString.fromNumber(8181), scheme: 'HTTP' } },
          resources: {
            requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('70Mi') },
            limits: { memory: k8s.Quantity.fromString('170Mi') },
          },
          // The image's binary carries the file capability to bind port 53 as a non-root user.
          securityContext: {
            ...RESTRICTED_CONTAINER,
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
          },
          volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
        },
      ],
      volumes: [
        { name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } },
      ],
    };
  }

  /** kube-dns's RBAC and ConfigMap; returns its three containers and volume. */
  private kubeDns(props: DnsProps, labels: Record<string, string>): Pick<k8s.PodSpec, 'containers' | 'volumes'> {
    const images = props.kubeDnsImages ?? {};
    const domain = this.clusterDomain;
    bindClusterRole(
      this,
      'cluster-role-binding',
      'kube-dns',
      'system:kube-dns',
      { name: 'kube-dns', namespace: this.namespace },
      labels,
    );
    new k8s.KubeConfigMap(this, 'config', { metadata: { name: 'kube-dns', namespace: this.namespace, labels } });
    const quantity = k8s.Quantity.fromString;
    const port = k8s.IntOrString.fromNumber;
    const nonRoot: k8s.SecurityContext = {
      ...RESTRICTED_CONTAINER,
      runAsNonRoot: true,
      runAsUser: 1001,
      runAsGroup: 1001,
    };
    return {
      containers: [
        {
          name: 'kubedns',
          image: checkImage('kubeDnsImages.kubeDns', images.kubeDns ?? AddonImages.kubeDns),
          imagePullPolicy: 'IfNotPresent',
          args: [`--domain=${domain}.`, '--dns-port=10053', '--config-dir=/kube-dns-config', '--v=2'],
          env: [{ name: 'PROMETHEUS_PORT', value: '10055' }],
          ports: [
            { name: 'dns-local', containerPort: 10053, protocol: 'UDP' },
            { name: 'dns-tcp-local', containerPort: 10053, protocol: 'TCP' },
            { name: 'metrics', containerPort: 10055, protocol: 'TCP' },
          ],
          livenessProbe: {
            httpGet: { path: '/healthcheck/kubedns', port: port(10054), scheme: 'HTTP' },
            initialDelaySeconds: 60,
            timeoutSeconds: 5,
            failureThreshold: 5,
          },
          readinessProbe: {
            httpGet: { path: '/readiness', port: port(8081), scheme: 'HTTP' },
            initialDelaySeconds: 3,
            timeoutSeconds: 5,
          },
          resources: {
            requests: { cpu: quantity('100m'), memory: quantity('70Mi') },
            limits: { memory: quantity('170Mi') },
          },
          securityContext: nonRoot,
          volumeMounts: [{ name: 'kube-dns-config', mountPath: '/kube-dns-config', readOnly: true }],
        },
        {
          name: 'dnsmasq',
          image: checkImage('kubeDnsImages.dnsmasqNanny', images.dnsmasqNanny ?? AddonImages.kubeDnsDnsmasqNanny),
          imagePullPolicy: 'IfNotPresent',
          args: [
            '-v=2',
            '-logtostderr',
            '-configDir=/etc/k8s/dns/dnsmasq-nanny',
            '-restartDnsmasq=true',
            '--',
            '-k',
            '--cache-size=1000',
            '--no-negcache',
            '--dns-loop-detect',
            '--log-facility=-',
            `--server=/${domain}/127.0.0.1#10053`,
            '--server=/in-addr.arpa/127.0.0.1#10053',
            '--server=/ip6.arpa/127.0.0.1#10053',
          ],
          ports: [
            { name: 'dns', containerPort: 53, protocol: 'UDP' },
            { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
          ],
          livenessProbe: {
            httpGet: { path: '/healthcheck/dnsmasq', port: port(10054), scheme: 'HTTP' },
            initialDelaySeconds: 60,
            timeoutSeconds: 5,
            failureThreshold: 5,
          },
          resources: { requests: { cpu: quantity('150m'), memory: quantity('20Mi') } },
          // dnsmasq binds 53 and drops to its own user: root with only those two capabilities.
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'SETGID'] },
          },
          volumeMounts: [{ name: 'kube-dns-config', mountPath: '/etc/k8s/dns/dnsmasq-nanny', readOnly: true }],
        },
        {
          name: 'sidecar',
          image: checkImage('kubeDnsImages.sidecar', images.sidecar ?? AddonImages.kubeDnsSidecar),
          imagePullPolicy: 'IfNotPresent',
          args: [
            '--v=2',
            '--logtostderr',
            `--probe=kubedns,127.0.0.1:10053,kubernetes.default.svc.${domain},5,SRV`,
            `--probe=dnsmasq,127.0.0.1:53,kubernetes.default.svc.${domain},5,SRV`,
          ],
          ports: [{ name: 'metrics', containerPort: 10054, protocol: 'TCP' }],
          livenessProbe: {
            httpGet: { path: '/metrics', port: port(10054), scheme: 'HTTP' },
            initialDelaySeconds: 60,
            timeoutSeconds: 5,
            failureThreshold: 5,
          },
          resources: { requests: { cpu: quantity('10m'), memory: quantity('20Mi') } },
          securityContext: nonRoot,
        },
      ],
      volumes: [{ name: 'kube-dns-config', configMap: { name: 'kube-dns', optional: true } }],
    };
  }
}

/** CoreDNS configuration: cluster zone + reverse zones from the API, everything else forwarded to the node's resolvers. */
export function corefile(clusterDomain: string): string {
  return `.:53 {
    errors
    health {
        lameduck 5s
    }
    ready
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
        max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
}
