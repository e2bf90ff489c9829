/**
 * A FAKE Kubernetes API server for the checkpointer's runner tests: HTTPS on 127.0.0.1 with the fixture PKI's API server
 * certificate, client certificates verified against the fixture CA, and a FAKE of the Node authorizer's rules for
 * what the checkpointer asks: a node (`system:node:<name>`, group `system:nodes`) may list pods only with the field
 * selector `spec.nodeName=<itself>`, and get a Secret or ConfigMap only when a pod bound to it mounts it. `/readyz`
 * is open to anonymous requests, as this project's authentication configuration allows. Everything else is 403.
 * It is not a real kube-apiserver: no watch, no defaulting, no admission.
 */
import * as https from 'https';
import { AddressInfo } from 'net';
import { TLSSocket } from 'tls';
import { KubeObject, referencedSources } from '../../../lib/host/checkpointer';

/** One request the FAKE saw. */
export interface FakeApiRequest {
  readonly path: string;
  /** The client certificate's CN, or `anonymous`. */
  readonly user: string;
  readonly status: number;
}

/** TLS material of the FAKE: its serving pair and the CA its clients' certificates must chain to. */
export interface FakeApiTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export class FakeNodeApiServer {
  /** `/readyz` answers 200 (else 500, like an API server that lost etcd). */
  public ready = true;
  /** Never answer at all (a hung server): requests time out on the client. */
  public hang = false;
  public readonly pods: KubeObject[] = [];
  public readonly secrets = new Map<string, KubeObject>();
  public readonly configMaps = new Map<string, KubeObject>();
  public readonly requests: FakeApiRequest[] = [];
  private server?: https.Server;

  constructor(private readonly tls: FakeApiTls) {}

  /** Listens on 127.0.0.1 (a free port); returns `https://127.0.0.1:<port>`. */
  public async start(): Promise<string> {
    const server = https.createServer(
      { cert: this.tls.cert, key: this.tls.key, ca: this.tls.ca, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        if (this.hang) return; // never answers
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const user = socket.authorized && peer?.subject?.CN ? String(peer.subject.CN) : 'anonymous';
        const send = (status: number, body: unknown) => {
          this.requests.push({ path: req.url ?? '', user, status });
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(typeof body === 'string' ? body : JSON.stringify(body));
        };
        const url = new URL(req.url ?? '/', 'https://fake');
        if (req.method !== 'GET') return send(405, { message: 'FAKE: read only' });
        if (url.pathname === '/readyz') return this.ready ? send(200, 'ok') : send(500, '[-]etcd failed: FAKE');
        if (user === 'anonymous') return send(401, { kind: 'Status', message: 'Unauthorized' });
        const node = /^system:node:(.+)$/.exec(user)?.[1];
        const forbidden = (what: string) =>
          send(403, { kind: 'Status', message: `FAKE Node authorizer: ${user} cannot ${what}` });
        if (!node) return forbidden(`get ${url.pathname}`);
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|secrets|configmaps)(?:\/([^/]+))?$/.exec(url.pathname);
        if (!m) return forbidden(`get ${url.pathname}`);
        const [, ns, resource, name] = m;
        const bound = this.pods.filter((p) => p.metadata?.namespace === ns && p.spec?.nodeName === node);
        if (resource === 'pods' && !name) {
          if (url.searchParams.get('fieldSelector') !== `spec.nodeName=${node}`)
            return forbidden('list pods without fieldSelector spec.nodeName=<itself>');
          return send(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: bound });
        }
        if (resource === 'pods' || !name) return forbidden(`get ${url.pathname}`);
        const kind = resource === 'secrets' ? 'Secret' : 'ConfigMap';
        if (!bound.some((p) => referencedSources(p).some((r) => r.kind === kind && r.name === name))) {
          return forbidden(`get ${kind} ${ns}/${name}: no pod bound to ${node} mounts it`);
        }
        const obj = (resource === 'secrets' ? this.secrets : this.configMaps).get(name);
        return obj
          ? send(200, obj)
          : send(404, { kind: 'Status', reason: 'NotFound', message: `${resource} "${name}" not found` });
      },
    );
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  public get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  public async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
