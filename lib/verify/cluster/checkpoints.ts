/**
 * Checkpoints: a self-hosted API server (a workload applied through the API that runs kube-apiserver) is a pod the
 * kubelet keeps no copy of; after every master rebooted at once no API is left to fetch it from. Each node it runs on
 * must checkpoint it: the master's `hacp-checkpointer.service` (the model's host checkpointers; `hacp kubelet-unit
 * --self-hosted` writes it on every master) keeps the pods of DaemonSet kube-system/kube-apiserver that carry the
 * checkpoint annotation, as a static pod with the Secrets and ConfigMaps they mount. The retired pod-checkpointer pod
 * does not count: its image speaks only CRI v1alpha2 and checkpoints nothing on current runtimes (`image-retired`).
 * Whether the host service can make a static pod of the template is decided by its own code (`prepareCheckpoint()`).
 */
import { CheckpointError, KubeObject, prepareCheckpoint } from '../../host/checkpointer/checkpoint';
import { CHECKPOINT_REQUEST_ANNOTATION } from '../../host/checkpointer/layout';
import { Finding } from '../finding';
import { ClusterModel, Workload } from './model';
import { listNames } from './placement';

/** The self-hosted API servers of a model: applied workloads running kube-apiserver. */
export function selfHostedApiServers(model: ClusterModel): Workload[] {
  return model.workloads.filter((w) => w.obj.delivery === 'apply' && w.components.has('kube-apiserver'));
}

/** The host checkpointer, as findings name it (the same on every master). */
const HOST_CHECKPOINTER = 'hacp-checkpointer.service (`hacp kubelet-unit --self-hosted` on every master)';

/** Why the host checkpointer of `node` cannot keep `w`'s pod there, or undefined when it can (the same text for every node). */
export function checkpointProblem(model: ClusterModel, w: Workload, node: string): string | undefined {
  const cps = model.checkpointers.filter((c) => c.node === node);
  if (!cps.length) {
    const role = model.nodes.find((n) => n.name === node)?.role;
    return role === 'worker'
      ? 'workers run no hacp-checkpointer.service (`hacp kubelet-unit --self-hosted` writes it on masters only)'
      : 'no hacp-checkpointer.service runs there (`hacp kubelet-unit --self-hosted` writes it for a self-hosted tree only)';
  }
  const cp = cps.find((c) => c.namespace === w.namespace && c.daemonSet === w.name && w.kind === 'DaemonSet');
  if (!cp)
    return `${HOST_CHECKPOINTER} checkpoints DaemonSet ${cps[0].namespace}/${cps[0].daemonSet} only, not ${w.kind} ${w.namespace}/${w.name}`;
  const template = w.obj.object.spec?.template ?? {};
  if (template.metadata?.annotations?.[CHECKPOINT_REQUEST_ANNOTATION] !== 'true') {
    return `its pod template lacks the annotation ${CHECKPOINT_REQUEST_ANNOTATION}: "true", which ${HOST_CHECKPOINTER} looks for`;
  }
  const secrets: Record<string, KubeObject> = {};
  const configMaps: Record<string, KubeObject> = {};
  for (const o of model.objects.filter((x) => x.namespace === w.namespace)) {
    // As the API returns them: a Secret's stringData is part of its data.
    if (o.kind === 'Secret') {
      const data = { ...(o.object.data ?? {}) };
      for (const [k, v] of Object.entries<string>(o.object.stringData ?? {}))
        data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      secrets[o.name] = { ...o.object, data };
    } else if (o.kind === 'ConfigMap') configMaps[o.name] = o.object;
  }
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, name: `${w.name}-x`, namespace: w.namespace },
    spec: template.spec,
  };
  try {
    prepareCheckpoint({ name: `${w.name}-x`, uid: 'model', ready: true, pod }, { secrets, configMaps }, w.name);
  } catch (e) {
    if (e instanceof CheckpointError) return `${HOST_CHECKPOINTER} cannot make a static pod of it: ${e.message}`;
    throw e;
  }
  return undefined;
}

/** `checkpoint-missing` findings: a self-hosted API server that would not come back after a full reboot. */
export function checkpointFindings(model: ClusterModel): Finding[] {
  const out: Finding[] = [];
  for (const w of selfHostedApiServers(model)) {
    const problems = new Map<string, string[]>();
    for (const node of w.nodes) {
      const problem = checkpointProblem(model, w, node);
      if (problem) problems.set(problem, [...(problems.get(problem) ?? []), node]);
    }
    for (const [problem, nodes] of problems) {
      out.push({
        severity: 'error',
        check: 'cluster',
        id: 'checkpoint-missing',
        file: w.obj.file.rel,
        message: `${w.id}: nothing keeps a copy of its pod on ${listNames(nodes)}, so after every master reboots at once no API server comes back there without a person: ${problem}`,
      });
    }
  }
  return out;
}
