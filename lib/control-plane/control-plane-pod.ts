import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { EnvVars, FlagOverrides, Flags, RUNTIME_DEFAULT_POD_SECURITY, componentArgs, flagValue } from '../common';
import type { FlagComponent } from '../common/flag-reference';
import { ClusterSpec, NodeSpec, ResolvedClusterSpec, findMaster, resolveSpec } from '../spec';

export { quantity } from '../common';

/** A hostPath volume mounted into a control-plane container. */
export interface HostPathMount {
  /** Volume name (a DNS-1123 label, unique in the pod). */
  readonly name: string;
  /** Path on the host. */
  readonly hostPath: string;
  /** Path in the container. @default - the host path */
  readonly mountPath?: string;
  /** Mount it read-only. @default true */
  readonly readOnly?: boolean;
  /** hostPath type. @default DirectoryOrCreate */
  readonly type?: 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';
}

/** Properties every static pod of the control plane accepts, etcd's included. */
export interface StaticPodProps {
  /** The cluster. A plain `ClusterSpec` is validated and resolved. */
  readonly cluster: ClusterSpec | ResolvedClusterSpec;
  /** Name of the master this pod runs on (one of `cluster.masters`). */
  readonly master: string;
  /** Container image. @default - the component's image in `cluster.imageRegistry` at the cluster's version */
  readonly image?: string;
  /** Extra hostPath volumes. @default [] */
  readonly extraVolumes?: HostPathMount[];
  /** Extra environment variables, applied over the component's own. @default {} */
  readonly extraEnv?: Record<string, string>;
  /** Resource requests and limits. @default - requests as kubeadm sets them, no limits */
  readonly resources?: k8s.ResourceRequirements;
}

/**
 * Properties of the static pods configured by flags (kube-apiserver, kube-controller-manager, kube-scheduler): the
 * user's `removeArgs`, then `extraArgs`, are applied after every default; flags are checked when the app is
 * synthesized (`componentArgs()`).
 */
export interface ControlPlanePodProps extends StaticPodProps, FlagOverrides {}

/** What a component contributes to its pod; everything else is common. */
export interface StaticPodParts {
  /** The component name (`kube-apiserver`): pod name, container name, `component` label and manifest file name. */
  readonly component: string;
  /** The container image, unless the props name one. */
  readonly image: string;
  /** The container's command; its first element names the flag reference the user's flags are checked against. */
  readonly command: string[];
  /** The component's flags before the user's `removeArgs` and `extraArgs`. */
  readonly defaultFlags: Flags;
  /** The component's environment variables, under the user's `extraEnv`. @default - none */
  readonly env?: EnvVars;
  /** The component's hostPath volumes (the user's `extraVolumes` replace those of the same name). */
  readonly volumes: HostPathMount[];
  /** Resource requests and limits, unless the props give them. */
  readonly resources: k8s.ResourceRequirements;
  /** The container's probes. */
  readonly probes: {
    /** Restarts the container when it fails. */
    liveness: k8s.Probe;
    /** Takes the pod out of Service endpoints while it fails. @default - none */
    readiness?: k8s.Probe;
    /** Holds the other probes off until the component has started. */
    startup: k8s.Probe;
  };
  /** Pod annotations. @default - none */
  readonly annotations?: Record<string, string>;
  /** Container ports (informational with host networking). @default - none */
  readonly ports?: k8s.ContainerPort[];
  /** Capabilities added back after dropping all (`NET_BIND_SERVICE` for an API server on a port below 1024). @default - none */
  readonly addCapabilities?: string[];
}

/**
 * Resolves the cluster and the master of a pod's props. Throws `SpecValidationError` for an invalid cluster, and an
 * `Error` naming the masters when `master` is missing or not one of them.
 */
export function resolveMaster(props: StaticPodProps): {
  /** The resolved cluster. */
  spec: ResolvedClusterSpec;
  /** The master the pod runs on. */
  master: NodeSpec;
} {
  const spec = resolveSpec(props.cluster);
  if (typeof props.master !== 'string' || !props.master) {
    throw new Error(
      `master: '${props.master}' must name one of the masters (${spec.masters.map((known) => known.name).join(', ')})`,
    );
  }
  return { spec, master: findMaster(spec, props.master) };
}

/**
 * An HTTP(S) GET probe with kubeadm's timings for its kind (seconds: liveness every 10 s, 8 failures; readiness every
 * second, 3 failures; startup every 10 s for up to 24 tries); on `host`, or on the pod's IP when `host` is undefined.
 */
export function httpProbe(
  kind: 'liveness' | 'readiness' | 'startup',
  host: string | undefined,
  path: string,
  port: number,
  scheme: 'HTTP' | 'HTTPS',
): k8s.Probe {
  const timings = {
    liveness: { initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15, failureThreshold: 8 },
    readiness: { periodSeconds: 1, timeoutSeconds: 15, failureThreshold: 3 },
    startup: { initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15, failureThreshold: 24 },
  }[kind];
  return { httpGet: { host, path, port: k8s.IntOrString.fromNumber(port), scheme }, ...timings };
}

/** Liveness and startup probes of a component serving `/healthz` over HTTPS on 127.0.0.1 (controller manager, scheduler). */
export function localHealthzProbes(port: number): {
  /** `httpProbe('liveness', ...)` of `https://127.0.0.1:<port>/healthz`. */
  liveness: k8s.Probe;
  /** `httpProbe('startup', ...)` of the same URL. */
  startup: k8s.Probe;
} {
  return {
    liveness: httpProbe('liveness', '127.0.0.1', '/healthz', port, 'HTTPS'),
    startup: httpProbe('startup', '127.0.0.1', '/healthz', port, 'HTTPS'),
  };
}

/** A control-plane container's securityContext: no privilege escalation, every capability dropped (plus `add`). */
export function containerSecurityContext(add: string[] = []): k8s.SecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], ...(add.length ? { add } : {}) } };
}

/**
 * Base of the four control-plane pods: a kube-system Pod for the kubelet's static pod directory, built with the L1
 * `KubePod` so that the output is exactly what is written here: host network,
 * `system-node-critical`, seccomp RuntimeDefault, no privilege escalation, all capabilities dropped, typed hostPath
 * volumes sorted by name, `component`/`tier` labels.
 */
export abstract class ControlPlanePod extends Construct {
  /** The resolved cluster. */
  public readonly cluster: ResolvedClusterSpec;
  /** The master this pod runs on. */
  public readonly master: NodeSpec;
  /** The component name (`etcd`, `kube-apiserver`, ...): the pod name and the manifest file name. */
  public readonly component: string;
  /** The container image. */
  public readonly image: string;
  /** The container's arguments (`--flag=value`, sorted). */
  public readonly args: string[];
  /** The container's environment. */
  public readonly env: Record<string, string>;
  /** The hostPath volumes. */
  public readonly volumes: HostPathMount[];
  /** The pod (escape hatch: `apiObject.addJsonPatch(...)`, `apiObject.metadata`). */
  public readonly apiObject: k8s.KubePod;

  protected constructor(
    scope: Construct,
    id: string,
    props: ControlPlanePodProps,
    build: (spec: ResolvedClusterSpec, master: NodeSpec) => StaticPodParts,
  ) {
    super(scope, id);
    const { spec, master } = resolveMaster(props);
    const parts = build(spec, master);
    this.cluster = spec;
    this.master = master;
    this.component = parts.component;
    this.image = props.image ?? parts.image;
    const component = parts.command[0] as FlagComponent;
    this.args = componentArgs(this, {
      component,
      version: component === 'etcd' ? spec.etcdVersion : spec.kubernetesVersion,
      defaults: parts.defaultFlags,
      extraArgs: props.extraArgs,
      removeArgs: props.removeArgs,
      hostNetwork: true,
    });
    this.env = { ...parts.env, ...props.extraEnv };
    this.volumes = mergeVolumes(parts.volumes, props.extraVolumes ?? []);

    const env = Object.entries(this.env).map(([name, value]) => ({ name, value }));
    this.apiObject = new k8s.KubePod(this, 'Resource', {
      metadata: {
        name: parts.component,
        namespace: 'kube-system',
        labels: { component: parts.component, tier: 'control-plane' },
        ...(parts.annotations ? { annotations: parts.annotations } : {}),
      },
      spec: {
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        securityContext: RUNTIME_DEFAULT_POD_SECURITY,
        containers: [
          {
            name: parts.component,
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            command: parts.command,
            args: this.args.length ? this.args : undefined,
            env: env.length ? env : undefined,
            ports: parts.ports,
            livenessProbe: parts.probes.liveness,
            readinessProbe: parts.probes.readiness,
            startupProbe: parts.probes.startup,
            resources: props.resources ?? parts.resources,
            securityContext: containerSecurityContext(parts.addCapabilities),
            volumeMounts: this.volumes.map((volume) => ({
              name: volume.name,
              mountPath: volume.mountPath ?? volume.hostPath,
              readOnly: volume.readOnly ?? true,
            })),
          },
        ],
        volumes: this.volumes.map((volume) => ({
          name: volume.name,
          hostPath: { path: volume.hostPath, type: volume.type ?? 'DirectoryOrCreate' },
        })),
      },
    });
  }

  /** The value of a flag (`--name=value`), or undefined. */
  public flag(name: string): string | undefined {
    return flagValue(this.args, name);
  }
}

/** The component's volumes with the user's on top (same name: the user's wins), sorted by name. */
function mergeVolumes(defaults: HostPathMount[], extra: HostPathMount[]): HostPathMount[] {
  const byName = new Map<string, HostPathMount>();
  for (const volume of defaults) byName.set(volume.name, volume);
  for (const volume of extra) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(volume.name))
      throw new Error(`extraVolumes: volume name '${volume.name}' is not a DNS-1123 label`);
    if (!volume.hostPath?.startsWith('/'))
      throw new Error(`extraVolumes: hostPath '${volume.hostPath}' of volume '${volume.name}' must be absolute`);
    byName.set(volume.name, volume);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
