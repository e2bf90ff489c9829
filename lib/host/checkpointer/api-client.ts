// A minimal HTTPS client for the few API calls the checkpointer makes, with the kubelet's own credentials (Node's
// https module: no client library needed for four GETs).
import * as fs from 'fs';
import * as https from 'https';
import * as tls from 'tls';
import { parse as parseYaml } from 'yaml';
import { HostLayout, KUBELET_CLIENT_CURRENT } from './layout';

/** The TLS material of one round: the cluster CA and the kubelet's client pair. */
export interface ApiCredentials {
  /** The cluster CA certificate (PEM). */
  readonly ca: string;
  /** The kubelet's client certificate (PEM). */
  readonly cert: string;
  /** Its private key (PEM). */
  readonly key: string;
  /** Where the client pair came from (for messages). */
  readonly source: string;
}

/** A GET's outcome: the status and the body text, or the transport error. */
export type ApiResponse =
  | {
      /** The HTTP status code. */
      readonly status: number;
      /** The body text. */
      readonly body: string;
    }
  | {
      /** The transport error (refused, timed out, TLS failure, a body over 16 MiB). */
      readonly error: string;
    };

/** The name every API server certificate carries (`kubernetes`), checked instead of the dialed address. */
const API_SERVER_NAME = 'kubernetes';
/** Responses larger than this are cut off (a pod list of one node is a few hundred KiB at most). */
const MAX_BODY = 16 * 1024 * 1024;

/**
 * Reads the kubelet's credentials: the client pair the kubelet currently uses (its rotated
 * `/var/lib/kubelet/pki/kubelet-client-current.pem` when there is one, else the pair `kubelet.conf` names or embeds)
 * and the cluster CA (`/etc/kubernetes/pki/ca.crt`). Read every round, so a rotation is picked up. Throws naming
 * the file when one is missing or unreadable.
 */
export function loadKubeletCredentials(layout: HostLayout): ApiCredentials {
  const ca = readRequired(layout.caCert, 'the cluster CA');
  const current = layout.local(KUBELET_CLIENT_CURRENT);
  if (fs.existsSync(current)) {
    const pem = readRequired(current, "the kubelet's rotated client certificate");
    return { ca, ...splitPem(pem, current), source: KUBELET_CLIENT_CURRENT };
  }
  const file = layout.kubeletKubeconfig;
  let config: any;
  try {
    config = parseYaml(readRequired(file, "the kubelet's kubeconfig"));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
  const contextName = config?.['current-context'];
  const context = (config?.contexts ?? []).find((c: any) => c?.name === contextName)?.context;
  const user = (config?.users ?? []).find((u: any) => u?.name === context?.user)?.user ?? config?.users?.[0]?.user;
  if (!user) throw new Error(`${file}: no user for context ${JSON.stringify(contextName)}`);
  const material = (dataKey: string, fileKey: string, what: string) => {
    if (typeof user[dataKey] === 'string') return Buffer.from(user[dataKey], 'base64').toString('utf8');
    if (typeof user[fileKey] === 'string') return readRequired(layout.local(user[fileKey]), what);
    throw new Error(`${file}: the user has neither ${dataKey} nor ${fileKey}`);
  };
  const cert = material('client-certificate-data', 'client-certificate', "the kubelet's client certificate");
  const key = material('client-key-data', 'client-key', "the kubelet's client key");
  return { ca, cert, key, source: file.slice(layout.root === '/' ? 0 : layout.root.length) };
}

function readRequired(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new Error(`${file} (${what}): ${e.code === 'ENOENT' ? 'missing' : e.message}`, { cause: e });
  }
}

/** Certificate blocks and the private key block of a PEM bundle. */
function splitPem(pem: string, file: string): { cert: string; key: string } {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  const key = pem.match(/-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/);
  if (!certs || !key) throw new Error(`${file}: expected a certificate and a private key`);
  return { cert: `${certs.join('\n')}\n`, key: `${key[0]}\n` };
}

/** GETs `path` from the API server at `baseUrl` (`https://host:port`), within `timeoutMs`. Never throws. */
export function apiGet(baseUrl: string, path: string, creds: ApiCredentials, timeoutMs: number): Promise<ApiResponse> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(path, baseUrl);
    } catch (e) {
      resolve({ error: `bad URL ${baseUrl}${path}: ${(e as Error).message}` });
      return;
    }
    let done = false;
    const finish = (r: ApiResponse) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = https.request(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { Accept: 'application/json' },
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        agent: false,
        minVersion: 'TLSv1.2',
        // Every API server certificate names `kubernetes`; 127.0.0.1 is not always among its SANs.
        checkServerIdentity: (_host: string, cert: tls.PeerCertificate) =>
          tls.checkServerIdentity(API_SERVER_NAME, cert),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            req.destroy();
            finish({ error: `${url.origin}${url.pathname}: response larger than ${MAX_BODY} bytes` });
          } else chunks.push(c);
        });
        res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => finish({ error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ error: `${url.origin}${url.pathname}: no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (e) => finish({ error: `${url.origin}${url.pathname}: ${e.message}` }));
    req.end();
  });
}

/** How an API server answered `/readyz`. */
export type Readiness = 'ready' | 'not-ready' | 'refused-credentials';

/**
 * Asks `/readyz`. 200 is ready; 401/403 means the server runs but refuses the kubelet's credentials (counted as
 * answering by the caller, so a credential problem never looks like an outage); anything else is not ready.
 */
export async function readiness(baseUrl: string, creds: ApiCredentials, timeoutMs: number): Promise<Readiness> {
  const r = await apiGet(baseUrl, '/readyz', creds, timeoutMs);
  if ('error' in r) return 'not-ready';
  if (r.status === 200) return 'ready';
  return r.status === 401 || r.status === 403 ? 'refused-credentials' : 'not-ready';
}
