import { Construct } from 'constructs';
import { checkEtcdEnvironment } from '../common';
import { ETCD_PKI_DIR, HostPaths } from '../pki/paths';
import { ControlPlanePod, StaticPodProps, httpProbe, quantity } from './control-plane-pod';
import { ETCD_CLIENT_PORT, ETCD_METRICS_PORT, ETCD_PEER_PORT, etcdEnvironment, loopbackAddress } from './flags';
import { kubernetesImage } from './image';

/**
 * Properties of `EtcdStaticPod`: no `extraArgs` / `removeArgs`, since etcd is configured through `ETCD_*` variables
 * (`extraEnv`, applied over the defaults).
 */
export interface EtcdStaticPodProps extends StaticPodProps {}

/**
 * One member of the stacked etcd cluster (one per master), as a static pod.
 *
 * Configured entirely through `ETCD_*` environment variables; the container gets no flags because etcd exits when a
 * setting is given both ways (so the props have no `extraArgs`: use `extraEnv`, checked against etcd's settings of the
 * cluster's etcd version when the app is synthesized). Clients and peers use
 * mutual TLS with the etcd CA; health and metrics are served on plain HTTP bound to loopback only, where the
 * probes (`/livez`, `/readyz`) reach them. The data directory is the host's `/var/lib/etcd`.
 */
export class EtcdStaticPod extends ControlPlanePod {
  constructor(scope: Construct, id: string, props: EtcdStaticPodProps) {
    // The type has no extraArgs; JavaScript callers still get a clear message.
    // Raised here, before any key is made for the synth, with the construct path (no node exists yet to name it).
    const at = `[${scope.node.path ? `${scope.node.path}/` : ''}${id}]`;
    const extraArgs = (props as { extraArgs?: Record<string, string> }).extraArgs;
    if (extraArgs && Object.keys(extraArgs).length) {
      throw new Error(
        `${at} extraArgs: etcd is configured through ETCD_* variables and exits when a setting is given both ways; use extraEnv instead of ${JSON.stringify(extraArgs)}`,
      );
    }
    for (const name of Object.keys(props.extraEnv ?? {})) {
      if (!/^ETCD_[A-Z0-9_]+$/.test(name))
        throw new Error(`${at} extraEnv: '${name}' is not an etcd setting (ETCD_* in upper case)`);
    }
    super(scope, id, props, (spec, master) => {
      const loopback = loopbackAddress(master.ip);
      return {
        component: 'etcd',
        image: kubernetesImage(spec.imageRegistry, 'etcd', `${spec.etcdVersion}-0`),
        command: ['etcd'],
        defaultFlags: {},
        env: etcdEnvironment(spec, master),
        volumes: [
          { name: 'etcd-certs', hostPath: ETCD_PKI_DIR },
          { name: 'etcd-data', hostPath: HostPaths.etcdDataDir, readOnly: false },
        ],
        resources: { requests: { cpu: quantity('100m'), memory: quantity('100Mi') } },
        ports: [
          { name: 'client', containerPort: ETCD_CLIENT_PORT, protocol: 'TCP' },
          { name: 'peer', containerPort: ETCD_PEER_PORT, protocol: 'TCP' },
          { name: 'metrics', containerPort: ETCD_METRICS_PORT, protocol: 'TCP' },
        ],
        probes: {
          liveness: httpProbe('liveness', loopback, '/livez', ETCD_METRICS_PORT, 'HTTP'),
          readiness: httpProbe('readiness', loopback, '/readyz', ETCD_METRICS_PORT, 'HTTP'),
          startup: httpProbe('startup', loopback, '/readyz', ETCD_METRICS_PORT, 'HTTP'),
        },
      };
    });
    checkEtcdEnvironment(this, {
      version: this.cluster.etcdVersion,
      defaults: etcdEnvironment(this.cluster, this.master),
      extraEnv: props.extraEnv,
    });
  }
}
