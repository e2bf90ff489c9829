import * as fs from 'fs';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { KUBE_SYSTEM, RESTRICTED_CONTAINER, RUNTIME_DEFAULT_SECCOMP } from '../common';
import { CLOUD_UNINITIALIZED_TAINT, CONTROLLER_NODE_SELECTOR, CONTROL_PLANE_TAINT } from '../spec/node-roles';
import { parseCidr } from '../spec/network';
import { minorOf } from '../spec/versions';
import { checkImage } from './_helpers';

/**
 * openstack-cloud-controller-manager image per Kubernetes minor: the tag cloud-provider-openstack's DaemonSet manifest
 * pins at each release (`manifests/controller-manager/openstack-cloud-controller-manager-ds.yaml`, tags v1.33.1,
 * v1.34.1, v1.35.0, v1.36.0). A CCM may be one minor older than the API servers, never newer (version skew policy).
 */
export const OPENSTACK_CCM_IMAGES: Readonly<Record<string, string>> = {
  '1.33': 'registry.k8s.io/provider-os/openstack-cloud-controller-manager:v1.33.1',
  '1.34': 'registry.k8s.io/provider-os/openstack-cloud-controller-manager:v1.34.1',
  '1.35': 'registry.k8s.io/provider-os/openstack-cloud-controller-manager:v1.35.0',
  '1.36': 'registry.k8s.io/provider-os/openstack-cloud-controller-manager:v1.36.0',
};

/** Mode every file holding the `cloud-config` Secret's manifest must be written with: it carries a credential. */
export const OPENSTACK_CLOUD_CONFIG_FILE_MODE = 0o600;

/** Where the application credential secret comes from: exactly one of a file or an environment variable. */
export interface ApplicationCredentialSecretSource {
  /** File holding the secret (one line; a trailing line break is dropped). Must not be readable by group or others. */
  readonly secretFile?: string;
  /** Environment variable holding the secret. */
  readonly secretEnv?: string;
}

/** A Keystone application credential (the `openstack:` section's `applicationCredential`). */
export interface OpenStackApplicationCredential extends ApplicationCredentialSecretSource {
  /** Application credential ID (not secret). */
  readonly id: string;
}

/**
 * Reads an application credential secret. Its errors name the file or the variable, never the value.
 */
export type ApplicationCredentialSecretResolver = (source: ApplicationCredentialSecretSource) => string;

/**
 * The default resolver: reads `secretFile` (refusing a file readable by group or others) or the environment variable
 * `secretEnv` of `env`.
 */
export function readApplicationCredentialSecret(
  source: ApplicationCredentialSecretSource,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (source.secretFile !== undefined) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(source.secretFile);
    } catch {
      throw new Error(`secretFile: cannot read ${source.secretFile}`);
    }
    if (!stat.isFile()) throw new Error(`secretFile: ${source.secretFile} is not a file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new Error(
        `secretFile: ${source.secretFile} is readable by group or others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`,
      );
    }
    return fs.readFileSync(source.secretFile, 'utf8').replace(/\r?\n$/, '');
  }
  if (source.secretEnv !== undefined) {
    const value = env[source.secretEnv];
    if (value === undefined || value === '')
      throw new Error(`secretEnv: the environment variable ${source.secretEnv} is not set`);
    return value;
  }
  throw new Error('one of secretFile or secretEnv is required');
}

/** Properties of `OpenStackCloudControllerManager` (the names mirror the cluster spec's `openstack:` section). */
export interface OpenStackCloudControllerManagerProps {
  /** Kubernetes version of the cluster (`v1.35.4`): picks the image for its minor. */
  readonly kubernetesVersion: string;
  /** The cluster's pod CIDR (`--cluster-cidr`): the route controller manages routes inside it. */
  readonly podCidr: string;
  /**
   * `--cluster-name`: the CCM names load balancers after it.
   * @default kubernetes
   */
  readonly clusterName?: string;
  /** Keystone URL (`[Global] auth-url`); https only. */
  readonly authUrl: string;
  /** Keystone region (`[Global] region`). */
  readonly region: string;
  /** Neutron network of the nodes (`[LoadBalancer] network-id`). */
  readonly networkId: string;
  /** Neutron subnet of the nodes (`[LoadBalancer] subnet-id`: load balancer VIPs and members). */
  readonly subnetId: string;
  /** Neutron router of the nodes' subnet (`[Route] router-id`): where the route controller adds the pod routes. */
  readonly routerId: string;
  /**
   * Run the route controller (`--configure-cloud-routes` and `--allocate-node-cidrs`, both `true`, else both `false`):
   * a Neutron router route "node pod CIDR via node IP" for
   * every Node, the pod network `cloud-routes`. Off for clusters whose pod network is an overlay (flannel) or another
   * CNI that routes pods itself: the CCM then only initialises Nodes and manages load balancers.
   * @default true
   */
  readonly configureCloudRoutes?: boolean;
  /**
   * External network for load balancer floating IPs (`[LoadBalancer] floating-network-id`).
   * @default - the CCM picks one (fails when the cloud has several)
   */
  readonly floatingNetworkId?: string;
  /**
   * PEM file of the CA that signed Keystone's certificate, read at synth time into the Secret (`[Global] ca-file`).
   * @default - the image's public CA bundle
   */
  readonly caFile?: string;
  /** The application credential; its secret comes from a file or an environment variable through `secretResolver`. */
  readonly applicationCredential: OpenStackApplicationCredential;
  /**
   * Reads the application credential secret.
   * @default readApplicationCredentialSecret
   */
  readonly secretResolver?: ApplicationCredentialSecretResolver;
  /**
   * Image.
   * @default - OPENSTACK_CCM_IMAGES for the Kubernetes minor
   */
  readonly image?: string;
}

/** Where the pod mounts the `cloud-config` Secret. */
const CONFIG_DIR = '/etc/config';
/** Key of the cloud config in the `cloud-config` Secret. */
const CLOUD_CONF = 'cloud.conf';
/** Key of the Keystone CA bundle in the `cloud-config` Secret (with `caFile`). */
const CA_CRT = 'ca.crt';
/** The CCM's secure port (k8s.io/cloud-provider `CloudControllerManagerPort`), bound to loopback. */
const CCM_PORT = 10258;
/** UID and GID the upstream manifests run the CCM as. */
const CCM_UID = 1001;

/**
 * The OpenStack cloud controller manager (kubernetes/cloud-provider-openstack) with its route controller, the
 * out-of-tree successor of the in-tree `--cloud-provider=openstack` (removed in Kubernetes 1.26): a DaemonSet on the
 * masters, its upstream RBAC, and the Secret `kube-system/cloud-config` holding `cloud.conf`.
 *
 * It initialises Nodes registered with `--cloud-provider=external` (addresses, provider ID, zone; then it removes
 * the `node.cloudprovider.kubernetes.io/uninitialized` taint), manages Octavia load balancers for Services, and adds
 * a Neutron router route "node pod CIDR via node IP" for every Node (`[Route] router-id`, `--configure-cloud-routes`,
 * `--cluster-cidr`). It does NOT allocate pod CIDRs: its controller set (k8s.io/cloud-provider
 * `DefaultInitFuncConstructors`: cloud-node, cloud-node-lifecycle, service, route) has no node IPAM, so the
 * kube-controller-manager allocates them (`--allocate-node-cidrs=true`, `--cluster-cidr`, `--node-cidr-mask-size`)
 * and this CCM's `--allocate-node-cidrs=true` only states that CIDRs are allocated.
 *
 * The Secret's manifest holds the application credential secret: whoever writes it to a file must write it with mode
 * `OPENSTACK_CLOUD_CONFIG_FILE_MODE` (0600), and it must go nowhere else. Errors name the prop, the file or the
 * variable, never the secret.
 */
export class OpenStackCloudControllerManager extends Construct {
  /** The CCM image. */
  public readonly image: string;
  /** Labels of every object and of the pods (`k8s-app: openstack-cloud-controller-manager`); also the selector. */
  public readonly labels: Record<string, string> = { 'k8s-app': 'openstack-cloud-controller-manager' };
  /** The container's arguments. */
  public readonly args: string[];
  /** The DaemonSet (escape hatch: the construct's main object). */
  public readonly apiObject: k8s.KubeDaemonSet;
  /** The DaemonSet; the same object as `apiObject`. */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** The `cloud-config` Secret: its manifest must be written 0600 (`OPENSTACK_CLOUD_CONFIG_FILE_MODE`). */
  public readonly secret: k8s.KubeSecret;
  /** The ServiceAccount `kube-system/cloud-controller-manager` the pods run as. */
  public readonly serviceAccount: k8s.KubeServiceAccount;

  constructor(scope: Construct, id: string, props: OpenStackCloudControllerManagerProps) {
    super(scope, id);
    const fail = (message: string): never => {
      throw new Error(`OpenStackCloudControllerManager ${this.node.path}: ${message}`);
    };

    let minor: string | undefined;
    try {
      minor = minorOf(props.kubernetesVersion);
    } catch {
      minor = undefined;
    }
    const pinned = minor !== undefined ? OPENSTACK_CCM_IMAGES[minor] : undefined;
    if (props.image === undefined && !pinned) {
      fail(
        `kubernetesVersion: '${props.kubernetesVersion}' has no pinned openstack-cloud-controller-manager image (minors ${Object.keys(OPENSTACK_CCM_IMAGES).join(', ')}); set image`,
      );
    }
    let image = '';
    try {
      image = checkImage('image', props.image ?? pinned!);
    } catch (e) {
      fail((e as Error).message);
    }
    this.image = image;
    if (!parseCidr(props.podCidr)) fail(`podCidr: '${props.podCidr}' is not a valid CIDR`);
    const clusterName = props.clusterName ?? 'kubernetes';
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(clusterName))
      fail(`clusterName: '${clusterName}' must be a DNS-1123 label`);

    let authUrl: URL | undefined;
    try {
      authUrl = new URL(props.authUrl);
    } catch {
      authUrl = undefined;
    }
    if (!authUrl || authUrl.protocol !== 'https:' || !/^https:\/\//.test(props.authUrl)) {
      fail(`authUrl: '${props.authUrl}' must be an https:// URL (the application credential travels to it)`);
    }
    const oneLine = (prop: string, value: string | undefined, required: boolean) => {
      if (value === undefined || value === '') {
        if (required) fail(`${prop}: required`);
        return;
      }
      if (!/^[^\s"\\;#]+$/.test(value))
        fail(`${prop}: '${value}' must be one word without quotes, backslashes, ';' or '#'`);
    };
    oneLine('region', props.region, true);
    oneLine('networkId', props.networkId, true);
    oneLine('subnetId', props.subnetId, true);
    oneLine('routerId', props.routerId, true);
    oneLine('floatingNetworkId', props.floatingNetworkId, false);
    const source = props.applicationCredential;
    if (!source) fail('applicationCredential: required');
    oneLine('applicationCredential.id', source.id, true);
    if ((source.secretFile === undefined) === (source.secretEnv === undefined)) {
      fail('applicationCredential: set exactly one of secretFile or secretEnv');
    }
    let secret = '';
    try {
      secret = (props.secretResolver ?? readApplicationCredentialSecret)({
        secretFile: source.secretFile,
        secretEnv: source.secretEnv,
      });
    } catch (e) {
      fail(`applicationCredential.${(e as Error).message}`);
    }
    const from = source.secretFile !== undefined ? `the file ${source.secretFile}` : `the variable ${source.secretEnv}`;
    if (typeof secret !== 'string' || secret === '') fail(`applicationCredential: the secret from ${from} is empty`);
    if (/[\r\n\0]/.test(secret)) fail(`applicationCredential: the secret from ${from} spans more than one line`);

    let caPem: string | undefined;
    if (props.caFile !== undefined) {
      try {
        caPem = fs.readFileSync(props.caFile, 'utf8');
      } catch {
        fail(`caFile: cannot read ${props.caFile}`);
      }
      if (!caPem!.includes('-----BEGIN CERTIFICATE-----')) fail(`caFile: ${props.caFile} holds no PEM certificate`);
    }

    const ns = KUBE_SYSTEM;
    const labels = this.labels;
    const serviceAccountName = 'cloud-controller-manager';

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: serviceAccountName, namespace: ns, labels },
    });
    // cloud-provider-openstack manifests/controller-manager/cloud-controller-manager-roles.yaml and -role-bindings.yaml
    // (the same at v1.33.1 through v1.36.0), but for `system:cloud-node-controller`: upstream binds it to a
    // ServiceAccount `cloud-node-controller` that only `--use-service-account-credentials=true` would use and that no
    // manifest creates. With `false` every controller of the CCM runs as `cloud-controller-manager`, whose role holds
    // all the node controller needs (CLOUD_NODE_CONTROLLER_RULES ⊂ CLOUD_CONTROLLER_MANAGER_RULES).
    new k8s.KubeClusterRole(this, 'cloud-controller-manager-role', {
      metadata: { name: 'system:cloud-controller-manager', labels },
      rules: CLOUD_CONTROLLER_MANAGER_RULES.map((rule) => ({ ...rule })),
    });
    new k8s.KubeClusterRoleBinding(this, 'cloud-controller-manager-binding', {
      metadata: { name: 'system:cloud-controller-manager', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:cloud-controller-manager' },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace: ns }],
    });

    const cloudConf = renderCloudConf({
      authUrl: props.authUrl,
      region: props.region,
      applicationCredentialId: source.id,
      applicationCredentialSecret: secret,
      caFile: caPem !== undefined ? `${CONFIG_DIR}/${CA_CRT}` : undefined,
      networkId: props.networkId,
      subnetId: props.subnetId,
      floatingNetworkId: props.floatingNetworkId,
      routerId: props.routerId,
    });
    this.secret = new k8s.KubeSecret(this, 'cloud-config', {
      metadata: { name: 'cloud-config', namespace: ns, labels },
      type: 'Opaque',
      stringData: { [CLOUD_CONF]: cloudConf, ...(caPem !== undefined ? { [CA_CRT]: caPem } : {}) },
    });

    const routes = props.configureCloudRoutes ?? true;
    this.args = [
      '--v=1',
      `--cluster-name=${clusterName}`,
      `--cloud-config=${CONFIG_DIR}/${CLOUD_CONF}`,
      '--cloud-provider=openstack',
      '--use-service-account-credentials=false',
      '--bind-address=127.0.0.1',
      // Both only with the route controller: it runs only when both are true. The CCM never allocates node CIDRs
      // itself (kube-controller-manager does); the flag is the route controller's switch.
      `--allocate-node-cidrs=${routes}`,
      `--configure-cloud-routes=${routes}`,
      `--cluster-cidr=${props.podCidr}`,
    ];

    const toleration = (taint: { key: string; value?: string; effect: string }): k8s.Toleration =>
      taint.value !== undefined
        ? { key: taint.key, operator: 'Equal', value: taint.value, effect: taint.effect }
        : { key: taint.key, operator: 'Exists', effect: taint.effect };
    this.daemonSet = this.apiObject = new k8s.KubeDaemonSet(this, 'daemon-set', {
      metadata: { name: 'openstack-cloud-controller-manager', namespace: ns, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels },
          spec: {
            // Upstream requires the node-role.kubernetes.io/control-plane label, which a kubelet may not set on itself
            // (NodeRestriction) and which this library applies only later through the API; the masters' kubelets
            // register with CONTROLLER_NODE_SELECTOR's label, so the CCM can start as soon as they exist.
            nodeSelector: { ...CONTROLLER_NODE_SELECTOR },
            tolerations: [
              toleration(CONTROL_PLANE_TAINT),
              // Nodes wait with this taint until the CCM initialises them, its own masters included.
              toleration(CLOUD_UNINITIALIZED_TAINT),
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              // Host network: it needs no pod network, so it runs on a master whose pod network is not ready.
              { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' },
            ],
            priorityClassName: 'system-cluster-critical',
            hostNetwork: true,
            // The node's resolver: cluster DNS runs on nodes only this CCM can initialise.
            dnsPolicy: 'Default',
            serviceAccountName,
            automountServiceAccountToken: true,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: CCM_UID,
              runAsGroup: CCM_UID,
              fsGroup: CCM_UID,
              seccompProfile: RUNTIME_DEFAULT_SECCOMP,
            },
            containers: [
              {
                name: 'openstack-cloud-controller-manager',
                image: this.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/openstack-cloud-controller-manager'],
                args: this.args,
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('64Mi') },
                },
                livenessProbe: {
                  httpGet: {
                    host: '127.0.0.1',
                    path: '/healthz',
                    port: k8s.IntOrString.fromNumber(CCM_PORT),
                    scheme: 'HTTPS',
                  },
                  initialDelaySeconds: 15,
                  periodSeconds: 10,
                  timeoutSeconds: 15,
                  failureThreshold: 8,
                },
                securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
                // No host paths: the image carries its CA bundle, the Keystone CA comes with the Secret, and the API
                // is reached with the ServiceAccount token (upstream mounts /etc/kubernetes/pki and /etc/ssl/certs).
                volumeMounts: [{ name: 'cloud-config', mountPath: CONFIG_DIR, readOnly: true }],
              },
            ],
            volumes: [{ name: 'cloud-config', secret: { secretName: 'cloud-config', defaultMode: 0o440 } }],
          },
        },
      },
    });
  }
}

/** One rule of a ClusterRole, as the CCM's upstream RBAC writes it. */
export interface RbacRule {
  /** API groups (`''` is the core group). */
  readonly apiGroups: string[];
  /** Resources (`nodes`, `nodes/status`, ...). */
  readonly resources: string[];
  /** Verbs allowed on them (`*`: all). */
  readonly verbs: string[];
}

/** `system:cloud-controller-manager` (cloud-provider-openstack v1.33.1–v1.36.0). */
export const CLOUD_CONTROLLER_MANAGER_RULES: readonly RbacRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['*'] },
  { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['list', 'patch', 'update', 'watch'] },
  { apiGroups: [''], resources: ['services/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['*'] },
  { apiGroups: [''], resources: ['endpoints'], verbs: ['create', 'get', 'list', 'watch', 'update'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'get', 'watch'] },
];

/**
 * `system:cloud-node-controller` (cloud-provider-openstack v1.33.1–v1.36.0): not deployed (see the construct), kept
 * to show that `CLOUD_CONTROLLER_MANAGER_RULES` covers it.
 */
export const CLOUD_NODE_CONTROLLER_RULES: readonly RbacRule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['*'] },
  { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
];

/** What `cloud.conf` says. */
export interface CloudConfOptions {
  /** `[Global] auth-url`: the Keystone URL. */
  readonly authUrl: string;
  /** `[Global] region`. */
  readonly region: string;
  /** `[Global] application-credential-id`. */
  readonly applicationCredentialId: string;
  /** `[Global] application-credential-secret`: the secret itself (the rendered file is a credential). */
  readonly applicationCredentialSecret: string;
  /** `[Global] ca-file`: path of the CA bundle inside the pod. @default - not written (the image's CA bundle) */
  readonly caFile?: string;
  /** `[LoadBalancer] network-id`: the nodes' Neutron network. */
  readonly networkId: string;
  /** `[LoadBalancer] subnet-id`: the nodes' subnet (Octavia VIPs and members). */
  readonly subnetId: string;
  /** `[LoadBalancer] floating-network-id`. @default - not written (the CCM picks one) */
  readonly floatingNetworkId?: string;
  /** `[Route] router-id`: the router the pod routes go to. */
  readonly routerId: string;
}

/**
 * The CCM's `cloud.conf` (gcfg, the format cloud-provider-openstack reads): `[Global]` Keystone URL, region,
 * application credential and optional CA; `[LoadBalancer]` the nodes' network and subnet (Octavia VIPs and members)
 * and the floating network; `[Route] router-id`. `[Networking]` has no ID-based key (only `internal-network-name`,
 * a name), so the node network is given as `[LoadBalancer] network-id`. Values are quoted, `\` and `"` escaped.
 */
export function renderCloudConf(options: CloudConfOptions): string {
  const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    '[Global]',
    `auth-url = ${quote(options.authUrl)}`,
    `region = ${quote(options.region)}`,
    `application-credential-id = ${quote(options.applicationCredentialId)}`,
    `application-credential-secret = ${quote(options.applicationCredentialSecret)}`,
    ...(options.caFile !== undefined ? [`ca-file = ${quote(options.caFile)}`] : []),
    '',
    '[LoadBalancer]',
    `network-id = ${quote(options.networkId)}`,
    `subnet-id = ${quote(options.subnetId)}`,
    ...(options.floatingNetworkId !== undefined ? [`floating-network-id = ${quote(options.floatingNetworkId)}`] : []),
    '',
    '[Route]',
    `router-id = ${quote(options.routerId)}`,
    '',
  ].join('\n');
}
