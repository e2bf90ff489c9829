// Private helpers of the self-hosted control-plane workloads (L1 objects, like the static pods they replace).
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CONTROL_PLANE_TOLERATION,
  CRITICAL_ADDONS_TOLERATION,
  FlagOverrides,
  KUBE_SYSTEM,
  RUNTIME_DEFAULT_POD_SECURITY,
  createDeployment,
  envVars,
  fieldRef,
  spreadOverNodes,
} from '../common';
import { containerSecurityContext, httpProbe } from '../control-plane';
import { CONTROLLER_NODE_SELECTOR, ClusterSpec, ResolvedClusterSpec } from '../spec';

/** Properties every self-hosted component accepts. */
export interface SelfHostedComponentProps extends FlagOverrides {
  /** The cluster. A plain `ClusterSpec` is validated and resolved. */
  readonly cluster: ClusterSpec | ResolvedClusterSpec;
  /**
   * Container image.
   * @default - `<cluster.imageRegistry>/<component>:<cluster.kubernetesVersion>`
   */
  readonly image?: string;
  /**
   * Resource requests and limits.
   * @default - CPU requests as kubeadm sets them, no limits
   */
  readonly resources?: k8s.ResourceRequirements;
}

/** Labels of a control-plane component's pods (bootkube's `tier` + `k8s-app`). */
export function controlPlaneLabels(component: string): Record<string, string> {
  return { 'k8s-app': component, tier: 'control-plane' };
}

/** Pod-spec fields shared by the self-hosted control-plane workloads: masters only, critical, seccomp. */
export function controlPlanePodSpec(): Pick<
  k8s.PodSpec,
  'nodeSelector' | 'tolerations' | 'priorityClassName' | 'securityContext'
> {
  return {
    nodeSelector: { ...CONTROLLER_NODE_SELECTOR },
    tolerations: [CONTROL_PLANE_TOLERATION, CRITICAL_ADDONS_TOLERATION],
    priorityClassName: 'system-cluster-critical',
    securityContext: RUNTIME_DEFAULT_POD_SECURITY,
  };
}

/** The pod's own IP as `$(POD_IP)` (the self-hosted components bind and advertise it). */
export const POD_IP_ENV = envVars({ POD_IP: fieldRef('status.podIP') });

/** What differs between the self-hosted controller manager and scheduler Deployments. */
export interface LeaderElectedDeploymentOptions {
  /** The component: Deployment, container, ServiceAccount name and command. */
  readonly component: 'kube-controller-manager' | 'kube-scheduler';
  /** Labels of the Deployment and its pods (the selector). */
  readonly labels: Record<string, string>;
  /** Number of replicas (one leads, the others stand by). */
  readonly replicas: number;
  /** The container image. */
  readonly image: string;
  /** The container's arguments. */
  readonly args: string[];
  /** The secure port, probed over HTTPS on the pod IP. */
  readonly port: number;
  /** Resource requests and limits. */
  readonly resources: k8s.ResourceRequirements;
  /** Volumes besides `/tmp`, with their mounts. */
  readonly volumes?: Array<{ volume: k8s.Volume; mount: k8s.VolumeMount }>;
  /** Replaces the pod securityContext (seccomp RuntimeDefault). @default - `controlPlanePodSpec()`'s */
  readonly podSecurityContext?: k8s.PodSecurityContext;
}

/**
 * A leader-elected control-plane Deployment on the masters (controller manager, scheduler): spread over the masters,
 * one unavailable at a time, its own ServiceAccount's token, non-root with a read-only root filesystem, bound to the
 * pod IP (`$(POD_IP)`) and probed there over HTTPS.
 */
export function leaderElectedDeployment(scope: Construct, options: LeaderElectedDeploymentOptions): k8s.KubeDeployment {
  const { component, labels } = options;
  const extra = options.volumes ?? [];
  return createDeployment(scope, 'deployment', {
    name: component,
    namespace: KUBE_SYSTEM,
    labels,
    replicas: options.replicas,
    strategy: {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1), maxSurge: k8s.IntOrString.fromNumber(0) },
    },
    podSpec: {
      ...controlPlanePodSpec(),
      affinity: spreadOverNodes(labels),
      serviceAccountName: component,
      automountServiceAccountToken: true,
      containers: [
        {
          name: component,
          image: options.image,
          imagePullPolicy: 'IfNotPresent',
          command: [component],
          args: options.args,
          env: POD_IP_ENV,
          ports: [{ name: 'https', containerPort: options.port, protocol: 'TCP' }],
          livenessProbe: {
            ...httpProbe('liveness', undefined, '/healthz', options.port, 'HTTPS'),
            initialDelaySeconds: 15,
          },
          resources: options.resources,
          securityContext: {
            ...containerSecurityContext(),
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            runAsUser: 65534,
            runAsGroup: 65534,
          },
          volumeMounts: [...extra.map((entry) => entry.mount), { name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      ...(options.podSecurityContext ? { securityContext: options.podSecurityContext } : {}),
      volumes: [...extra.map((entry) => entry.volume), { name: 'tmp', emptyDir: {} }],
    },
  });
}
