import * as k8s from '../../imports/k8s';
import { CONTROL_PLANE_TAINT } from '../spec/node-roles';

/** `nodeSelector` for Linux nodes (`kubernetes.io/os: linux`), which the kubelet sets itself. */
export const LINUX_NODE_SELECTOR: Readonly<Record<string, string>> = { 'kubernetes.io/os': 'linux' };

/** Tolerates the masters' `NoSchedule` taint (`CONTROL_PLANE_TAINT`) and nothing else. */
export const CONTROL_PLANE_TOLERATION: k8s.Toleration = {
  key: CONTROL_PLANE_TAINT.key,
  operator: 'Exists',
  effect: CONTROL_PLANE_TAINT.effect,
};

/** Lets critical add-ons run on nodes tainted `CriticalAddonsOnly`. */
export const CRITICAL_ADDONS_TOLERATION: k8s.Toleration = { key: 'CriticalAddonsOnly', operator: 'Exists' };

/** Tolerates every taint: node daemons (network, proxy) must run on every node. */
export const TOLERATE_EVERYTHING: readonly k8s.Toleration[] = [{ operator: 'Exists' }];

/** Preferred pod anti-affinity on `kubernetes.io/hostname`: spreads the replicas of `labels` over nodes. */
export function spreadOverNodes(labels: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' },
        },
      ],
    },
  };
}
