import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CHECKPOINT_ANNOTATION,
  CONTROL_PLANE_TOLERATION,
  CRITICAL_ADDONS_TOLERATION,
  KUBE_SYSTEM,
  RUNTIME_DEFAULT_POD_SECURITY,
  bindRole,
  configMapVolume,
  createDaemonSet,
  envVars,
  fieldRef,
  hostPathVolume,
  quantity,
  serviceAccount,
} from '../common';
import { CONTROLLER_NODE_SELECTOR } from '../spec/node-roles';
import { checkHttpsUrl, checkImage, inClusterKubeconfig } from './_helpers';
import { RETIRED_ANNOTATION } from './heapster';
import { AddonImages } from './images';

/** Properties of the retired `PodCheckpointer`. */
export interface PodCheckpointerProps {
  /**
   * URL of the API (load balancer or VIP); the checkpointer notices from it that the API is gone.
   * @example https://172.17.5.100:443
   */
  readonly apiServerUrl: string;
  /**
   * Image.
   * @default quay.io/coreos/pod-checkpointer:83e25e5968391b9eb342042c435d1b3eeddb2be1 (bootkube's last build)
   */
  readonly image?: string;
  /**
   * How long a checkpoint outlives its parent pod once the API says the parent is gone.
   * @default 5m
   */
  readonly checkpointGracePeriod?: string;
  /**
   * CRI socket the checkpointer asks which pods run.
   * @default unix:///run/containerd/containerd.sock
   */
  readonly containerRuntimeEndpoint?: string;
  /**
   * Namespace (the checkpointed pods must live in it too).
   * @default kube-system
   */
  readonly namespace?: string;
}

/**
 * bootkube's pod-checkpointer: on every master it keeps static-pod copies of the pods annotated
 * `checkpointer.alpha.coreos.com/checkpoint: "true"` (the self-hosted API server and itself), so that a cluster whose
 * masters all rebooted gets its API server back before the API can schedule anything.
 *
 * **Retired**: dead with bootkube (archived 2021). Its last build speaks only the CRI v1alpha1/v1alpha2 APIs, which
 * current kubelets and containerd 2 no longer serve: it sees no running pods and starts checkpoints while the real
 * API server runs. Use the host service `hacp checkpointer run` (`hacp-checkpointer.service`, written by
 * `hacp kubelet-unit --self-hosted`; see docs/self-hosted.md), which keeps the same promise on current nodes. Kept
 * as an explicit opt-in for clusters that still run a ported image (the bootkube app's `podCheckpointer: true`);
 * every object carries the `hacp.io/retired` annotation. Do not run both: they would fight over the same API server.
 *
 * Least privilege: its own ServiceAccount with a Role reading pods, Secrets and ConfigMaps in its namespace only, used
 * through an in-cluster kubeconfig with that ServiceAccount's token.
 */
export class PodCheckpointer extends Construct {
  /** The `hacp.io/retired` annotation on every object: why, and what to use instead. */
  public static readonly RETIRED_REASON =
    'pod-checkpointer speaks only CRI v1alpha2 (dead with bootkube, archived 2021); use hacp-checkpointer.service (hacp checkpointer run)';

  /** Namespace of every object (and of the checkpointed pods). */
  public readonly namespace: string;
  /** The pod-checkpointer image. */
  public readonly image: string;
  /** Labels of every object and of the pods (`k8s-app: pod-checkpointer`, `tier: control-plane`); also the selector. */
  public readonly labels: Record<string, string> = { 'k8s-app': 'pod-checkpointer', tier: 'control-plane' };
  /** The DaemonSet (escape hatch). */
  public readonly apiObject: k8s.KubeDaemonSet;
  /** The DaemonSet; the same object as `apiObject`. */
  public readonly daemonSet: k8s.KubeDaemonSet;

  constructor(scope: Construct, id: string, props: PodCheckpointerProps) {
    super(scope, id);
    checkHttpsUrl('apiServerUrl', props.apiServerUrl);
    const grace = props.checkpointGracePeriod ?? '5m';
    if (!/^\d+(s|m|h)$/.test(grace)) throw new Error(`checkpointGracePeriod: '${grace}' must be a duration like '5m'`);
    this.namespace = props.namespace ?? KUBE_SYSTEM;
    this.image = checkImage('image', props.image ?? AddonImages.podCheckpointer);
    const ns = this.namespace;
    const labels = this.labels;
    const annotations = { [RETIRED_ANNOTATION]: PodCheckpointer.RETIRED_REASON };

    serviceAccount(this, 'pod-checkpointer', ns, labels).metadata.addAnnotation(
      RETIRED_ANNOTATION,
      PodCheckpointer.RETIRED_REASON,
    );
    new k8s.KubeRole(this, 'role', {
      metadata: { name: 'pod-checkpointer', namespace: ns, labels, annotations },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get'] },
      ],
    });
    bindRole(
      this,
      'role-binding',
      'pod-checkpointer',
      ns,
      { kind: 'Role', name: 'pod-checkpointer' },
      { name: 'pod-checkpointer', namespace: ns },
      labels,
    ).metadata.addAnnotation(RETIRED_ANNOTATION, PodCheckpointer.RETIRED_REASON);
    new k8s.KubeConfigMap(this, 'kubeconfig', {
      metadata: { name: 'pod-checkpointer-kubeconfig', namespace: ns, labels, annotations },
      data: { kubeconfig: inClusterKubeconfig(props.apiServerUrl) },
    });

    const volumes = {
      kubeconfig: configMapVolume('kubeconfig', 'pod-checkpointer-kubeconfig'),
      etcKubernetes: hostPathVolume('etc-kubernetes', '/etc/kubernetes', 'Directory'),
      varRun: hostPathVolume('var-run', '/var/run', 'Directory'),
    };

    this.apiObject = this.daemonSet = createDaemonSet(this, 'daemon-set', {
      name: 'pod-checkpointer',
      namespace: ns,
      labels,
      annotations,
      podAnnotations: { [CHECKPOINT_ANNOTATION]: 'true' },
      apiDefaults: true,
      podSpec: {
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        nodeSelector: { ...CONTROLLER_NODE_SELECTOR },
        tolerations: [CONTROL_PLANE_TOLERATION, CRITICAL_ADDONS_TOLERATION],
        serviceAccountName: 'pod-checkpointer',
        automountServiceAccountToken: true,
        securityContext: RUNTIME_DEFAULT_POD_SECURITY,
        containers: [
          {
            name: 'pod-checkpointer',
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            command: [
              '/checkpoint',
              '--lock-file=/var/run/lock/pod-checkpointer.lock',
              '--kubeconfig=/etc/checkpointer/kubeconfig',
              `--checkpoint-grace-period=${grace}`,
              `--container-runtime-endpoint=${props.containerRuntimeEndpoint ?? 'unix:///run/containerd/containerd.sock'}`,
            ],
            env: envVars({
              NODE_NAME: fieldRef('spec.nodeName'),
              POD_NAME: fieldRef('metadata.name'),
              POD_NAMESPACE: fieldRef('metadata.namespace'),
            }),
            resources: { requests: { cpu: quantity('10m') } },
            // It writes static pod manifests and talks to the CRI socket: root, but no privilege escalation.
            securityContext: { allowPrivilegeEscalation: false },
            volumeMounts: [
              { name: volumes.kubeconfig.name, mountPath: '/etc/checkpointer', readOnly: true },
              { name: volumes.etcKubernetes.name, mountPath: '/etc/kubernetes' },
              { name: volumes.varRun.name, mountPath: '/var/run' },
            ],
          },
        ],
        volumes: [volumes.kubeconfig, volumes.etcKubernetes, volumes.varRun],
      },
    });
  }
}
