// Turning the self-hosted API server's pod (as the API returns it) and the Secrets and ConfigMaps it mounts into a
// static pod the kubelet can start without any API: pure functions, no I/O.
import * as crypto from 'crypto';
import {
  CHECKPOINT_GENERATION_ANNOTATION,
  CHECKPOINT_OF_ANNOTATION,
  CHECKPOINT_POD_NAME,
  CHECKPOINT_REQUEST_ANNOTATION,
  MIRROR_POD_ANNOTATION,
} from './layout';

/** A Kubernetes object as JSON (only the fields read here are typed). */
export interface KubeObject {
  /** `apiVersion`, e.g. `v1`. */
  readonly apiVersion?: string;
  /** `kind`, e.g. `Pod`. */
  readonly kind?: string;
  /** The object's metadata (the fields the checkpointer reads). */
  readonly metadata?: {
    /** `metadata.name`. */
    readonly name?: string;
    /** `metadata.generateName`: the prefix of a generated name (a DaemonSet's pods have one). */
    readonly generateName?: string;
    /** `metadata.namespace`. */
    readonly namespace?: string;
    /** `metadata.uid`: tells a re-created pod of the same name apart. */
    readonly uid?: string;
    /** `metadata.creationTimestamp` (RFC 3339): the newest parent pod wins. */
    readonly creationTimestamp?: string;
    /** `metadata.deletionTimestamp`: set while the object is being deleted. */
    readonly deletionTimestamp?: string;
    /** `metadata.annotations`. */
    readonly annotations?: Readonly<Record<string, string>>;
    /** `metadata.labels`. */
    readonly labels?: Readonly<Record<string, string>>;
    /** `metadata.ownerReferences`: a parent pod is owned by the API server's DaemonSet. */
    readonly ownerReferences?: ReadonlyArray<{
      /** The owner's `apiVersion`. */
      readonly apiVersion?: string;
      /** The owner's kind (`DaemonSet`). */
      readonly kind?: string;
      /** The owner's name. */
      readonly name?: string;
      /** The owner's UID. */
      readonly uid?: string;
      /** The owner is the managing controller. */
      readonly controller?: boolean;
      /** The owner cannot be deleted before this object (foreground deletion). */
      readonly blockOwnerDeletion?: boolean;
    }>;
  };
  /** Every other field (`spec`, `status`, `data`, ...), untyped. */
  readonly [key: string]: any;
}

/** Raised when a pod cannot be turned into a checkpoint; the message names the field. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** The parent pod of this node: the DaemonSet's pod the checkpoint is a copy of. */
export interface ParentPod {
  /** The pod's name. */
  readonly name: string;
  /** The pod's UID. */
  readonly uid: string;
  /** Its `Ready` condition is `True`. */
  readonly ready: boolean;
  /** The pod as the API returned it. */
  readonly pod: KubeObject;
}

/**
 * Picks this node's parent pod from a pod list: owned by DaemonSet `daemonSet`, bound to `node`, annotated
 * `checkpointer.alpha.coreos.com/checkpoint: "true"`, not a mirror pod, not being deleted, not finished. During a
 * rolling update two may match; the newest wins.
 */
export function selectParent(pods: readonly KubeObject[], node: string, daemonSet: string): ParentPod | undefined {
  const candidates = pods.filter((p) => {
    const m = p.metadata ?? {};
    return (
      p.spec?.nodeName === node &&
      m.annotations?.[CHECKPOINT_REQUEST_ANNOTATION] === 'true' &&
      m.annotations?.[MIRROR_POD_ANNOTATION] === undefined &&
      !m.deletionTimestamp &&
      (m.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet' && o.name === daemonSet) &&
      !['Failed', 'Succeeded'].includes(p.status?.phase) &&
      typeof m.name === 'string' &&
      typeof m.uid === 'string'
    );
  });
  candidates.sort(
    (a, b) =>
      (b.metadata!.creationTimestamp ?? '').localeCompare(a.metadata!.creationTimestamp ?? '') ||
      a.metadata!.name!.localeCompare(b.metadata!.name!),
  );
  const pod = candidates[0];
  if (!pod) return undefined;
  const ready = (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
  return { name: pod.metadata!.name!, uid: pod.metadata!.uid!, ready, pod };
}

/** A Secret or ConfigMap a pod's volumes name. */
export interface SourceRef {
  /** Which kind of object the volume reads. */
  readonly kind: 'Secret' | 'ConfigMap';
  /** The object's name (in the pod's namespace). */
  readonly name: string;
  /** `optional: true` on every reference: a missing object is no error. */
  readonly optional: boolean;
}

/** The Secrets and ConfigMaps the pod's volumes read (projected sources included), each once. */
export function referencedSources(pod: KubeObject): SourceRef[] {
  const refs = new Map<string, SourceRef>();
  const add = (kind: SourceRef['kind'], name: string | undefined, optional: boolean | undefined) => {
    if (!name) return;
    const key = `${kind}/${name}`;
    const prev = refs.get(key);
    refs.set(key, { kind, name, optional: (prev?.optional ?? true) && optional === true });
  };
  for (const v of pod.spec?.volumes ?? []) {
    if (v.secret) add('Secret', v.secret.secretName, v.secret.optional);
    if (v.configMap) add('ConfigMap', v.configMap.name, v.configMap.optional);
    if (v.projected && !isServiceAccountVolume(v)) {
      for (const s of v.projected.sources ?? []) {
        if (s.secret) add('Secret', s.secret.name, s.secret.optional);
        if (s.configMap) add('ConfigMap', s.configMap.name, s.configMap.optional);
      }
    }
  }
  return [...refs.values()];
}

/** The Secrets and ConfigMaps read for a checkpoint, by name; a missing optional one is simply absent. */
export interface CheckpointSources {
  /** The Secrets, by name. */
  readonly secrets: Readonly<Record<string, KubeObject>>;
  /** The ConfigMaps, by name. */
  readonly configMaps: Readonly<Record<string, KubeObject>>;
}

/** One file of a checkpoint, relative to its generation directory. */
export interface CheckpointFile {
  /** Path relative to the generation directory (`volumes/<volume>/<key>`). */
  readonly path: string;
  /** The file's text (a Secret's value decoded from base64). */
  readonly content: string;
}

/** A checkpoint ready to be written: the static pod (its volume paths still relative) and the files it mounts. */
export interface PreparedCheckpoint {
  /** The parent pod it was made from. */
  readonly parent: {
    /** The pod's namespace (also the checkpoint's). */
    readonly namespace: string;
    /** The pod's name. */
    readonly name: string;
    /** The pod's UID. */
    readonly uid: string;
    /** The DaemonSet that owns it. */
    readonly daemonSet: string;
  };
  /** The static pod with `GENERATION_DIR_TOKEN` where its generation directory goes (see `checkpointPod()`). */
  readonly pod: Readonly<Record<string, any>>;
  /** Directories (relative) that must exist even when empty: one per converted volume. */
  readonly dirs: readonly string[];
  /** The files the converted volumes hold. */
  readonly files: readonly CheckpointFile[];
  /**
   * SHA-256 of the pod and the files (not of the parent's name or UID): equal digests mean the same checkpoint, so a
   * re-created parent pod with the same spec and Secrets writes nothing new.
   */
  readonly digest: string;
}

/** Stands for the generation directory (a host path) in `PreparedCheckpoint.pod`. */
export const GENERATION_DIR_TOKEN = '@GENERATION_DIR@';

/** Pod-spec fields a static pod keeps; everything else (scheduling, ServiceAccount, pull Secrets, status) goes. */
const KEPT_POD_SPEC_FIELDS = [
  'containers',
  'initContainers',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'hostUsers',
  'dnsPolicy',
  'dnsConfig',
  'hostAliases',
  'priorityClassName',
  'securityContext',
  'tolerations',
  'restartPolicy',
  'terminationGracePeriodSeconds',
  'runtimeClassName',
  'shareProcessNamespace',
  'os',
  'setHostnameAsFQDN',
] as const;

/** Volume kinds a static pod cannot have (they need the API or a controller). */
const UNSUPPORTED_VOLUMES = ['persistentVolumeClaim', 'ephemeral', 'csi', 'image'] as const;

/**
 * Builds the checkpoint of `parent`: a static pod `kube-apiserver-checkpoint` in the parent's namespace.
 *
 * - Metadata: new name and labels (`k8s-app: kube-apiserver-checkpoint`, so no controller's selector adopts its mirror
 *   pod), the annotation `checkpointer.alpha.coreos.com/checkpoint-of: <daemonSet>`; no owner references.
 * - Spec: only fields a static pod may have (`KEPT_POD_SPEC_FIELDS`): no nodeName, nodeSelector, affinity,
 *   ServiceAccount (a mirror pod may not reference one), image pull Secrets, scheduler fields or status.
 * - Secret, ConfigMap and projected (Secret/ConfigMap) volumes become hostPath directories
 *   `<generation dir>/volumes/<volume>/`, with one file per key (or per `items` entry); the ServiceAccount token
 *   volume (`kube-api-access-*`) is dropped with its mounts.
 * - Container `ports` are dropped and named probe ports resolved to numbers: with host networking the kubelet turns
 *   each port into a host port and refuses a second pod claiming it, so the DaemonSet's pod would be rejected (and
 *   re-created by the DaemonSet controller with an ever longer back-off) instead of being admitted and taking over
 *   the port as soon as the checkpoint stops.
 *
 * Throws `CheckpointError` for what a static pod cannot do: environment variables from Secrets or ConfigMaps (they
 * would end up in plain text in the mirror pod), persistent or CSI volumes, binary (non-UTF-8) data, missing
 * required Secrets or ConfigMaps.
 */
export function prepareCheckpoint(
  parent: ParentPod,
  sources: CheckpointSources,
  daemonSet: string,
): PreparedCheckpoint {
  const pod = parent.pod;
  const namespace = pod.metadata?.namespace;
  if (!namespace) throw new CheckpointError(`pod ${parent.name}: metadata.namespace is missing`);
  const src = pod.spec ?? {};
  const files: CheckpointFile[] = [];
  const dirs: string[] = [];
  const dropped = new Set<string>();
  const volumes: any[] = [];

  for (const [i, v] of (src.volumes ?? []).entries()) {
    const where = `spec.volumes[${i}] (${v.name})`;
    const bad = UNSUPPORTED_VOLUMES.find((k) => v[k] !== undefined);
    if (bad) throw new CheckpointError(`${where}: a static pod cannot use a ${bad} volume`);
    if (isServiceAccountVolume(v)) {
      dropped.add(v.name);
      continue;
    }
    let entries: Array<[string, string]> | undefined;
    if (v.secret) {
      entries = sourceEntries(
        where,
        sources.secrets[v.secret.secretName],
        'Secret',
        v.secret.secretName,
        v.secret.items,
        v.secret.optional,
      );
    } else if (v.configMap) {
      entries = sourceEntries(
        where,
        sources.configMaps[v.configMap.name],
        'ConfigMap',
        v.configMap.name,
        v.configMap.items,
        v.configMap.optional,
      );
    } else if (v.projected) {
      entries = [];
      for (const [j, s] of (v.projected.sources ?? []).entries()) {
        if (s.secret)
          entries.push(
            ...sourceEntries(
              where,
              sources.secrets[s.secret.name],
              'Secret',
              s.secret.name,
              s.secret.items,
              s.secret.optional,
            ),
          );
        else if (s.configMap)
          entries.push(
            ...sourceEntries(
              where,
              sources.configMaps[s.configMap.name],
              'ConfigMap',
              s.configMap.name,
              s.configMap.items,
              s.configMap.optional,
            ),
          );
        else
          throw new CheckpointError(
            `${where}: projected source ${j} (${Object.keys(s).join(', ')}) cannot be checkpointed; only Secrets and ConfigMaps can`,
          );
      }
    }
    if (!entries) {
      volumes.push(clone(v));
      continue;
    }
    const dir = `volumes/${safeSegment(where, v.name)}`;
    dirs.push(dir);
    const seen = new Set<string>();
    for (const [rel, content] of entries) {
      if (seen.has(rel)) throw new CheckpointError(`${where}: two keys map to the file ${rel}`);
      seen.add(rel);
      files.push({ path: `${dir}/${rel}`, content });
    }
    volumes.push({ name: v.name, hostPath: { path: `${GENERATION_DIR_TOKEN}/${dir}`, type: 'Directory' } });
  }

  const spec: Record<string, any> = {};
  for (const key of KEPT_POD_SPEC_FIELDS) if (src[key] !== undefined) spec[key] = clone(src[key]);
  for (const key of ['containers', 'initContainers'] as const) {
    if (spec[key])
      spec[key] = spec[key].map((c: any, i: number) => staticContainer(`spec.${key}[${i}] (${c.name})`, c, dropped));
  }
  if (!spec.containers?.length) throw new CheckpointError(`pod ${parent.name}: spec.containers is empty`);
  spec.volumes = volumes;

  const out = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: CHECKPOINT_POD_NAME,
      namespace,
      labels: { 'k8s-app': CHECKPOINT_POD_NAME, tier: 'control-plane' },
      annotations: { [CHECKPOINT_OF_ANNOTATION]: daemonSet, [CHECKPOINT_GENERATION_ANNOTATION]: GENERATION_DIR_TOKEN },
    },
    spec,
  };
  files.sort((a, b) => a.path.localeCompare(b.path));
  const hash = crypto.createHash('sha256').update(canonicalJson(out));
  for (const f of files) hash.update(`\0${f.path}\0${f.content}`);
  return {
    parent: { namespace, name: parent.name, uid: parent.uid, daemonSet },
    pod: out,
    dirs,
    files,
    digest: `sha256:${hash.digest('hex')}`,
  };
}

/**
 * The static pod of a prepared checkpoint whose files are in host directory `generationDir` (e.g.
 * `/etc/kubernetes/checkpoints/kube-system/kube-apiserver/gen-000042`), named by `generation`.
 */
export function checkpointPod(
  prepared: PreparedCheckpoint,
  generationDir: string,
  generation: string,
): Record<string, any> {
  const pod = clone(prepared.pod);
  pod.metadata.annotations[CHECKPOINT_GENERATION_ANNOTATION] = generation;
  for (const v of pod.spec.volumes) {
    if (typeof v.hostPath?.path === 'string' && v.hostPath.path.startsWith(`${GENERATION_DIR_TOKEN}/`)) {
      v.hostPath.path = generationDir + v.hostPath.path.slice(GENERATION_DIR_TOKEN.length);
    }
  }
  return pod;
}

/** JSON with object keys sorted at every level: the same object always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

function clone<T>(value: T): any {
  return JSON.parse(JSON.stringify(value));
}

/** The token volume the ServiceAccount admission plugin injects; a static pod cannot have it. */
function isServiceAccountVolume(v: any): boolean {
  return (
    typeof v.name === 'string' &&
    v.name.startsWith('kube-api-access-') &&
    (v.projected?.sources ?? []).some((s: any) => s.serviceAccountToken)
  );
}

/** (relative file, content) pairs of a Secret's or ConfigMap's keys, as the kubelet would project them. */
function sourceEntries(
  where: string,
  obj: KubeObject | undefined,
  kind: 'Secret' | 'ConfigMap',
  name: string,
  items: any[] | undefined,
  optional: boolean | undefined,
): Array<[string, string]> {
  if (!obj) {
    if (optional) return [];
    throw new CheckpointError(`${where}: ${kind} ${name} does not exist`);
  }
  const values = new Map<string, string>();
  const decode = (key: string, b64: string) => {
    const bytes = Buffer.from(b64, 'base64');
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes))
      throw new CheckpointError(
        `${where}: ${kind} ${name} key ${key} holds binary data, which a checkpoint cannot store`,
      );
    values.set(key, text);
  };
  if (kind === 'Secret') {
    for (const [k, v] of Object.entries<string>(obj.data ?? {})) decode(k, v);
  } else {
    for (const [k, v] of Object.entries<string>(obj.data ?? {})) values.set(k, v);
    for (const [k, v] of Object.entries<string>(obj.binaryData ?? {})) decode(k, v);
  }
  const selected: Array<[string, string]> = items?.length
    ? items.flatMap((it: any): Array<[string, string]> => {
        const value = values.get(it.key);
        if (value === undefined) {
          if (optional) return [];
          throw new CheckpointError(`${where}: ${kind} ${name} has no key ${it.key}`);
        }
        return [[safePath(where, it.path), value]];
      })
    : [...values.entries()].map(([k, v]) => [safePath(where, k), v]);
  return selected;
}

/** A relative file path below a volume directory: no absolute path, no `..`, no empty segment. */
function safePath(where: string, rel: string): string {
  const segs = String(rel).split('/');
  if (!rel || rel.startsWith('/') || segs.some((s) => s === '' || s === '.' || s === '..')) {
    throw new CheckpointError(`${where}: file path ${JSON.stringify(rel)} must be relative, without '..'`);
  }
  return rel;
}

function safeSegment(where: string, name: string): string {
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
    throw new CheckpointError(`${where}: volume name ${JSON.stringify(name)} is not a DNS-1123 label`);
  return name;
}

/** A container of the static pod: no ports, named probe ports as numbers, no Secret/ConfigMap environment. */
function staticContainer(where: string, c: any, droppedVolumes: ReadonlySet<string>): any {
  const out = clone(c);
  for (const [i, e] of (c.env ?? []).entries()) {
    const ref = e.valueFrom?.secretKeyRef
      ? `Secret ${e.valueFrom.secretKeyRef.name}`
      : e.valueFrom?.configMapKeyRef
        ? `ConfigMap ${e.valueFrom.configMapKeyRef.name}`
        : undefined;
    if (ref)
      throw new CheckpointError(
        `${where}.env[${i}] (${e.name}): reads ${ref}; a checkpoint cannot (mount it as a volume instead)`,
      );
  }
  for (const [i, e] of (c.envFrom ?? []).entries()) {
    if (e.secretRef || e.configMapRef)
      throw new CheckpointError(
        `${where}.envFrom[${i}]: reads ${e.secretRef ? `Secret ${e.secretRef.name}` : `ConfigMap ${e.configMapRef.name}`}; a checkpoint cannot (mount it as a volume instead)`,
      );
  }
  if (c.volumeDevices?.length)
    throw new CheckpointError(`${where}.volumeDevices: a static pod cannot use block devices from claims`);
  const portOf = (p: unknown, field: string): unknown => {
    if (typeof p !== 'string') return p;
    const found = (c.ports ?? []).find((x: any) => x.name === p);
    if (!found) throw new CheckpointError(`${where}.${field}: no port named ${p}`);
    return found.containerPort;
  };
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const pr = out[probe];
    if (pr?.httpGet) pr.httpGet.port = portOf(pr.httpGet.port, `${probe}.httpGet.port`);
    if (pr?.tcpSocket) pr.tcpSocket.port = portOf(pr.tcpSocket.port, `${probe}.tcpSocket.port`);
  }
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = out.lifecycle?.[hook];
    if (h?.httpGet) h.httpGet.port = portOf(h.httpGet.port, `lifecycle.${hook}.httpGet.port`);
    if (h?.tcpSocket) h.tcpSocket.port = portOf(h.tcpSocket.port, `lifecycle.${hook}.tcpSocket.port`);
  }
  delete out.ports;
  if (out.volumeMounts) {
    out.volumeMounts = out.volumeMounts.filter((m: any) => !droppedVolumes.has(m.name));
    if (!out.volumeMounts.length) delete out.volumeMounts;
  }
  return out;
}
