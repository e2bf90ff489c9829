import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { FlagOverrides } from '../common';
import {
  CONTROLLER_MANAGER_PORT,
  ControlPlanePod,
  ControlPlanePodProps,
  SCHEDULER_PORT,
  StaticPodParts,
  apiServerContainerParts,
  apiServerFlags,
  controllerManagerFlags,
  kubernetesImage,
  localHealthzProbes,
  quantity,
  schedulerFlags,
} from '../control-plane';
import { HostFile, auditPolicyYaml, authenticationConfigurationYaml } from '../control-plane';
import { HostPaths } from '../pki/paths';
import { ClusterSpec, NodeSpec, ResolvedClusterSpec, resolveSpec } from '../spec';
import { selfHostedEtcdServers } from './self-hosted-api-server';
import { BOOTSTRAP_SECRETS_DIR, apiServerPaths, controllerManagerPaths } from './tls';

/** The kubeconfig `bootkube start` (v0.14+) copies from `auth/kubeconfig` next to the TLS files. */
export const BOOTSTRAP_KUBECONFIG = `${BOOTSTRAP_SECRETS_DIR}/kubeconfig`;

/** Properties of `BootstrapControlPlane`. */
export interface BootstrapControlPlaneProps {
  /** The cluster. A plain `ClusterSpec` is validated and resolved. */
  readonly cluster: ClusterSpec | ResolvedClusterSpec;
  /**
   * The master `bootkube start` runs on.
   * @default - the first master, where `hacp kubelet-unit --bootkube` installs bootkube.service
   */
  readonly master?: string;
  /**
   * The API server's encryption configuration (YAML, as `renderEncryptionConfiguration()` makes it), so that the
   * Secrets created during the bootstrap are encrypted like later ones. Written to `tls/` by `assetFiles()`.
   * @default - no encryption at rest during the bootstrap
   */
  readonly encryptionConfiguration?: string;
  /**
   * Flag overrides of the bootstrap API server (usually the same as the self-hosted one's).
   * @default {}
   */
  readonly apiServer?: FlagOverrides;
  /**
   * Flag overrides of the bootstrap controller manager.
   * @default {}
   */
  readonly controllerManager?: FlagOverrides;
  /**
   * Flag overrides of the bootstrap scheduler.
   * @default {}
   */
  readonly scheduler?: FlagOverrides;
}

/** One temporary static pod: a control-plane pod named `bootstrap-<component>`, reading `/etc/kubernetes/bootstrap-secrets`. */
class BootstrapPod extends ControlPlanePod {
  constructor(
    scope: Construct,
    id: string,
    props: ControlPlanePodProps,
    build: (spec: ResolvedClusterSpec, master: NodeSpec) => StaticPodParts,
  ) {
    super(scope, id, props, build);
  }
}

/** The bootstrap secrets dir `bootkube start` fills (it must exist: `Directory`, not created empty). */
const secrets = { name: 'bootstrap-secrets', hostPath: BOOTSTRAP_SECRETS_DIR, type: 'Directory' as const };
/** The host's CA bundle (for cloud and webhook endpoints). */
const caCerts = { name: 'ca-certs', hostPath: '/etc/ssl/certs' };

/**
 * The temporary control plane `bootkube start` copies into the kubelet's static pod directory on one master
 * (`bootstrap-manifests/`): `bootstrap-kube-apiserver`, `bootstrap-kube-controller-manager` and
 * `bootstrap-kube-scheduler`. They read the asset dir's `tls/` and `auth/kubeconfig`, which bootkube copies to
 * `/etc/kubernetes/bootstrap-secrets` and deletes, with the pods, once the self-hosted control plane runs.
 * Same flags as the static and self-hosted pods (one source of truth); the configuration files the API server
 * reads are returned by `assetFiles()`.
 */
export class BootstrapControlPlane extends Construct {
  /** The resolved cluster. */
  public readonly cluster: ResolvedClusterSpec;
  /** The master `bootkube start` runs on. */
  public readonly master: NodeSpec;
  /** The `bootstrap-kube-apiserver` pod. */
  public readonly apiServer: ControlPlanePod;
  /** The `bootstrap-kube-controller-manager` pod. */
  public readonly controllerManager: ControlPlanePod;
  /** The `bootstrap-kube-scheduler` pod. */
  public readonly scheduler: ControlPlanePod;
  private readonly encryptionConfiguration?: string;

  constructor(scope: Construct, id: string, props: BootstrapControlPlaneProps) {
    super(scope, id);
    const spec = (this.cluster = resolveSpec(props.cluster));
    const name = props.master ?? spec.masters[0].name;
    const master = spec.masters.find((candidate) => candidate.name === name);
    if (!master)
      throw new Error(
        `master: '${name}' is not one of the masters (${spec.masters.map((known) => known.name).join(', ')})`,
      );
    this.master = master;
    this.encryptionConfiguration = props.encryptionConfiguration;
    const podProps = (overrides: FlagOverrides = {}) => ({
      extraArgs: overrides.extraArgs,
      removeArgs: overrides.removeArgs,
      cluster: spec,
      master: master.name,
    });
    const image = (component: string) => kubernetesImage(spec.imageRegistry, component, spec.kubernetesVersion);

    this.apiServer = new BootstrapPod(this, 'bootstrap-apiserver', podProps(props.apiServer), () => ({
      component: 'bootstrap-kube-apiserver',
      image: image('kube-apiserver'),
      command: ['kube-apiserver'],
      // The audit policy and the authentication configuration come from the asset dir's tls/ (see assetFiles()),
      // which bootkube copies to the bootstrap secrets dir: audited like the permanent API servers, and /livez,
      // /readyz answer the kubelet's probes anonymously.
      defaultFlags: apiServerFlags(spec, {
        advertiseAddress: master.ip,
        etcdServers: selfHostedEtcdServers(spec),
        paths: apiServerPaths(BOOTSTRAP_SECRETS_DIR, BOOTSTRAP_SECRETS_DIR, !!props.encryptionConfiguration),
      }),
      volumes: [secrets, caCerts, { name: 'audit-log', hostPath: HostPaths.auditLogDir, readOnly: false }],
      ...apiServerContainerParts(master.ip, spec.apiServerPort),
    }));
    this.controllerManager = new BootstrapPod(
      this,
      'bootstrap-controller-manager',
      podProps(props.controllerManager),
      () => ({
        component: 'bootstrap-kube-controller-manager',
        image: image('kube-controller-manager'),
        command: ['kube-controller-manager'],
        defaultFlags: controllerManagerFlags(spec, controllerManagerPaths(BOOTSTRAP_SECRETS_DIR, BOOTSTRAP_KUBECONFIG)),
        volumes: [secrets, caCerts],
        resources: { requests: { cpu: quantity('200m') } },
        probes: localHealthzProbes(CONTROLLER_MANAGER_PORT),
      }),
    );
    this.scheduler = new BootstrapPod(this, 'bootstrap-scheduler', podProps(props.scheduler), () => ({
      component: 'bootstrap-kube-scheduler',
      image: image('kube-scheduler'),
      command: ['kube-scheduler'],
      defaultFlags: schedulerFlags(spec, BOOTSTRAP_KUBECONFIG),
      volumes: [secrets],
      resources: { requests: { cpu: quantity('100m') } },
      probes: localHealthzProbes(SCHEDULER_PORT),
    }));
  }

  /** The three pods (escape hatches), in start order: API server, controller manager, scheduler. */
  public get apiObjects(): k8s.KubePod[] {
    return [this.apiServer.apiObject, this.controllerManager.apiObject, this.scheduler.apiObject];
  }

  /** The files the bootstrap API server reads besides the PKI: `bootstrapAssetFiles()`. */
  public assetFiles(): HostFile[] {
    return bootstrapAssetFiles(this.cluster, this.encryptionConfiguration);
  }
}

/**
 * Files the bootstrap API server reads besides the PKI, relative to the asset dir (bootkube copies `tls/` to the
 * bootstrap secrets dir): `tls/audit-policy.yaml`, `tls/authentication-config.yaml` and, with an encryption
 * configuration, `tls/encryption-config.yaml`.
 */
export function bootstrapAssetFiles(spec: ResolvedClusterSpec, encryptionConfiguration?: string): HostFile[] {
  return [
    { path: 'tls/audit-policy.yaml', content: auditPolicyYaml(), mode: 0o600 },
    { path: 'tls/authentication-config.yaml', content: authenticationConfigurationYaml(spec), mode: 0o600 },
    ...(encryptionConfiguration
      ? [{ path: 'tls/encryption-config.yaml', content: encryptionConfiguration, mode: 0o600 }]
      : []),
  ];
}
