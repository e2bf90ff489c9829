// Small builders for L1 workloads (`imports/k8s`): the object written is exactly what the caller gives plus the
// selector, with no library defaults to undo afterwards.
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';

/** A resource quantity (`100m`, `128Mi`). */
export function quantity(value: string): k8s.Quantity {
  return k8s.Quantity.fromString(value);
}

/** Pod-spec fields the API server would default, written out by `WorkloadProps.apiDefaults`. */
const POD_SPEC_API_DEFAULTS: Pick<
  k8s.PodSpec,
  'dnsPolicy' | 'hostNetwork' | 'restartPolicy' | 'setHostnameAsFqdn' | 'terminationGracePeriodSeconds'
> = {
  dnsPolicy: 'ClusterFirst',
  hostNetwork: false,
  restartPolicy: 'Always',
  setHostnameAsFqdn: false,
  terminationGracePeriodSeconds: 30,
};

/** The API server's default Deployment strategy: rolling update, 25% surge, 25% unavailable. */
export const DEFAULT_ROLLING_UPDATE: k8s.DeploymentStrategy = {
  type: 'RollingUpdate',
  rollingUpdate: { maxSurge: k8s.IntOrString.fromString('25%'), maxUnavailable: k8s.IntOrString.fromString('25%') },
};

/** A DaemonSet update strategy replacing the pods one node at a time. */
export const ONE_NODE_AT_A_TIME: k8s.DaemonSetUpdateStrategy = {
  type: 'RollingUpdate',
  rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) },
};

/** What every workload builder takes. */
export interface WorkloadProps {
  /** Name of the workload. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
  /**
   * Labels of the workload and of its pods. The selector is exactly these labels (no generated hash label), so the
   * immutable selector does not change when the construct tree does.
   */
  readonly labels: Record<string, string>;
  /**
   * Annotations of the workload.
   * @default - none
   */
  readonly annotations?: Record<string, string>;
  /**
   * Annotations of its pods.
   * @default - none
   */
  readonly podAnnotations?: Record<string, string>;
  /** The pod spec, written as given. */
  readonly podSpec: k8s.PodSpec;
  /**
   * Also write the fields the API server would default (`minReadySeconds: 0`, a Deployment's
   * `progressDeadlineSeconds: 600` and rolling-update strategy, the pod's `dnsPolicy`, `hostNetwork`, `restartPolicy`,
   * `setHostnameAsFQDN` and `terminationGracePeriodSeconds`), so that the manifest shows every setting. The add-ons
   * do; the control-plane workloads leave them to the API server.
   * @default false
   */
  readonly apiDefaults?: boolean;
}

/** Properties of `createDaemonSet()`. */
export interface DaemonSetProps extends WorkloadProps {
  /**
   * Update strategy.
   * @default ONE_NODE_AT_A_TIME
   */
  readonly updateStrategy?: k8s.DaemonSetUpdateStrategy;
}

/** Properties of `createDeployment()`. */
export interface DeploymentProps extends WorkloadProps {
  /** Number of pods. */
  readonly replicas: number;
  /**
   * Update strategy.
   * @default - DEFAULT_ROLLING_UPDATE written out with `apiDefaults`, else none (the API server's default)
   */
  readonly strategy?: k8s.DeploymentStrategy;
}

/** The pod template: the workload's labels (the selector) and pod annotations over `podSpec`. */
function podTemplate(props: WorkloadProps): k8s.PodTemplateSpec {
  return {
    metadata: { labels: props.labels, ...(props.podAnnotations ? { annotations: props.podAnnotations } : {}) },
    spec: props.apiDefaults ? { ...POD_SPEC_API_DEFAULTS, ...props.podSpec } : props.podSpec,
  };
}

function workloadMetadata(props: WorkloadProps): k8s.ObjectMeta {
  return {
    name: props.name,
    namespace: props.namespace,
    labels: props.labels,
    ...(props.annotations ? { annotations: props.annotations } : {}),
  };
}

/** A DaemonSet selecting exactly `labels`, updated one node at a time unless told otherwise. */
export function createDaemonSet(scope: Construct, id: string, props: DaemonSetProps): k8s.KubeDaemonSet {
  return new k8s.KubeDaemonSet(scope, id, {
    metadata: workloadMetadata(props),
    spec: {
      ...(props.apiDefaults ? { minReadySeconds: 0 } : {}),
      selector: { matchLabels: props.labels },
      updateStrategy: props.updateStrategy ?? ONE_NODE_AT_A_TIME,
      template: podTemplate(props),
    },
  });
}

/** A Deployment selecting exactly `labels`. */
export function createDeployment(scope: Construct, id: string, props: DeploymentProps): k8s.KubeDeployment {
  return new k8s.KubeDeployment(scope, id, {
    metadata: workloadMetadata(props),
    spec: {
      ...(props.apiDefaults ? { minReadySeconds: 0, progressDeadlineSeconds: 600 } : {}),
      replicas: props.replicas,
      selector: { matchLabels: props.labels },
      strategy: props.strategy ?? (props.apiDefaults ? DEFAULT_ROLLING_UPDATE : undefined),
      template: podTemplate(props),
    },
  });
}

/** A PodDisruptionBudget named `name` keeping at least one of the pods of `labels`. */
export function minAvailableOne(
  scope: Construct,
  id: string,
  name: string,
  namespace: string,
  labels: Record<string, string>,
): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, id, {
    metadata: { name, namespace, labels },
    spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
  });
}

/** Options of `httpGetProbe()`; timings in seconds. */
export interface HttpGetProbeOptions {
  /** Scheme of the request (`HTTPS` is not verified by the kubelet). @default HTTP */
  readonly scheme?: 'HTTP' | 'HTTPS';
  /** Seconds after the container starts before the first probe. @default - not written (the API's default, 0) */
  readonly initialDelaySeconds?: number;
  /** Seconds between probes. @default - not written (the API's default, 10) */
  readonly periodSeconds?: number;
  /** Seconds after which a probe counts as failed. @default - not written (the API's default, 1) */
  readonly timeoutSeconds?: number;
  /** Consecutive failures before the probe fails (the API's default, written out). @default 3 */
  readonly failureThreshold?: number;
}

/** An HTTP GET probe of `path` on `port` of the pod's IP (its host's with `hostNetwork`). */
export function httpGetProbe(path: string, port: number, options: HttpGetProbeOptions = {}): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromNumber(port), scheme: options.scheme ?? 'HTTP' },
    failureThreshold: options.failureThreshold ?? 3,
    initialDelaySeconds: options.initialDelaySeconds,
    periodSeconds: options.periodSeconds,
    timeoutSeconds: options.timeoutSeconds,
  };
}

/** An environment variable source reading a field of the pod (`metadata.name`, `spec.nodeName`, `status.podIP`). */
export function fieldRef(fieldPath: string): k8s.EnvVarSource {
  return { fieldRef: { fieldPath } };
}

/** A container's `env`, in the order given: a string is a literal value, an object a source (`fieldRef()`). */
export function envVars(vars: Record<string, string | k8s.EnvVarSource>): k8s.EnvVar[] {
  return Object.entries(vars).map(([name, value]) =>
    typeof value === 'string' ? { name, value } : { name, valueFrom: value },
  );
}

/** A hostPath volume. */
export function hostPathVolume(
  name: string,
  path: string,
  type: 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File',
): k8s.Volume {
  return { name, hostPath: { path, type } };
}

/** A volume of a ConfigMap's keys. */
export function configMapVolume(name: string, configMapName: string): k8s.Volume {
  return { name, configMap: { name: configMapName } };
}

/** A volume of a Secret's keys. */
export function secretVolume(name: string, secretName: string): k8s.Volume {
  return { name, secret: { secretName } };
}

/** An empty scratch volume. */
export function emptyDirVolume(name: string): k8s.Volume {
  return { name, emptyDir: {} };
}
