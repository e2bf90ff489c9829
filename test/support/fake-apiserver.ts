/**
 * A FAKE Kubernetes API server, in-process, for tests: enough of the API for the real `kubectl` (v1.32/1.33) to run
 * `apply --server-side`, `apply --dry-run=client`, `rollout status`, `wait`, `label`, `get`, `delete` and
 * `get --raw /readyz` against it. It is not Kubernetes: no admission beyond "the namespace must exist", no
 * validation beyond kind/name matching the URL, no controllers unless the test asks for them (`rollOut()`,
 * `autoRollout`, `establish()`), server-side apply with a single owner per object (the applied object replaces the
 * stored one; `status` is kept; a different last manager is a conflict unless `force=true`).
 *
 * Served on 127.0.0.1 on a random port, over HTTP or (with `tls: true`) HTTPS with a throwaway self-signed P-256
 * certificate for IP:127.0.0.1 made by the real `openssl` (cached per process). Every request is recorded in
 * `requests` for assertions.
 *
 * What kubectl asks for (measured with kubectl 1.32.4/1.33.1, see docs/companion-tool.md):
 * - `GET /version` (the gcloud "dispatcher" kubectl picks its real binary from the minor version here),
 * - `GET /api`, `GET /apis` with an Accept header asking for aggregated discovery (`apidiscovery.k8s.io/v2`) and
 *   plain JSON as the last choice; the fake answers the plain forms (`APIVersions`, `APIGroupList`), after which
 *   kubectl fetches `GET /api/v1` and `GET /apis/<group>/<version>` (`APIResourceList`),
 * - `GET /openapi/v3` only when validating client-side or for `apply --server-side` field validation checks: the
 *   fake answers 404, which kubectl tolerates when told `--validate=false` (client dry-run) and ignores for server-side
 *   apply (it sends `fieldValidation=Strict` and leaves validation to the server),
 * - lists with `fieldSelector=metadata.name=<n>` followed by `watch=true&resourceVersion=<rv>` for `rollout status`
 *   and `wait`.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';

/** One API resource type the fake serves. */
export interface FakeResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  /** Subresources (`status`, `scale`, `log`). @default ['status'] */
  readonly subresources?: readonly string[];
}

/** One request the fake answered. */
export interface FakeApiRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly accept: string;
  readonly contentType: string;
  /** The request body: parsed JSON/YAML when it parses, else the text; undefined without a body. */
  readonly body: any;
  /** The HTTP status answered. */
  status: number;
  /** The port the request came in on (a fake may listen on more than one). */
  readonly port: number;
  readonly userAgent: string;
  /** `Authorization` header (`Bearer …`), if any. */
  readonly authorization?: string;
}

/** Options of `FakeApiServer`. */
export interface FakeApiServerOptions {
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1 (made with openssl). @default false */
  readonly tls?: boolean;
  /** `gitVersion` answered on `/version`. @default v1.33.0 */
  readonly version?: string;
  /** Require `Authorization: Bearer <token>` on API requests (not on /readyz, /livez, /healthz, /version). */
  readonly token?: string;
  /** Mark Deployments, DaemonSets and StatefulSets rolled out (with pods) as soon as they are written. @default false */
  readonly autoRollout?: boolean;
  /** Mark CRDs Established (and serve their resources) as soon as they are written. @default true */
  readonly autoEstablish?: boolean;
}

/** Options of `rollOut()`. */
export interface RollOutOptions {
  /** Nodes the pods run on. @default - DaemonSet: every Node its nodeSelector matches; others: spread over all Nodes */
  readonly nodes?: readonly string[];
  /** Pods are Running but not Ready (and the workload not available). @default false */
  readonly notReady?: boolean;
}

/** A rejection a test installs: requests `match` selects are answered with `code` and `message`. */
interface Rejection {
  readonly match: (r: FakeApiRequest) => boolean;
  readonly code: number;
  readonly message: string;
  times: number;
}

type Obj = Record<string, any>;

interface StoredEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly typeKey: string;
  readonly namespace: string;
  readonly object: Obj;
}

interface Watcher {
  readonly typeKey: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly res: http.ServerResponse;
}

const R = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames: string[] = [],
  subresources: string[] = ['status'],
): FakeResourceType => ({ group, version, kind, plural, namespaced, shortNames, subresources });

/** The built-in resource types (what the synthesized trees use, and a few more). */
export const BUILTIN_RESOURCES: readonly FakeResourceType[] = [
  R('', 'v1', 'Namespace', 'namespaces', false, ['ns']),
  R('', 'v1', 'Node', 'nodes', false, ['no']),
  R('', 'v1', 'Pod', 'pods', true, ['po'], ['status', 'log', 'exec', 'eviction']),
  R('', 'v1', 'Service', 'services', true, ['svc']),
  R('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], ['token']),
  R('', 'v1', 'Secret', 'secrets', true, [], []),
  R('', 'v1', 'ConfigMap', 'configmaps', true, ['cm'], []),
  R('', 'v1', 'Endpoints', 'endpoints', true, ['ep'], []),
  R('', 'v1', 'Event', 'events', true, ['ev'], []),
  R('', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv']),
  R('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']),
  R('', 'v1', 'LimitRange', 'limitranges', true, ['limits'], []),
  R('', 'v1', 'ResourceQuota', 'resourcequotas', true, ['quota']),
  R('apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], ['status', 'scale']),
  R('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds']),
  R('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts'], ['status', 'scale']),
  R('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['status', 'scale']),
  R('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true, [], []),
  R('batch', 'v1', 'Job', 'jobs', true),
  R('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj']),
  R('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, [], []),
  R('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, [], []),
  R('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, [], []),
  R('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, [], []),
  R('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb']),
  R('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, ['crd', 'crds']),
  R('apiregistration.k8s.io', 'v1', 'APIService', 'apiservices', false),
  R('coordination.k8s.io', 'v1', 'Lease', 'leases', true, [], []),
  R('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, ['sc'], []),
  R('storage.k8s.io', 'v1', 'CSIDriver', 'csidrivers', false, [], []),
  R('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, ['netpol'], []),
  R('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, ['ing']),
  R('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false, [], []),
  R('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, ['pc'], []),
  R(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    false,
    [],
    [],
  ),
  R(
    'admissionregistration.k8s.io',
    'v1',
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    false,
    [],
    [],
  ),
  R(
    'certificates.k8s.io',
    'v1',
    'CertificateSigningRequest',
    'certificatesigningrequests',
    false,
    ['csr'],
    ['status', 'approval'],
  ),
  R('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true, [], []),
];

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

/**
 * The FAKE API server. `start()` it, point kubectl at `kubeconfig()`, `stop()` it in `afterAll`/`finally`.
 */
export class FakeApiServer {
  /** Every request, in order. */
  public readonly requests: FakeApiRequest[] = [];
  /** `/readyz`, `/livez` and `/healthz` answer 200 `ok` while true, 500 while false (`setHealthy()`). */
  public health = { readyz: true, livez: true, healthz: true };
  /** The options; a test may change them while the fake runs (e.g. turn `autoRollout` off). */
  public options: FakeApiServerOptions;
  private readonly types: FakeResourceType[] = [...BUILTIN_RESOURCES];
  private readonly store = new Map<string, Obj>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly rejections: Rejection[] = [];
  private readonly changeListeners: Array<(type: StoredEvent['type'], obj: Obj) => void> = [];
  private readonly servers: Array<http.Server | https.Server> = [];
  private rv = 1;
  private tlsFiles?: { cert: string; key: string };
  /** URL of the first listener. */
  public url = '';

  constructor(options: FakeApiServerOptions = {}) {
    this.options = options;
    for (const ns of INITIAL_NAMESPACES)
      this.put({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
  }

  /** Starts listening on 127.0.0.1 (random port); returns the URL. A second call adds a listener on another port. */
  async start(): Promise<string> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    let server: http.Server | https.Server;
    if (this.options.tls) {
      this.tlsFiles ??= selfSignedLoopbackCert();
      server = https.createServer({ cert: this.tlsFiles.cert, key: this.tlsFiles.key }, handler);
    } else {
      server = http.createServer(handler);
    }
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.servers.push(server);
    const url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (!this.url) this.url = url;
    return url;
  }

  /** Stops every listener and ends open watches. */
  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    await Promise.all(
      this.servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
  }

  /** The CA certificate (PEM) clients must trust with `tls: true`. */
  get caPem(): string | undefined {
    return this.tlsFiles?.cert;
  }

  /**
   * Writes a kubeconfig pointing at this fake (`server` default: the first listener) with the token (or `fake-token`);
   * returns its path.
   */
  writeKubeconfig(file: string, server = this.url): string {
    const cluster: Obj = { server };
    if (this.caPem) cluster['certificate-authority-data'] = Buffer.from(this.caPem).toString('base64');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-admin' } }],
      'current-context': 'fake',
      users: [{ name: 'fake-admin', user: { token: this.options.token ?? 'fake-token' } }],
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
    return file;
  }

  /** `/readyz`, `/livez` and `/healthz` up or down. */
  setHealthy(up: boolean): void {
    this.health = { readyz: up, livez: up, healthz: up };
  }

  /** Answers requests `match` selects with `code` (a Status with `message`), `times` times (default: always). */
  reject(match: (r: FakeApiRequest) => boolean, code: number, message: string, times = Infinity): void {
    this.rejections.push({ match, code, message, times });
  }

  /** Calls `listener` after every change of a stored object (a place to simulate controllers). */
  onChange(listener: (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Obj) => void): void {
    this.changeListeners.push(listener);
  }

  /** Registers a Node (Ready unless `ready: false`), as a kubelet would. */
  addNode(name: string, opts: { labels?: Record<string, string>; taints?: Obj[]; ready?: boolean } = {}): Obj {
    return this.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...opts.labels } },
      spec: opts.taints ? { taints: opts.taints } : {},
      status: {
        conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', reason: 'KubeletReady' }],
      },
    });
  }

  /** The stored object, or undefined. `kind` as in the manifests (`Deployment`, `Node`, ...). */
  get(kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const t = this.typeOfKind(kind);
    return this.store.get(objectKey(t, t.namespaced ? (namespace ?? 'default') : '', name));
  }

  /** Every stored object of `kind` (in `namespace` when given). */
  list(kind: string, namespace?: string): Obj[] {
    const t = this.typeOfKind(kind);
    return [...this.store.values()].filter(
      (o) => typeKeyOf(t) === this.typeKeyOfObj(o) && (namespace === undefined || o.metadata.namespace === namespace),
    );
  }

  /** Stores an object as the API would (uid, resourceVersion, creationTimestamp), notifying watchers. */
  put(obj: Obj): Obj {
    const t = this.typeOf(obj.apiVersion, obj.kind);
    if (!t) throw new Error(`fake apiserver: unknown kind ${obj.apiVersion}/${obj.kind}`);
    const ns = t.namespaced ? (obj.metadata.namespace ?? 'default') : '';
    const key = objectKey(t, ns, obj.metadata.name);
    const old = this.store.get(key);
    const stored = clone(obj);
    stored.metadata = {
      ...stored.metadata,
      ...(t.namespaced ? { namespace: ns } : {}),
      uid: old?.metadata.uid ?? crypto.randomUUID(),
      creationTimestamp: old?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      resourceVersion: String(++this.rv),
      generation: stored.metadata.generation ?? old?.metadata.generation ?? 1,
    };
    this.store.set(key, stored);
    this.emit(old ? 'MODIFIED' : 'ADDED', t, stored);
    return stored;
  }

  /** Deletes an object (no finalizers); true when it existed. */
  remove(kind: string, namespace: string | undefined, name: string): boolean {
    const t = this.typeOfKind(kind);
    return this.deleteKey(t, objectKey(t, t.namespaced ? (namespace ?? 'default') : '', name));
  }

  private deleteKey(t: FakeResourceType, key: string): boolean {
    const old = this.store.get(key);
    if (!old) return false;
    this.store.delete(key);
    this.emit('DELETED', t, { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } });
    return true;
  }

  /**
   * Simulates the workload controllers: a Deployment, DaemonSet or StatefulSet gets Running pods (Ready unless
   * `notReady`) and a status that `kubectl rollout status` accepts (observedGeneration, updated/ready/available
   * counts, Available and Progressing conditions).
   */
  rollOut(kind: string, namespace: string, name: string, opts: RollOutOptions = {}): Obj {
    const obj = this.get(kind, namespace, name);
    if (!obj) throw new Error(`fake apiserver: no ${kind} ${namespace}/${name} to roll out`);
    const nodes = opts.nodes ?? this.nodesFor(obj);
    const count = kind === 'DaemonSet' ? nodes.length : (obj.spec?.replicas ?? 1);
    const ready = opts.notReady ? 0 : count;
    const labels = obj.spec?.template?.metadata?.labels ?? {};
    for (const pod of this.list('Pod', namespace).filter((p) =>
      p.metadata.ownerReferences?.some((r: Obj) => r.uid === obj.metadata.uid),
    )) {
      this.remove('Pod', namespace, pod.metadata.name);
    }
    for (let i = 0; i < count; i++) {
      const node = nodes.length ? nodes[i % nodes.length] : undefined;
      this.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${crypto.randomBytes(3).toString('hex').slice(0, 5)}`,
          namespace,
          labels,
          ownerReferences: [{ apiVersion: obj.apiVersion, kind, name, uid: obj.metadata.uid, controller: true }],
        },
        spec: { ...(obj.spec?.template?.spec ?? {}), ...(node ? { nodeName: node } : {}) },
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: opts.notReady ? 'False' : 'True' }],
          containerStatuses: (obj.spec?.template?.spec?.containers ?? []).map((c: Obj) => ({
            name: c.name,
            ready: !opts.notReady,
            restartCount: 0,
            started: true,
            state: { running: {} },
          })),
        },
      });
    }
    const generation = obj.metadata.generation ?? 1;
    let status: Obj;
    if (kind === 'DaemonSet') {
      status = {
        observedGeneration: generation,
        desiredNumberScheduled: count,
        currentNumberScheduled: count,
        updatedNumberScheduled: count,
        numberReady: ready,
        numberAvailable: ready,
        numberUnavailable: count - ready,
        numberMisscheduled: 0,
      };
    } else if (kind === 'Deployment') {
      status = {
        observedGeneration: generation,
        replicas: count,
        updatedReplicas: count,
        readyReplicas: ready,
        availableReplicas: ready,
        unavailableReplicas: count - ready,
        conditions: [
          {
            type: 'Available',
            status: ready >= count ? 'True' : 'False',
            reason: ready >= count ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        ],
      };
    } else if (kind === 'StatefulSet') {
      status = {
        observedGeneration: generation,
        replicas: count,
        readyReplicas: ready,
        currentReplicas: count,
        updatedReplicas: count,
        availableReplicas: ready,
        currentRevision: `${name}-1`,
        updateRevision: `${name}-1`,
      };
    } else {
      throw new Error(`fake apiserver: rollOut() does not know ${kind}`);
    }
    return this.put({ ...obj, status });
  }

  /** Simulates the CRD controller: Established and NamesAccepted, and the resource is served. */
  establish(name: string): Obj {
    const crd = this.get('CustomResourceDefinition', undefined, name);
    if (!crd) throw new Error(`fake apiserver: no CRD ${name}`);
    this.serveCrd(crd);
    return this.put({
      ...crd,
      status: {
        acceptedNames: crd.spec.names,
        storedVersions: (crd.spec.versions ?? []).filter((v: Obj) => v.storage).map((v: Obj) => v.name),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts' },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted' },
        ],
      },
    });
  }

  /** Requests that changed something (not GET), as `METHOD path`. */
  mutations(): string[] {
    return this.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
  }

  // ---- request handling -------------------------------------------------------------------------------------------

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const contentType = String(req.headers['content-type'] ?? '');
      let body: any;
      if (raw) {
        try {
          body = contentType.includes('yaml') ? parseYaml(raw) : JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const u = new URL(req.url!, 'http://fake');
      const record: FakeApiRequest = {
        method: req.method!,
        path: u.pathname,
        query: Object.fromEntries(u.searchParams.entries()),
        accept: String(req.headers.accept ?? ''),
        contentType,
        body,
        status: 0,
        port: (req.socket.address() as AddressInfo).port,
        userAgent: String(req.headers['user-agent'] ?? ''),
        authorization: req.headers.authorization,
      };
      this.requests.push(record);
      let answer: Answer;
      try {
        answer = this.route(record, res);
      } catch (e) {
        answer = status(500, 'InternalError', `fake apiserver: ${(e as Error).message}`);
      }
      record.status = answer.code;
      if (answer.streaming) return;
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.code, {
        'Content-Type': typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
    });
  }

  private route(r: FakeApiRequest, res: http.ServerResponse): Answer {
    const parts = r.path.split('/').filter(Boolean);
    const health = parts[0] as 'readyz' | 'livez' | 'healthz';
    if (['readyz', 'livez', 'healthz'].includes(health)) {
      return this.health[health]
        ? { code: 200, body: 'ok' }
        : { code: 500, body: `[-]etcd failed: reason withheld\n${health} check failed` };
    }
    if (r.path === '/version') {
      const v = this.options.version ?? 'v1.33.0';
      const [major, minor] = v.replace(/^v/, '').split('.');
      return {
        code: 200,
        body: {
          major,
          minor,
          gitVersion: v,
          gitCommit: 'fake',
          gitTreeState: 'clean',
          buildDate: '2026-01-01T00:00:00Z',
          goVersion: 'go1.24',
          compiler: 'gc',
          platform: 'linux/amd64',
        },
      };
    }
    if (parts[0] === 'openapi') return this.openapi(parts);
    const rejection = this.rejections.find((x) => x.times > 0 && x.match(r));
    if (rejection) {
      rejection.times--;
      return status(rejection.code, reasonFor(rejection.code), rejection.message);
    }
    if (this.options.token && r.authorization !== `Bearer ${this.options.token}`)
      return status(401, 'Unauthorized', 'Unauthorized');
    if (parts[0] === 'api' && parts.length === 1)
      return {
        code: 200,
        body: {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
        },
      };
    if (parts[0] === 'apis' && parts.length === 1) return { code: 200, body: this.groupList() };
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = this.groupList().groups.find((x: Obj) => x.name === parts[1]);
      return g
        ? { code: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...g } }
        : status(404, 'NotFound', 'the server could not find the requested resource');
    }
    if ((parts[0] === 'api' && parts.length === 2) || (parts[0] === 'apis' && parts.length === 3)) {
      const [group, version] = parts[0] === 'api' ? ['', parts[1]] : [parts[1], parts[2]];
      const list = this.resourceList(group, version);
      return list
        ? { code: 200, body: list }
        : status(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (parts[0] === 'api' || parts[0] === 'apis') return this.resource(r, parts, res);
    return status(404, 'NotFound', 'the server could not find the requested resource');
  }

  private resource(r: FakeApiRequest, parts: string[], res: http.ServerResponse): Answer {
    const [group, version, rest] =
      parts[0] === 'api' ? ['', parts[1], parts.slice(2)] : [parts[1], parts[2], parts.slice(3)];
    let namespace: string | undefined;
    let plural: string;
    let name: string | undefined;
    let sub: string | undefined;
    if (
      rest[0] === 'namespaces' &&
      rest.length >= 3 &&
      !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]) && group === '')
    ) {
      [namespace, plural, name, sub] = [rest[1], rest[2], rest[3], rest[4]];
    } else {
      [plural, name, sub] = [rest[0], rest[1], rest[2]];
    }
    const t = this.types.find((x) => x.group === group && x.version === version && x.plural === plural);
    if (!t || rest.length === 0) return status(404, 'NotFound', 'the server could not find the requested resource');
    if (t.namespaced !== (namespace !== undefined) && name !== undefined)
      return status(404, 'NotFound', 'the server could not find the requested resource');
    const ns = t.namespaced ? (namespace ?? '') : '';
    const dryRun = r.query.dryRun === 'All';

    if (name === undefined) {
      if (r.method === 'GET' && (r.query.watch === 'true' || r.query.watch === '1'))
        return this.watch(t, namespace, r, res);
      if (r.method === 'GET') {
        const items = this.matching(t, namespace, r.query.labelSelector, r.query.fieldSelector);
        return {
          code: 200,
          body: {
            kind: `${t.kind}List`,
            apiVersion: apiVersionOf(t),
            metadata: { resourceVersion: String(this.rv) },
            items,
          },
        };
      }
      if (r.method === 'POST') {
        const obj = r.body;
        if (!obj || typeof obj !== 'object') return status(400, 'BadRequest', 'the request body is not an object');
        const bad = this.checkBody(t, obj, namespace, obj.metadata?.name);
        if (bad) return bad;
        if (this.store.has(objectKey(t, ns, obj.metadata.name)))
          return status(
            409,
            'AlreadyExists',
            `${t.plural}${t.group ? `.${t.group}` : ''} "${obj.metadata.name}" already exists`,
          );
        const missing = this.missingNamespace(t, ns);
        if (missing) return missing;
        return {
          code: 201,
          body: dryRun
            ? obj
            : this.write(
                t,
                { ...obj, metadata: { ...obj.metadata, ...(t.namespaced ? { namespace: ns } : {}) } },
                r.query.fieldManager ?? 'unknown',
                'Update',
              ),
        };
      }
      return status(405, 'MethodNotAllowed', `${r.method} on a collection is not supported by the fake`);
    }

    const key = objectKey(t, ns, name);
    const existing = this.store.get(key);
    if (sub && !(t.subresources ?? ['status']).includes(sub))
      return status(404, 'NotFound', 'the server could not find the requested resource');
    switch (r.method) {
      case 'GET':
        return existing ? { code: 200, body: existing } : notFound(t, name);
      case 'DELETE': {
        if (!existing) return notFound(t, name);
        if (!dryRun) this.deleteKey(t, objectKey(t, ns, name));
        return {
          code: 200,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name, group: t.group, kind: t.plural, uid: existing.metadata.uid },
          },
        };
      }
      case 'PUT': {
        if (!existing) return notFound(t, name);
        const bad = this.checkBody(t, r.body, namespace, name);
        if (bad) return bad;
        const next = sub === 'status' ? { ...existing, status: r.body.status } : { ...r.body, status: existing.status };
        return { code: 200, body: dryRun ? next : this.write(t, next, r.query.fieldManager ?? 'unknown', 'Update') };
      }
      case 'PATCH':
        return this.patch(t, r, ns, name, existing, sub, dryRun);
      default:
        return status(405, 'MethodNotAllowed', `${r.method} is not supported by the fake`);
    }
  }

  private patch(
    t: FakeResourceType,
    r: FakeApiRequest,
    ns: string,
    name: string,
    existing: Obj | undefined,
    sub: string | undefined,
    dryRun: boolean,
  ): Answer {
    const ct = r.contentType.split(';')[0].trim();
    if (ct === 'application/apply-patch+yaml') {
      const manager = r.query.fieldManager;
      if (!manager)
        return status(
          422,
          'Invalid',
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      const obj = r.body;
      if (!obj || typeof obj !== 'object')
        return status(400, 'BadRequest', 'error decoding YAML: the apply patch is not an object');
      const bad = this.checkBody(t, obj, t.namespaced ? ns : undefined, name);
      if (bad) return bad;
      const missing = this.missingNamespace(t, ns);
      if (missing) return missing;
      if (existing) {
        const last = (existing.metadata.managedFields ?? []).at(-1)?.manager;
        if (last && last !== manager && r.query.force !== 'true') {
          return status(409, 'Conflict', `Apply failed with 1 conflict: conflict with "${last}": .metadata`);
        }
      }
      const next = {
        ...obj,
        metadata: { ...obj.metadata, ...(t.namespaced ? { namespace: ns } : {}) },
        status: existing?.status ?? obj.status,
      };
      if (dryRun) return { code: existing ? 200 : 201, body: next };
      return { code: existing ? 200 : 201, body: this.write(t, next, manager, 'Apply') };
    }
    if (!existing) return notFound(t, name);
    let next: Obj;
    if (ct === 'application/merge-patch+json' || ct === 'application/strategic-merge-patch+json') {
      next = mergePatch(clone(existing), r.body);
    } else if (ct === 'application/json-patch+json') {
      next = jsonPatch(clone(existing), r.body);
    } else {
      return status(415, 'UnsupportedMediaType', `the fake does not support patch type ${ct}`);
    }
    if (sub !== 'status') next.status = existing.status;
    return { code: 200, body: dryRun ? next : this.write(t, next, r.query.fieldManager ?? 'unknown', 'Update') };
  }

  /** Stores a written object: bumps `generation` when anything but metadata/status changed; records the manager. */
  private write(t: FakeResourceType, written: Obj, manager: string, operation: 'Apply' | 'Update'): Obj {
    const obj = withDefaults(t.kind, written);
    const ns = t.namespaced ? obj.metadata.namespace : '';
    const old = this.store.get(objectKey(t, ns, obj.metadata.name));
    // As the real API server: a write that changes nothing (same content, same last manager) is a no-op, the
    // resourceVersion stays, no watch event.
    if (old && sameContent(old, obj) && (old.metadata.managedFields ?? []).at(-1)?.manager === manager) return old;
    const content = (o: Obj) => JSON.stringify({ ...o, metadata: undefined, status: undefined });
    const generation = !old
      ? 1
      : content(old) === content(obj)
        ? old.metadata.generation
        : (old.metadata.generation ?? 1) + 1;
    const managedFields = [
      ...(old?.metadata.managedFields ?? []).filter((m: Obj) => m.manager !== manager),
      {
        manager,
        operation,
        apiVersion: obj.apiVersion,
        time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
    ];
    const stored = this.put({
      ...obj,
      apiVersion: apiVersionOf(t),
      kind: t.kind,
      metadata: { ...obj.metadata, generation, managedFields },
    });
    if (t.kind === 'CustomResourceDefinition' && (this.options.autoEstablish ?? true))
      return this.establish(stored.metadata.name);
    if (WORKLOAD_KINDS.has(t.kind) && this.options.autoRollout) return this.rollOut(t.kind, ns, stored.metadata.name);
    return stored;
  }

  private checkBody(
    t: FakeResourceType,
    obj: Obj,
    namespace: string | undefined,
    name: string | undefined,
  ): Answer | undefined {
    if (obj.kind !== t.kind || obj.apiVersion !== apiVersionOf(t)) {
      return status(
        400,
        'BadRequest',
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(t)}) or kind ${obj.kind} is not ${t.kind}`,
      );
    }
    if (!obj.metadata?.name || (name !== undefined && obj.metadata.name !== name)) {
      return status(
        400,
        'BadRequest',
        `the name of the object (${obj.metadata?.name}) does not match the name on the URL (${name})`,
      );
    }
    if (t.namespaced && obj.metadata.namespace && namespace !== undefined && obj.metadata.namespace !== namespace) {
      return status(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    return undefined;
  }

  private missingNamespace(t: FakeResourceType, ns: string): Answer | undefined {
    if (!t.namespaced || this.store.has(objectKey(this.typeOfKind('Namespace'), '', ns))) return undefined;
    return {
      code: 404,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `namespaces "${ns}" not found`,
        reason: 'NotFound',
        details: { name: ns, kind: 'namespaces' },
        code: 404,
      },
    };
  }

  private watch(
    t: FakeResourceType,
    namespace: string | undefined,
    r: FakeApiRequest,
    res: http.ServerResponse,
  ): Answer {
    const w: Watcher = {
      typeKey: typeKeyOf(t),
      namespace,
      labelSelector: r.query.labelSelector,
      fieldSelector: r.query.fieldSelector,
      res,
    };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // Headers now, not with the first event: client-go's watch waits for them before it reports the watch started.
    res.flushHeaders();
    const since = r.query.resourceVersion;
    if (since && since !== '0') {
      for (const e of this.history) if (e.rv > Number(since) && this.watches(w, e)) send(res, e.type, e.object);
    } else {
      for (const o of this.matching(t, namespace, r.query.labelSelector, r.query.fieldSelector)) send(res, 'ADDED', o);
    }
    this.watchers.add(w);
    const end = () => this.watchers.delete(w);
    res.on('close', end);
    const timeout = Number(r.query.timeoutSeconds);
    if (timeout > 0)
      setTimeout(() => {
        end();
        res.end();
      }, timeout * 1000).unref();
    return { code: 200, streaming: true };
  }

  private emit(type: StoredEvent['type'], t: FakeResourceType, object: Obj): void {
    const e: StoredEvent = {
      rv: this.rv,
      type,
      typeKey: typeKeyOf(t),
      namespace: object.metadata.namespace ?? '',
      object,
    };
    this.history.push(e);
    for (const w of this.watchers) if (this.watches(w, e)) send(w.res, type, object);
    for (const l of this.changeListeners) l(type, object);
  }

  private watches(w: Watcher, e: StoredEvent): boolean {
    return (
      w.typeKey === e.typeKey &&
      (w.namespace === undefined || w.namespace === e.namespace) &&
      matchesLabels(e.object, w.labelSelector) &&
      matchesFields(e.object, w.fieldSelector)
    );
  }

  private matching(
    t: FakeResourceType,
    namespace: string | undefined,
    labelSelector?: string,
    fieldSelector?: string,
  ): Obj[] {
    const tk = typeKeyOf(t);
    return [...this.store.values()]
      .filter((o) => this.typeKeyOfObj(o) === tk && (namespace === undefined || o.metadata.namespace === namespace))
      .filter((o) => matchesLabels(o, labelSelector) && matchesFields(o, fieldSelector))
      .sort((a, b) =>
        `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
        ),
      );
  }

  private nodesFor(obj: Obj): string[] {
    const selector: Record<string, string> = obj.spec?.template?.spec?.nodeSelector ?? {};
    return this.list('Node')
      .filter((n) => Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v))
      .map((n) => n.metadata.name);
  }

  private serveCrd(crd: Obj): void {
    for (const v of crd.spec.versions ?? []) {
      if (!v.served) continue;
      const t = R(
        crd.spec.group,
        v.name,
        crd.spec.names.kind,
        crd.spec.names.plural,
        crd.spec.scope === 'Namespaced',
        crd.spec.names.shortNames ?? [],
        v.subresources?.status ? ['status'] : [],
      );
      if (!this.types.some((x) => x.group === t.group && x.version === t.version && x.plural === t.plural))
        this.types.push(t);
    }
  }

  private groupList(): Obj {
    const groups = new Map<string, string[]>();
    for (const t of this.types) {
      if (!t.group) continue;
      const versions = groups.get(t.group) ?? groups.set(t.group, []).get(t.group)!;
      if (!versions.includes(t.version)) versions.push(t.version);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
      })),
    };
  }

  /**
   * OpenAPI: v2 is not served (404); v3 serves the root (`paths` of every group-version) and, per group-version, a
   * document with one PATCH operation per resource (its `x-kubernetes-group-version-kind` and the `fieldValidation`
   * query parameter) and schemas that carry only their GVK. That is what kubectl's query-parameter check
   * (`supportsQueryParamV3`) reads to learn that the server validates fields itself (`fieldValidation=Strict`)
   * instead of downloading a schema to validate client-side. No field schema is served: the fake validates nothing.
   */
  private openapi(parts: string[]): Answer {
    if (parts[1] !== 'v3') return status(404, 'NotFound', 'the server could not find the requested resource');
    const gvs = [...new Set(this.types.map((t) => (t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`)))];
    if (parts.length === 2) {
      return {
        code: 200,
        body: {
          paths: Object.fromEntries(
            gvs.map((gv) => [
              gv,
              {
                serverRelativeURL: `/openapi/v3/${gv}?hash=${crypto
                  .createHash('sha256')
                  .update(gv + this.types.length)
                  .digest('hex')
                  .slice(0, 16)}`,
              },
            ]),
          ),
        },
      };
    }
    const gv = parts.slice(2).join('/');
    const types = this.types.filter((t) => (t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`) === gv);
    if (!types.length) return status(404, 'NotFound', 'the server could not find the requested resource');
    const gvk = (t: FakeResourceType) => ({ group: t.group, version: t.version, kind: t.kind });
    const query = (name: string) => ({ name, in: 'query', schema: { type: 'string' }, description: `${name} (fake)` });
    const paths = Object.fromEntries(
      types.map((t) => [
        `/${gv}/${t.namespaced ? 'namespaces/{namespace}/' : ''}${t.plural}/{name}`,
        {
          patch: {
            operationId: `patch${t.kind}`,
            'x-kubernetes-action': 'patch',
            'x-kubernetes-group-version-kind': gvk(t),
            parameters: ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map(query),
            responses: { 200: { description: 'OK' } },
          },
        },
      ]),
    );
    const schemas = Object.fromEntries(
      types.map((t) => [
        `fake.${t.group || 'core'}.${t.version}.${t.kind}`,
        { type: 'object', 'x-kubernetes-group-version-kind': [gvk(t)] },
      ]),
    );
    return {
      code: 200,
      body: {
        openapi: '3.0.0',
        info: { title: 'Kubernetes (fake)', version: this.options.version ?? 'v1.33.0' },
        paths,
        components: { schemas },
      },
    };
  }

  private resourceList(group: string, version: string): Obj | undefined {
    const types = this.types.filter((t) => t.group === group && t.version === version);
    if (!types.length) return undefined;
    const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: types.flatMap((t) => [
        {
          name: t.plural,
          singularName: t.kind.toLowerCase(),
          namespaced: t.namespaced,
          kind: t.kind,
          verbs,
          ...(t.shortNames?.length ? { shortNames: t.shortNames } : {}),
        },
        ...(t.subresources ?? ['status']).map((s) => ({
          name: `${t.plural}/${s}`,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'patch', 'update'],
        })),
      ]),
    };
  }

  private typeOf(apiVersion: string, kind: string): FakeResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    return this.types.find((t) => t.group === group && t.version === version && t.kind === kind);
  }

  private typeOfKind(kind: string): FakeResourceType {
    const t = this.types.find((x) => x.kind === kind);
    if (!t) throw new Error(`fake apiserver: unknown kind ${kind}`);
    return t;
  }

  private typeKeyOfObj(o: Obj): string | undefined {
    const t = this.typeOf(o.apiVersion, o.kind);
    return t ? typeKeyOf(t) : undefined;
  }
}

interface Answer {
  readonly code: number;
  readonly body?: any;
  readonly streaming?: boolean;
}

/**
 * The defaults a real API server fills in that kubectl reads back: the workloads' update strategy (`rollout status`
 * refuses anything but RollingUpdate) and a Deployment's replica count.
 */
function withDefaults(kind: string, obj: Obj): Obj {
  if (!WORKLOAD_KINDS.has(kind)) return obj;
  const spec = { ...(obj.spec ?? {}) };
  if (kind === 'DaemonSet')
    spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
  if (kind === 'StatefulSet') spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
  if (kind === 'Deployment') {
    spec.replicas ??= 1;
    spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  }
  return { ...obj, spec };
}

/** Equal apart from what the server sets (uid, resourceVersion, generation, timestamps, managed fields) and status. */
function sameContent(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => {
    const { uid, resourceVersion, generation, creationTimestamp, managedFields, ...meta } = o.metadata ?? {};
    void uid;
    void resourceVersion;
    void generation;
    void creationTimestamp;
    void managedFields;
    return JSON.stringify(
      sortKeys({ ...o, apiVersion: undefined, kind: undefined, status: undefined, metadata: meta }),
    );
  };
  return strip(a) === strip(b);
}

function sortKeys(v: any): any {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => v[k] !== undefined)
        .map((k) => [k, sortKeys(v[k])]),
    );
  return v;
}

function apiVersionOf(t: FakeResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

function typeKeyOf(t: FakeResourceType): string {
  return `${t.group}/${t.plural}`;
}

function objectKey(t: FakeResourceType, namespace: string, name: string): string {
  return `${typeKeyOf(t)}/${namespace}/${name}`;
}

function status(code: number, reason: string, message: string): Answer {
  return { code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } };
}

function notFound(t: FakeResourceType, name: string): Answer {
  const kind = t.group ? `${t.plural}.${t.group}` : t.plural;
  return {
    code: 404,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `${kind} "${name}" not found`,
      reason: 'NotFound',
      details: { name, group: t.group, kind: t.plural },
      code: 404,
    },
  };
}

function reasonFor(code: number): string {
  return (
    (
      {
        400: 'BadRequest',
        401: 'Unauthorized',
        403: 'Forbidden',
        404: 'NotFound',
        409: 'Conflict',
        422: 'Invalid',
        500: 'InternalError',
        503: 'ServiceUnavailable',
      } as Record<number, string>
    )[code] ?? 'Unknown'
  );
}

function send(res: http.ServerResponse, type: string, object: Obj): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

function clone<T>(o: T): T {
  return JSON.parse(JSON.stringify(o));
}

/** RFC 7386 JSON merge patch (also used for strategic merge patches: enough for labels, annotations, status). */
function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch: add, replace, remove, test. */
function jsonPatch(target: any, ops: any[]): any {
  for (const op of ops ?? []) {
    const keys = String(op.path)
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let parent = target;
    for (const k of keys) parent = parent[k] ??= {};
    if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(parent) && last === '-') parent.push(op.value);
      else parent[last] = op.value;
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value))
        throw new Error(`json patch test failed at ${op.path}`);
    }
  }
  return target;
}

/** Splits a selector on commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. */
export function matchesLabels(obj: Obj, selector?: string): boolean {
  if (!selector) return true;
  const labels: Record<string, string> = obj.metadata?.labels ?? {};
  return terms(selector).every((term) => {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$/))) {
      const values = m[3].split(',').map((v) => v.trim());
      const has = m[1] in labels && values.includes(labels[m[1]]);
      return m[2] === 'in' ? has : !has;
    }
    if ((m = term.match(/^([^\s!=]+)\s*!=\s*(.*)$/))) return labels[m[1]] !== m[2];
    if ((m = term.match(/^([^\s!=]+)\s*==?\s*(.*)$/))) return labels[m[1]] === m[2];
    if ((m = term.match(/^!\s*(\S+)$/))) return !(m[1] in labels);
    return term in labels;
  });
}

/** Field selectors: `a.b=v`, `a.b==v`, `a.b!=v` on any dotted path (`metadata.name`, `spec.nodeName`, `status.phase`). */
export function matchesFields(obj: Obj, selector?: string): boolean {
  if (!selector) return true;
  return terms(selector).every((term) => {
    const m = term.match(/^([^!=]+?)\s*(!=|==|=)\s*(.*)$/);
    if (!m) return false;
    const value = m[1].split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), obj);
    const equal = String(value ?? '') === m[3];
    return m[2] === '!=' ? !equal : equal;
  });
}

/** A self-signed P-256 certificate for IP:127.0.0.1 from the real openssl, made once per process. */
function selfSignedLoopbackCert(): { cert: string; key: string } {
  const holder = globalThis as unknown as Record<symbol, { cert: string; key: string } | undefined>;
  const sym = Symbol.for('cdk8s-ha-control-plane.test.fakeApiserverCert');
  if (holder[sym]) return holder[sym]!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-fake-api-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=fake-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyCertSign',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    holder[sym] = {
      cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
      key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    };
    return holder[sym]!;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
