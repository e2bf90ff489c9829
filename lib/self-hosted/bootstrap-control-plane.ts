import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CONTROLLER_MANAGER_PORT, ControlPlanePod, ControlPlanePodProps, ETCD_CLIENT_PORT, SCHEDULER_PORT, StaticPodParts,
  apiServerFlags, controllerManagerFlags, etcdUrl, httpProbe, quantity, schedulerFlags,
} from '../control-plane';
import { ClusterSpec, NodeSpec, ResolvedClusterSpec, resolveSpec } from '../spec';
import { BOOTSTRAP_SECRETS_DIR, apiServerPaths, controllerManagerPaths } from './tls';

/** The kubeconfig `bootkube start` (v0.14+) copies from `auth/kubeconfig` next to the TLS files. */
export const BOOTSTRAP_KUBECONFIG = `${BOOTSTRAP_SECRETS_DIR}/kubeconfig`;

/** Properties of `BootstrapControlPlane`. */
export interface BootstrapControlPlaneProps {
  /** The cluster. A plain `ClusterSpec` is validated and resolved. */
  readonly cluster: ClusterSpec | ResolvedClusterSpec;
  /**
   * The master `bootkube start` runs on.
   * @default - the last master (the seed ran bootkube on master03)
   */
  readonly master?: string;
}

/** One temporary static pod: a control-plane pod named `bootstrap-<component>`, reading `/etc/kubernetes/bootstrap-secrets`. */
class BootstrapPod extends ControlPlanePod {
  constructor(scope: Construct, id: string, props: ControlPlanePodProps, build: (spec: ResolvedClusterSpec, master: NodeSpec) => StaticPodParts) {
    super(scope, id, props, build);
  }
}

const secrets = { name: 'bootstrap-secrets', hostPath: BOOTSTRAP_SECRETS_DIR, type: 'Directory' as const };
const caCerts = { name: 'ca-certs', hostPath: '/etc/ssl/certs' };

/**
 * The temporary control plane `bootkube start` copies into the kubelet's static pod directory on one master
 * (`bootstrap-manifests/`): `bootstrap-kube-apiserver`, `bootstrap-kube-controller-manager` and
 * `bootstrap-kube-scheduler`. They read the asset dir's `tls/` and `auth/kubeconfig`, which bootkube copies to
 * `/etc/kubernetes/bootstrap-secrets` and deletes, with the pods, once the self-hosted control plane runs.
 * Same flags as the static and self-hosted pods (one source of truth), minus the audit log and encryption config.
 */
export class BootstrapControlPlane extends Construct {
  public readonly cluster: ResolvedClusterSpec;
  public readonly master: NodeSpec;
  public readonly apiServer: ControlPlanePod;
  public readonly controllerManager: ControlPlanePod;
  public readonly scheduler: ControlPlanePod;

  constructor(scope: Construct, id: string, props: BootstrapControlPlaneProps) {
    super(scope, id);
    const spec = this.cluster = resolveSpec(props.cluster);
    const name = props.master ?? spec.masters[spec.masters.length - 1].name;
    const master = spec.masters.find((m) => m.name === name);
    if (!master) throw new Error(`master: '${name}' is not one of the masters (${spec.masters.map((m) => m.name).join(', ')})`);
    this.master = master;
    const podProps = { cluster: spec, master: master.name };
    const image = (component: string) => `${spec.imageRegistry}/${component}:${spec.kubernetesVersion}`;
    const port = spec.apiServerPort;
    // Without the authentication configuration anonymous access is off altogether, so probe the port, not /livez.
    const tcp = (p: number): k8s.Probe => ({ tcpSocket: { host: master.ip, port: k8s.IntOrString.fromNumber(p) }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15, failureThreshold: 8 });

    this.apiServer = new BootstrapPod(this, 'bootstrap-apiserver', podProps, () => ({
      component: 'bootstrap-kube-apiserver',
      image: image('kube-apiserver'),
      command: ['kube-apiserver'],
      defaultFlags: apiServerFlags(spec, {
        advertiseAddress: master.ip,
        etcdServers: spec.masters.map((m) => etcdUrl(m.ip, ETCD_CLIENT_PORT)),
        paths: apiServerPaths(BOOTSTRAP_SECRETS_DIR),
      }),
      volumes: [secrets, caCerts],
      resources: { requests: { cpu: quantity('250m') } },
      ports: [{ name: 'https', containerPort: port, protocol: 'TCP' }],
      probes: { liveness: tcp(port), startup: { ...tcp(port), failureThreshold: 24 } },
      addCapabilities: port < 1024 ? ['NET_BIND_SERVICE'] : [],
    }));
    this.controllerManager = new BootstrapPod(this, 'bootstrap-controller-manager', podProps, () => ({
      component: 'bootstrap-kube-controller-manager',
      image: image('kube-controller-manager'),
      command: ['kube-controller-manager'],
      defaultFlags: controllerManagerFlags(spec, controllerManagerPaths(BOOTSTRAP_SECRETS_DIR, BOOTSTRAP_KUBECONFIG)),
      volumes: [secrets, caCerts],
      resources: { requests: { cpu: quantity('200m') } },
      probes: {
        liveness: httpProbe('liveness', '127.0.0.1', '/healthz', CONTROLLER_MANAGER_PORT, 'HTTPS'),
        startup: httpProbe('startup', '127.0.0.1', '/healthz', CONTROLLER_MANAGER_PORT, 'HTTPS'),
      },
    }));
    this.scheduler = new BootstrapPod(this, 'bootstrap-scheduler', podProps, () => ({
      component: 'bootstrap-kube-scheduler',
      image: image('kube-scheduler'),
      command: ['kube-scheduler'],
      defaultFlags: schedulerFlags(spec, BOOTSTRAP_KUBECONFIG),
      volumes: [secrets],
      resources: { requests: { cpu: quantity('100m') } },
      probes: {
        liveness: httpProbe('liveness', '127.0.0.1', '/healthz', SCHEDULER_PORT, 'HTTPS'),
        startup: httpProbe('startup', '127.0.0.1', '/healthz', SCHEDULER_PORT, 'HTTPS'),
      },
    }));
  }
}
