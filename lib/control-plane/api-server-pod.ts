import { Construct } from 'constructs';
import { HostPaths, PKI_DIR, hostPathToAssetPath } from '../pki/paths';
import { urlHost } from '../spec';
import { ControlPlanePod, ControlPlanePodProps, StaticPodParts, httpProbe, quantity } from './control-plane-pod';
import { apiServerFlags } from './flags';
import { kubernetesImage } from './image';
import { auditPolicyYaml, authenticationConfigurationYaml } from './api-server-config';

/** A file the pod needs on its host, relative to `/etc/kubernetes`. */
export interface HostFile {
  /** Path relative to `/etc/kubernetes` (POSIX). */
  readonly path: string;
  /** The file's text (YAML). */
  readonly content: string;
  /** File mode. */
  readonly mode: number;
}

/** Properties of `ApiServerPod`. */
export interface ApiServerPodProps extends ControlPlanePodProps {
  /**
   * Admission plugins to enable in addition to `NodeRestriction` (the defaults of the API server, such as
   * `NamespaceLifecycle`, `ServiceAccount` and `PodSecurity`, stay on).
   * @default []
   */
  readonly extraAdmissionPlugins?: string[];
}

/**
 * What every kube-apiserver container has (static, bootstrap and self-hosted): 250m CPU requested, the `https` port,
 * kubeadm's probes of `/livez` and `/readyz` on `host` (undefined: the pod's IP), and `NET_BIND_SERVICE` when the port
 * is privileged.
 */
export function apiServerContainerParts(
  host: string | undefined,
  port: number,
): Pick<StaticPodParts, 'resources' | 'ports' | 'probes' | 'addCapabilities'> {
  return {
    resources: { requests: { cpu: quantity('250m') } },
    ports: [{ name: 'https', containerPort: port, protocol: 'TCP' }],
    probes: {
      liveness: httpProbe('liveness', host, '/livez', port, 'HTTPS'),
      readiness: httpProbe('readiness', host, '/readyz', port, 'HTTPS'),
      startup: httpProbe('startup', host, '/livez', port, 'HTTPS'),
    },
    addCapabilities: port < 1024 ? ['NET_BIND_SERVICE'] : [],
  };
}

/**
 * kube-apiserver of one master, as a static pod.
 *
 * Secure port only, TLS 1.2+ with strong ciphers; talks to the local etcd member over mTLS; `Node,RBAC`
 * authorization with `NodeRestriction`; bootstrap tokens; a dedicated service-account key pair; the front-proxy
 * (aggregation) client; kubelet serving certificates verified against the cluster CA; an audit log with rotation and
 * the policy from `auditPolicy()`; profiling off; anonymous requests allowed on the health endpoints only (through
 * the structured authentication configuration, see `authenticationConfiguration()`); secrets encrypted at rest.
 * The configuration files it reads are returned by `hostFiles()` (the encryption configuration, which holds a key,
 * comes from the PKI state).
 */
export class ApiServerPod extends ControlPlanePod {
  constructor(scope: Construct, id: string, props: ApiServerPodProps) {
    for (const plugin of props.extraAdmissionPlugins ?? []) {
      if (!/^[A-Za-z]+$/.test(plugin))
        throw new Error(`extraAdmissionPlugins: '${plugin}' is not an admission plugin name`);
    }
    super(scope, id, props, (spec, master) => {
      const flags = apiServerFlags(spec, { advertiseAddress: master.ip });
      if (props.extraAdmissionPlugins?.length) {
        flags['enable-admission-plugins'] = [
          'NodeRestriction',
          ...props.extraAdmissionPlugins.filter((plugin) => plugin !== 'NodeRestriction'),
        ].join(',');
      }
      const port = spec.apiServerPort;
      return {
        component: 'kube-apiserver',
        image: kubernetesImage(spec.imageRegistry, 'kube-apiserver', spec.kubernetesVersion),
        command: ['kube-apiserver'],
        defaultFlags: flags,
        volumes: [
          { name: 'k8s-certs', hostPath: PKI_DIR },
          { name: 'ca-certs', hostPath: '/etc/ssl/certs' },
          { name: 'apiserver-config', hostPath: HostPaths.apiServerConfigDir },
          { name: 'audit-log', hostPath: HostPaths.auditLogDir, readOnly: false },
        ],
        annotations: {
          'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${urlHost(master.ip)}:${port}`,
        },
        ...apiServerContainerParts(master.ip, port),
      };
    });
  }

  /** The audit policy and the authentication configuration this API server reads (0600). */
  public hostFiles(): HostFile[] {
    const rel = (hostPath: string) => hostPathToAssetPath(hostPath)!;
    return [
      { path: rel(HostPaths.auditPolicy), content: auditPolicyYaml(), mode: 0o600 },
      {
        path: rel(HostPaths.authenticationConfig),
        content: authenticationConfigurationYaml(this.cluster),
        mode: 0o600,
      },
    ];
  }
}
