import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CHECKPOINT_ANNOTATION,
  KUBE_SYSTEM,
  componentArgs,
  createDaemonSet,
  flagValue,
  hostPathVolume,
  serviceAccount,
} from '../common';
import {
  ETCD_CLIENT_PORT,
  apiServerContainerParts,
  apiServerFlags,
  auditPolicyYaml,
  authenticationConfigurationYaml,
  containerSecurityContext,
  etcdUrl,
  kubernetesImage,
} from '../control-plane';
import { HostPaths } from '../pki/paths';
import { ResolvedClusterSpec, resolveSpec } from '../spec';
import { POD_IP_ENV, SelfHostedComponentProps, controlPlaneLabels, controlPlanePodSpec } from './_workload';
import {
  API_SERVER_SECRET_KEYS,
  CONFIG_DIR,
  SECRETS_DIR,
  SelfHostedTlsAssets,
  apiServerPaths,
  secretData,
} from './tls';

/** Properties of `SelfHostedApiServer`. */
export interface SelfHostedApiServerProps extends SelfHostedComponentProps {
  /** The PEMs (from `ClusterPki.bootkubeAssets()`); the Secret gets only the ones the API server reads. */
  readonly tls: SelfHostedTlsAssets;
  /**
   * An `EncryptionConfiguration` (YAML) for encryption of Secrets at rest; it holds a key, so it goes into the Secret.
   * @default - no encryption at rest
   */
  readonly encryptionConfiguration?: string;
}

/**
 * The self-hosted kube-apiserver: a DaemonSet on the masters (host network, `spec.apiServerPort`, advertising the
 * node's IP via `$(POD_IP)`), annotated for checkpointing (`CHECKPOINT_ANNOTATION`: `hacp-checkpointer.service` on
 * every master keeps a static-pod copy) so it comes back after a full reboot, with the flags of the static-pod API
 * server (`apiServerFlags()`), pointed at every master's etcd member (the static pods of `dist/bootkube/masters/`), or
 * at `etcd.external.endpoints` (then `tls` carries that etcd's CA and client pair).
 *
 * Its Secret `kube-apiserver` holds only what it reads (no CA key); its ConfigMap `kube-apiserver-config` the audit
 * policy and the authentication configuration (anonymous access only on the health endpoints). Its kubelet client
 * identity needs the `ControlPlaneRbac` bindings (`SelfHostedControlPlane` includes them).
 */
export class SelfHostedApiServer extends Construct {
  /** The resolved cluster. */
  public readonly cluster: ResolvedClusterSpec;
  /** Labels of every object and of the pods (`k8s-app: kube-apiserver`, `tier: control-plane`); also the selector. */
  public readonly labels = controlPlaneLabels('kube-apiserver');
  /** The container image. */
  public readonly image: string;
  /** The container's arguments (`--flag=value`, sorted). */
  public readonly args: string[];
  /** The DaemonSet (escape hatch). */
  public readonly apiObject: k8s.KubeDaemonSet;
  /** The DaemonSet; the same object as `apiObject`. */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** The Secret with the PEMs (and the encryption configuration) the API server reads. */
  public readonly secret: k8s.KubeSecret;

  constructor(scope: Construct, id: string, props: SelfHostedApiServerProps) {
    super(scope, id);
    const spec = (this.cluster = resolveSpec(props.cluster));
    const labels = this.labels;
    const port = spec.apiServerPort;
    this.image = props.image ?? kubernetesImage(spec.imageRegistry, 'kube-apiserver', spec.kubernetesVersion);

    const data = secretData(props.tls, API_SERVER_SECRET_KEYS);
    const encrypted = props.encryptionConfiguration !== undefined;
    if (encrypted) {
      if (!/kind:\s*EncryptionConfiguration/.test(props.encryptionConfiguration)) {
        throw new Error('encryptionConfiguration: not an EncryptionConfiguration document');
      }
      data['encryption-config.yaml'] = props.encryptionConfiguration;
    }
    const flags = apiServerFlags(spec, {
      advertiseAddress: '$(POD_IP)',
      etcdServers: selfHostedEtcdServers(spec),
      paths: apiServerPaths(SECRETS_DIR, CONFIG_DIR, encrypted),
    });
    const container = apiServerContainerParts(undefined, port);
    this.args = componentArgs(this, {
      component: 'kube-apiserver',
      version: spec.kubernetesVersion,
      defaults: flags,
      extraArgs: props.extraArgs,
      removeArgs: props.removeArgs,
      hostNetwork: true,
    });

    serviceAccount(this, 'kube-apiserver', KUBE_SYSTEM, labels);
    this.secret = new k8s.KubeSecret(this, 'secret', {
      metadata: { name: 'kube-apiserver', namespace: KUBE_SYSTEM, labels },
      type: 'Opaque',
      stringData: data,
    });
    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'kube-apiserver-config', namespace: KUBE_SYSTEM, labels },
      data: {
        'audit-policy.yaml': auditPolicyYaml(),
        'authentication-config.yaml': authenticationConfigurationYaml(spec),
      },
    });

    this.apiObject = this.daemonSet = createDaemonSet(this, 'daemon-set', {
      name: 'kube-apiserver',
      namespace: KUBE_SYSTEM,
      labels,
      podAnnotations: { [CHECKPOINT_ANNOTATION]: 'true' },
      podSpec: {
        ...controlPlanePodSpec(),
        priorityClassName: 'system-node-critical',
        hostNetwork: true,
        serviceAccountName: 'kube-apiserver',
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'kube-apiserver',
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['kube-apiserver'],
            args: this.args,
            env: POD_IP_ENV,
            ports: container.ports,
            livenessProbe: container.probes.liveness,
            readinessProbe: container.probes.readiness,
            startupProbe: container.probes.startup,
            resources: props.resources ?? container.resources,
            securityContext: containerSecurityContext(container.addCapabilities),
            volumeMounts: [
              { name: 'secrets', mountPath: SECRETS_DIR, readOnly: true },
              { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
              { name: 'ca-certs', mountPath: '/etc/ssl/certs', readOnly: true },
              { name: 'audit-log', mountPath: HostPaths.auditLogDir },
            ],
          },
        ],
        volumes: [
          { name: 'secrets', secret: { secretName: 'kube-apiserver', defaultMode: 0o400 } },
          { name: 'config', configMap: { name: 'kube-apiserver-config', defaultMode: 0o400 } },
          hostPathVolume('ca-certs', '/etc/ssl/certs', 'DirectoryOrCreate'),
          hostPathVolume('audit-log', HostPaths.auditLogDir, 'DirectoryOrCreate'),
        ],
      },
    });
  }

  /** The value of a flag, or undefined. */
  public flag(name: string): string | undefined {
    return flagValue(this.args, name);
  }
}

/**
 * The etcd client URLs of a self-hosted cluster's API servers: `etcd.external.endpoints`, else every master's member
 * (`https://<master ip>:2379`, the etcd static pods each master's kubelet runs).
 */
export function selfHostedEtcdServers(spec: ResolvedClusterSpec): string[] {
  return spec.etcd.external
    ? [...spec.etcd.external.endpoints]
    : spec.masters.map((m) => etcdUrl(m.ip, ETCD_CLIENT_PORT));
}
