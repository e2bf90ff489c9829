import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  CHECKPOINT_ANNOTATION, CONTROL_PLANE_TOLERATION, CRITICAL_ADDONS_TOLERATION, KUBE_SYSTEM, MASTERS_ONLY, RUNTIME_DEFAULT_SECCOMP,
  bindRole, checkHttpsUrl, checkImage, finishWorkload, inClusterKubeconfig, rollingUpdateOneAtATime, serviceAccount, serviceAccountRef,
} from './_common';
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
 * Least privilege: its own ServiceAccount with a Role reading pods, Secrets and ConfigMaps in its namespace only (the
 * seed used the node's `system:masters` kubeconfig).
 */
export class PodCheckpointer extends Construct {
  /** The `hacp.io/retired` annotation on every object: why, and what to use instead. */
  public static readonly RETIRED_REASON = 'pod-checkpointer speaks only CRI v1alpha2 (dead with bootkube, archived 2021); use hacp-checkpointer.service (hacp checkpointer run)';

  public readonly namespace: string;
  public readonly image: string;
  public readonly labels = { 'k8s-app': 'pod-checkpointer', 'tier': 'control-plane' };
  public readonly daemonSet: kplus.DaemonSet;

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

    serviceAccount(this, 'pod-checkpointer', ns, labels).metadata.addAnnotation(RETIRED_ANNOTATION, PodCheckpointer.RETIRED_REASON);
    new k8s.KubeRole(this, 'role', {
      metadata: { name: 'pod-checkpointer', namespace: ns, labels, annotations },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get'] },
      ],
    });
    bindRole(this, 'role-binding', 'pod-checkpointer', ns, { kind: 'Role', name: 'pod-checkpointer' }, { name: 'pod-checkpointer', namespace: ns }, labels)
      .metadata.addAnnotation(RETIRED_ANNOTATION, PodCheckpointer.RETIRED_REASON);
    new k8s.KubeConfigMap(this, 'kubeconfig', {
      metadata: { name: 'pod-checkpointer-kubeconfig', namespace: ns, labels, annotations },
      data: { kubeconfig: inClusterKubeconfig(props.apiServerUrl) },
    });

    const hostPath = (name: string, path: string) => kplus.Volume.fromHostPath(this, name, name, { path, type: kplus.HostPathVolumeType.DIRECTORY });
    const kubeconfig = kplus.Volume.fromConfigMap(this, 'kubeconfig-volume',
      kplus.ConfigMap.fromConfigMapName(this, 'kubeconfig-ref', 'pod-checkpointer-kubeconfig'), { name: 'kubeconfig' });

    this.daemonSet = new kplus.DaemonSet(this, 'daemon-set', {
      metadata: { name: 'pod-checkpointer', namespace: ns, labels, annotations },
      select: false,
      podMetadata: { labels, annotations: { [CHECKPOINT_ANNOTATION]: 'true' } },
      hostNetwork: true,
      serviceAccount: serviceAccountRef(this, 'pod-checkpointer'),
      automountServiceAccountToken: true,
      containers: [{
        name: 'pod-checkpointer',
        image: this.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: [
          '/checkpoint',
          '--lock-file=/var/run/lock/pod-checkpointer.lock',
          '--kubeconfig=/etc/checkpointer/kubeconfig',
          `--checkpoint-grace-period=${grace}`,
          `--container-runtime-endpoint=${props.containerRuntimeEndpoint ?? 'unix:///run/containerd/containerd.sock'}`,
        ],
        envVariables: {
          NODE_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME),
          POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
          POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        },
        resources: { cpu: { request: kplus.Cpu.millis(10) } },
        securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: false },
        volumeMounts: [
          { path: '/etc/checkpointer', volume: kubeconfig, readOnly: true },
          { path: '/etc/kubernetes', volume: hostPath('etc-kubernetes', '/etc/kubernetes') },
          { path: '/var/run', volume: hostPath('var-run', '/var/run') },
        ],
      }],
    });
    // It writes static pod manifests and talks to the CRI socket: root, but no privilege escalation.
    finishWorkload(this.daemonSet, labels, {
      priorityClassName: 'system-node-critical',
      nodeSelector: MASTERS_ONLY,
      tolerations: [CONTROL_PLANE_TOLERATION, CRITICAL_ADDONS_TOLERATION],
      securityContext: { seccompProfile: RUNTIME_DEFAULT_SECCOMP },
      containerSecurityContexts: [{ allowPrivilegeEscalation: false }],
    });
    rollingUpdateOneAtATime(this.daemonSet);
  }
}
