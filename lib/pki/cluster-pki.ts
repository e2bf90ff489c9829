import * as fs from 'fs';
import * as path from 'path';
import { ClusterSpec, ResolvedClusterSpec, findMaster, resolveSpec, urlHost } from '../spec';
import { CA_IDS, SA_ID } from './_catalog';
import { Action, Assessment, DAY, PkiError, VERIFIED_FILE, assess, execute, isKeyPath, pairDigests, plan, renewalWindowDays, sanList, statePaths, trustedPairs, verifiedFile } from './_engine';
import { inspectCertificate, inspectPrivateKey } from './_crypto';
import { StateWrite, commit, applyJournal, readState, withLock } from './_state';
import { KubeconfigCredentials, renderKubeconfig } from './kubeconfig';
import { KubeconfigPaths, KubeletPkiPaths, PkiPaths, hostPathToAssetPath } from './paths';
import { OutputFile, ensureDir, readIfExists, writeFileAtomic } from '../util/files';

/** Options for `ClusterPki.ensure()`. */
export interface EnsurePkiOptions {
  /** State directory, e.g. `pki/<cluster-name>` (see `defaultPkiDir()`). Created 0700. */
  readonly dir: string;
  /** Receives one line per change: `issued apiserver (master0): SANs changed: +IP:10.0.0.5`. */
  readonly log?: (line: string) => void;
  /** The current time (tests). @default - now */
  readonly now?: Date;
  /**
   * Bring your own CA: a directory in kubeadm's layout holding `ca.crt`/`ca.key` (required) and optionally
   * `front-proxy-ca.crt`/`.key` and `etcd/ca.crt`/`.key`. Imported into an empty state; a state that already has a
   * different CA is an error (a CA is never replaced).
   * @default - CAs are generated
   */
  readonly byoCaDir?: string;
  /**
   * Re-issue every leaf certificate (not the CAs, not the service-account key), also an invalid one.
   * @default false
   */
  readonly force?: boolean;
}

/** Options for `ClusterPki.inMemory()`. */
export interface InMemoryPkiOptions {
  /** @default - now */
  readonly now?: Date;
  /** Start from these state files (`snapshot()` of another instance): only what is missing or stale is made. */
  readonly files?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

/** Options for `ClusterPki.status()`. */
export interface PkiStatusOptions {
  readonly dir: string;
  /** @default - now */
  readonly now?: Date;
}

/** One row of `hacp pki status`. */
export interface CertStatus {
  /** `apiserver (master0)`, `admin.conf`, `ca`, `sa.key/sa.pub`. */
  readonly name: string;
  /** State-relative certificate path (`nodes/master0/apiserver.crt`). */
  readonly file: string;
  readonly kind: 'ca' | 'leaf' | 'key';
  readonly subject?: string;
  /** `DNS:kubernetes`, `IP:10.96.0.1`. */
  readonly sans: string[];
  readonly issuer?: string;
  /** ISO 8601. */
  readonly notAfter?: string;
  readonly daysLeft?: number;
  readonly keyBits?: number;
  readonly state: Assessment['state'];
  readonly reason?: string;
}

/** PEM strings for the self-hosted (bootkube) control plane's Secrets and `bootkube start`. */
export interface BootkubeTlsAssets {
  readonly caCrt: string;
  /** The cluster CA key: only because the self-hosted controller manager's Secret needs it (csrsigning). */
  readonly caKey: string;
  readonly apiserverCrt: string;
  readonly apiserverKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  readonly etcdClientCaCrt: string;
  readonly etcdClientCrt: string;
  readonly etcdClientKey: string;
  /** Kubelet client identity of the first master (where `bootkube start` runs): `system:node:<master>`. */
  readonly kubeletCrt: string;
  readonly kubeletKey: string;
  readonly frontProxyCaCrt: string;
  readonly frontProxyClientCrt: string;
  readonly frontProxyClientKey: string;
  /** The API server's client identity towards kubelets (`kube-apiserver-kubelet-client`, no group). */
  readonly apiserverKubeletClientCrt: string;
  readonly apiserverKubeletClientKey: string;
  /** `auth/kubeconfig`: the admin identity (group `kubeadm:cluster-admins`), server = the API endpoint. */
  readonly kubeconfig: string;
  /** Break-glass kubeconfig (`system:masters`): needed to create the cluster-admins binding itself. */
  readonly superAdminKubeconfig: string;
}

/** The kubeconfigs this PKI renders. */
export type KubeconfigKind = 'admin' | 'super-admin' | 'controller-manager' | 'scheduler' | 'kubelet';

/** Default state directory: `$HACP_PKI_DIR/<cluster-name>` (`pki/<cluster-name>` when unset). */
export function defaultPkiDir(spec: ResolvedClusterSpec, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.HACP_PKI_DIR || 'pki', spec.name);
}

const rel = (hostPath: string) => hostPathToAssetPath(hostPath)!;
const CERT = 0o644;
const SECRET = 0o600;

/**
 * The cluster's PKI: CAs, every leaf certificate, the service-account key and the kubeconfigs, kubeadm's set.
 *
 * `ensure()` keeps it in a state directory (created once, then reused byte for byte; leaves re-issued only when
 * they no longer match the spec or are about to expire); `inMemory()` makes one without touching the disk.
 * The accessors return the files each host needs.
 */
export class ClusterPki {
  /** Loads, creates or renews the PKI in `options.dir`. Nothing is written when everything is valid. */
  static async ensure(input: ClusterSpec | ResolvedClusterSpec, options: EnsurePkiOptions): Promise<ClusterPki> {
    const spec = resolveSpec(input);
    const dir = path.resolve(options.dir);
    const now = options.now ?? new Date();
    const log = options.log ?? (() => {});
    const paths = statePaths(spec);

    const attempt = (locked: boolean) => {
      const view = readState(dir, paths);
      const imported = options.byoCaDir ? importByoCa(options.byoCaDir, view.files) : {};
      const files = new Map(view.files);
      Object.entries(imported).forEach(([p, w]) => files.set(p, w.content));
      const digests = pairDigests(spec, files);
      const assessments = assess(spec, files, now, trustedPairs(digests, files));
      let actions: Action[];
      try {
        actions = plan(assessments, options.force);
      } catch (e) {
        throw e instanceof PkiError ? new PkiError(e.problems, dir) : e;
      }
      const badModes = [...view.modes].filter(([p, m]) => (isKeyPath(p) ? m !== SECRET : (m & 0o022) !== 0));
      const clean = !actions.length && !view.journal && !Object.keys(imported).length && !badModes.length;
      if (locked || clean) warnCas(assessments, log);
      return { view, imported, files, digests, actions, badModes, clean };
    };

    const first = attempt(false);
    if (first.clean && dirIsPrivate(dir)) {
      rememberVerified(dir, first.files, first.digests);
      return new ClusterPki(spec, first.files);
    }

    ensureDir(dir, true, true);
    return withLock(dir, async () => {
      const state = attempt(true); // again: another process may have changed the state meanwhile
      if (state.view.journal) {
        applyJournal(dir, state.view.journal);
        log(`completed an interrupted update of ${dir} (${Object.keys(state.view.journal).length} files)`);
      }
      for (const p of Object.keys(state.imported)) log(`imported ${p} from ${options.byoCaDir}`);
      const result = await execute(spec, state.files, state.actions, now, log);
      const writes = { ...state.imported, ...result.writes };
      const verified = verifiedFile(pairDigests(spec, result.files)); // every pair is checked (or unchanged since) by now
      if (result.files.get(VERIFIED_FILE) !== verified) writes[VERIFIED_FILE] = { content: verified, mode: SECRET };
      commit(dir, writes);
      for (const [p, mode] of state.badModes) {
        const want = isKeyPath(p) ? SECRET : mode & ~0o022;
        fs.chmodSync(path.join(dir, p), want);
        log(`changed the mode of ${p} from 0${mode.toString(8)} to 0${want.toString(8)}`);
      }
      return new ClusterPki(spec, result.files);
    });
  }

  /** Makes (or completes) a PKI in memory: nothing is read from or written to disk. */
  static async inMemory(input: ClusterSpec | ResolvedClusterSpec, options: InMemoryPkiOptions = {}): Promise<ClusterPki> {
    const spec = resolveSpec(input);
    const now = options.now ?? new Date();
    const files = new Map(Object.entries(options.files ?? {}));
    const result = await execute(spec, files, plan(assess(spec, files, now)), now, options.log);
    return new ClusterPki(spec, result.files);
  }

  /** Inspects the state directory without changing anything: one row per certificate. */
  static status(input: ClusterSpec | ResolvedClusterSpec, options: PkiStatusOptions): CertStatus[] {
    const spec = resolveSpec(input);
    const view = readState(path.resolve(options.dir), statePaths(spec));
    return toStatus(assess(spec, view.files, options.now ?? new Date(), trustedPairs(pairDigests(spec, view.files), view.files)));
  }

  private readonly files: ReadonlyMap<string, string>;
  /** `bootkubeAssets()`, rendered on first use (it renders two kubeconfigs; `bootkubeFiles()` needs it too). */
  private bootkube?: BootkubeTlsAssets;

  private constructor(readonly spec: ResolvedClusterSpec, files: ReadonlyMap<string, string>) {
    this.files = new Map([...files].filter(([p]) => !path.basename(p).startsWith('.'))); // no bookkeeping files
  }

  /** The state files (state-relative path → PEM), e.g. to cache or to start another `inMemory()` from. */
  snapshot(): Record<string, string> {
    return Object.fromEntries([...this.files].sort(([a], [b]) => a.localeCompare(b)));
  }

  /**
   * The first moment at which a certificate of this PKI enters its renewal window: from then on `ensure()` renews a
   * leaf or warns about a CA (`pki.renewBeforeDays`, `pki.validityDays`), so what was made from it is due again.
   */
  renewalDueAt(): Date {
    let first = Infinity;
    for (const [file, pem] of this.files) {
      if (!file.endsWith('.crt')) continue;
      const info = inspectCertificate(pem);
      first = Math.min(first, info.notAfter.getTime() - renewalWindowDays(this.spec, info.isCa ? 'ca' : 'leaf') * DAY);
    }
    return new Date(first);
  }

  /** Rows for `hacp pki status` of this (in-memory) PKI. */
  status(now = new Date()): CertStatus[] {
    return toStatus(assess(this.spec, this.files, now));
  }

  /**
   * What a master needs under `/etc/kubernetes`: every file the four static pods reference, admin.conf and
   * kubelet.conf; super-admin.conf only on the first master. Of the CA keys only `pki/ca.key` (the controller
   * manager's csrsigning controller signs kubelet certificates, on whichever master holds the leader lease).
   */
  masterFiles(master: string): OutputFile[] {
    const m = findMaster(this.spec, master);
    const node = `nodes/${m.name}`;
    return [
      this.cert(PkiPaths.caCert, 'ca'),
      this.key(PkiPaths.caKey, 'ca'),
      this.cert(PkiPaths.apiServerCert, `${node}/apiserver`),
      this.key(PkiPaths.apiServerKey, `${node}/apiserver`),
      this.cert(PkiPaths.apiServerKubeletClientCert, 'apiserver-kubelet-client'),
      this.key(PkiPaths.apiServerKubeletClientKey, 'apiserver-kubelet-client'),
      this.cert(PkiPaths.apiServerEtcdClientCert, 'apiserver-etcd-client'),
      this.key(PkiPaths.apiServerEtcdClientKey, 'apiserver-etcd-client'),
      this.cert(PkiPaths.frontProxyCaCert, 'front-proxy-ca'),
      this.cert(PkiPaths.frontProxyClientCert, 'front-proxy-client'),
      this.key(PkiPaths.frontProxyClientKey, 'front-proxy-client'),
      { path: rel(PkiPaths.serviceAccountKey), content: this.pem(`${SA_ID}.key`), mode: SECRET },
      { path: rel(PkiPaths.serviceAccountPub), content: this.pem(`${SA_ID}.pub`), mode: CERT },
      this.cert(PkiPaths.etcdCaCert, 'etcd/ca'),
      this.cert(PkiPaths.etcdServerCert, `${node}/etcd-server`),
      this.key(PkiPaths.etcdServerKey, `${node}/etcd-server`),
      this.cert(PkiPaths.etcdPeerCert, `${node}/etcd-peer`),
      this.key(PkiPaths.etcdPeerKey, `${node}/etcd-peer`),
      this.cert(PkiPaths.etcdHealthcheckClientCert, 'etcd/healthcheck-client'),
      this.key(PkiPaths.etcdHealthcheckClientKey, 'etcd/healthcheck-client'),
      this.conf(KubeconfigPaths.admin, this.kubeconfig('admin')),
      ...(this.spec.masters[0].name === m.name ? [this.conf(KubeconfigPaths.superAdmin, this.kubeconfig('super-admin'))] : []),
      this.conf(KubeconfigPaths.controllerManager, this.kubeconfig('controller-manager', m.name)),
      this.conf(KubeconfigPaths.scheduler, this.kubeconfig('scheduler', m.name)),
      this.conf(KubeconfigPaths.kubelet, this.kubeconfig('kubelet', m.name)),
    ];
  }

  /** What a worker needs under `/etc/kubernetes`: the cluster CA (the kubelet's client CA) and kubelet.conf. */
  workerFiles(worker: string): OutputFile[] {
    const w = this.spec.workers.find((x) => x.name === worker);
    if (!w) throw new Error(`unknown worker '${worker}' (workers: ${this.spec.workers.map((x) => x.name).join(', ') || 'none'})`);
    return [this.cert(PkiPaths.caCert, 'ca'), this.conf(KubeconfigPaths.kubelet, this.kubeconfig('kubelet', w.name))];
  }

  /**
   * The kubelet's own pairs, paths relative to `/` (`var/lib/kubelet/pki/...`), for masters and workers: the
   * client pair kubelet.conf points at (the kubelet rotates it itself) and a CA-signed serving pair.
   */
  kubeletFiles(node: string): OutputFile[] {
    const id = `nodes/${this.node(node).name}`;
    const abs = (p: string) => p.replace(/^\//, '');
    return [
      { path: abs(KubeletPkiPaths.clientCert), content: this.pem(`${id}/kubelet-client.crt`), mode: CERT },
      { path: abs(KubeletPkiPaths.clientKey), content: this.pem(`${id}/kubelet-client.key`), mode: SECRET },
      { path: abs(KubeletPkiPaths.servingCert), content: this.pem(`${id}/kubelet-serving.crt`), mode: CERT },
      { path: abs(KubeletPkiPaths.servingKey), content: this.pem(`${id}/kubelet-serving.key`), mode: SECRET },
    ];
  }

  /**
   * A kubeconfig. `node` names the master (controller-manager, scheduler: they talk to their local API server) or
   * node (kubelet). admin, super-admin and kubelet use the API endpoint (the load balancer).
   */
  kubeconfig(kind: KubeconfigKind, node?: string): string {
    const need = () => {
      if (!node) throw new Error(`kubeconfig('${kind}') needs a node name`);
      return node;
    };
    const embed = (id: string): KubeconfigCredentials => ({ certPem: this.pem(`${id}.crt`), keyPem: this.pem(`${id}.key`) });
    const local = () => `https://${urlHost(findMaster(this.spec, need()).ip)}:${this.spec.apiServerPort}`;
    switch (kind) {
      case 'admin':
        return this.render('kubernetes-admin', this.spec.apiServerUrl, embed('kubeconfig/admin'));
      case 'super-admin':
        return this.render('kubernetes-super-admin', this.spec.apiServerUrl, embed('kubeconfig/super-admin'));
      case 'controller-manager':
        return this.render('system:kube-controller-manager', local(), embed(`nodes/${need()}/controller-manager`));
      case 'scheduler':
        return this.render('system:kube-scheduler', local(), embed(`nodes/${need()}/scheduler`));
      case 'kubelet': {
        const n = this.node(need());
        this.pem(`nodes/${n.name}/kubelet-client.crt`); // fail early for an unknown node
        return this.render(`system:node:${n.name}`, this.spec.apiServerUrl, { certFile: KubeletPkiPaths.clientCert, keyFile: KubeletPkiPaths.clientKey });
      }
    }
  }

  /** PEM strings for the self-hosted control plane, issued by the same CAs. */
  bootkubeAssets(): BootkubeTlsAssets {
    return (this.bootkube ??= this.renderBootkubeAssets());
  }
  private renderBootkubeAssets(): BootkubeTlsAssets {
    const first = `nodes/${this.spec.masters[0].name}`;
    return Object.freeze({
      caCrt: this.pem('ca.crt'),
      caKey: this.pem('ca.key'),
      apiserverCrt: this.pem('bootkube/apiserver.crt'),
      apiserverKey: this.pem('bootkube/apiserver.key'),
      serviceAccountKey: this.pem(`${SA_ID}.key`),
      serviceAccountPub: this.pem(`${SA_ID}.pub`),
      etcdClientCaCrt: this.pem('etcd/ca.crt'),
      etcdClientCrt: this.pem('apiserver-etcd-client.crt'),
      etcdClientKey: this.pem('apiserver-etcd-client.key'),
      kubeletCrt: this.pem(`${first}/kubelet-client.crt`),
      kubeletKey: this.pem(`${first}/kubelet-client.key`),
      frontProxyCaCrt: this.pem('front-proxy-ca.crt'),
      frontProxyClientCrt: this.pem('front-proxy-client.crt'),
      frontProxyClientKey: this.pem('front-proxy-client.key'),
      apiserverKubeletClientCrt: this.pem('apiserver-kubelet-client.crt'),
      apiserverKubeletClientKey: this.pem('apiserver-kubelet-client.key'),
      kubeconfig: this.kubeconfig('admin'),
      superAdminKubeconfig: this.kubeconfig('super-admin'),
    });
  }

  /**
   * bootkube's asset layout: `tls/*`, `auth/kubeconfig` and `auth/admin.conf`. Keys and kubeconfigs 0600.
   * `auth/kubeconfig` is what `bootkube start` and the temporary bootstrap controller manager and scheduler use before
   * any RBAC binding exists (they create them), so it is the break-glass `system:masters` identity, as bootkube's own
   * render made it; the bootstrap secrets dir holding it is deleted at the end of the bootstrap. `auth/admin.conf`
   * (group `kubeadm:cluster-admins`, bound to cluster-admin by the manifests) is for everyday use afterwards.
   */
  bootkubeFiles(): OutputFile[] {
    const a = this.bootkubeAssets();
    const f = (p: string, content: string, mode = CERT): OutputFile => ({ path: p, content, mode });
    return [
      f('tls/ca.crt', a.caCrt), f('tls/ca.key', a.caKey, SECRET),
      f('tls/apiserver.crt', a.apiserverCrt), f('tls/apiserver.key', a.apiserverKey, SECRET),
      f('tls/service-account.key', a.serviceAccountKey, SECRET), f('tls/service-account.pub', a.serviceAccountPub),
      f('tls/etcd-client-ca.crt', a.etcdClientCaCrt),
      f('tls/etcd-client.crt', a.etcdClientCrt), f('tls/etcd-client.key', a.etcdClientKey, SECRET),
      f('tls/kubelet.crt', a.kubeletCrt), f('tls/kubelet.key', a.kubeletKey, SECRET),
      f('tls/front-proxy-ca.crt', a.frontProxyCaCrt),
      f('tls/front-proxy-client.crt', a.frontProxyClientCrt), f('tls/front-proxy-client.key', a.frontProxyClientKey, SECRET),
      f('tls/apiserver-kubelet-client.crt', a.apiserverKubeletClientCrt), f('tls/apiserver-kubelet-client.key', a.apiserverKubeletClientKey, SECRET),
      f('auth/kubeconfig', a.superAdminKubeconfig, SECRET),
      f('auth/admin.conf', a.kubeconfig, SECRET),
    ];
  }

  private node(name: string) {
    const n = [...this.spec.masters, ...this.spec.workers].find((x) => x.name === name);
    if (!n) throw new Error(`unknown node '${name}' (nodes: ${[...this.spec.masters, ...this.spec.workers].map((x) => x.name).join(', ')})`);
    return n;
  }

  private render(user: string, server: string, credentials: KubeconfigCredentials): string {
    return renderKubeconfig({ clusterName: this.spec.name, server, caPem: this.pem('ca.crt'), user, credentials });
  }

  private pem(p: string): string {
    const v = this.files.get(p);
    if (v === undefined) throw new Error(`the PKI has no ${p}`);
    return v;
  }

  private cert(hostPath: string, id: string): OutputFile {
    return { path: rel(hostPath), content: this.pem(`${id}.crt`), mode: CERT };
  }

  private key(hostPath: string, id: string): OutputFile {
    return { path: rel(hostPath), content: this.pem(`${id}.key`), mode: SECRET };
  }

  private conf(hostPath: string, content: string): OutputFile {
    return { path: rel(hostPath), content, mode: SECRET };
  }
}

/** Reads and checks a bring-your-own CA directory; returns the CA files the state lacks (to write, never over). */
function importByoCa(byoDir: string, state: ReadonlyMap<string, string>): Record<string, StateWrite> {
  const out: Record<string, StateWrite> = {};
  const problems: string[] = [];
  for (const id of CA_IDS) {
    const crt = readIfExists(path.join(byoDir, `${id}.crt`));
    const key = readIfExists(path.join(byoDir, `${id}.key`));
    const where = path.join(byoDir, id);
    if (crt === undefined && key === undefined) {
      if (id === 'ca') problems.push(`${where}.crt: required in the bring-your-own CA directory`);
      continue;
    }
    if (crt === undefined || key === undefined) {
      problems.push(`${where}.${crt === undefined ? 'crt' : 'key'}: missing (both the certificate and its key are needed to sign)`);
      continue;
    }
    try {
      const info = inspectCertificate(crt);
      if (!info.isCa) throw new Error('not a CA certificate (basicConstraints CA:FALSE)');
      if (!info.x509.checkPrivateKey(inspectPrivateKey(key))) throw new Error(`${id}.key does not match ${id}.crt`);
      if (info.notAfter.getTime() <= Date.now()) throw new Error(`expired ${info.notAfter.toISOString()}`);
    } catch (e) {
      problems.push(`${where}.crt: ${(e as Error).message}`);
      continue;
    }
    const have = [state.get(`${id}.crt`), state.get(`${id}.key`)];
    if (have[0] === undefined && have[1] === undefined) {
      out[`${id}.key`] = { content: key, mode: SECRET, noClobber: true };
      out[`${id}.crt`] = { content: crt, mode: CERT, noClobber: true };
    } else if (have[0] !== crt || have[1] !== key) {
      problems.push(`${where}.crt: the state already has a different ${id}; a CA is never replaced (remove the state directory to start over)`);
    }
  }
  if (problems.length) throw new PkiError(problems);
  return out;
}

/**
 * Records the digests of a state that has just passed every check, when `VERIFIED_FILE` lacks some (a state made by
 * a version without it, or a pair restored by hand): the next warm run then skips the key checks. Best effort: a
 * read-only state directory only costs that speed-up.
 */
function rememberVerified(dir: string, files: ReadonlyMap<string, string>, digests: ReadonlyMap<string, string>): void {
  const verified = verifiedFile(digests);
  if (files.get(VERIFIED_FILE) === verified) return;
  try {
    writeFileAtomic(path.join(dir, VERIFIED_FILE), verified, SECRET);
  } catch {
    // not writable: every warm run checks every pair, as before
  }
}

function warnCas(assessments: Assessment[], log: (line: string) => void): void {
  for (const a of assessments) {
    if (a.kind === 'ca' && a.state === 'expiring') log(`warning: CA ${a.name} ${a.reason}; CAs are never regenerated automatically (docs/pki.md, "CA rotation")`);
  }
}

function dirIsPrivate(dir: string): boolean {
  try {
    return (fs.statSync(dir).mode & 0o777) === 0o700;
  } catch {
    return false;
  }
}

function toStatus(assessments: Assessment[]): CertStatus[] {
  return assessments.map((a) => ({
    name: a.name,
    file: a.kind === 'key' ? `${SA_ID}.key` : `${a.id}.crt`,
    kind: a.kind,
    subject: a.info?.subject,
    sans: a.info ? sanList(a.info) : [],
    issuer: a.info?.issuer,
    notAfter: a.info?.notAfter.toISOString(),
    daysLeft: a.daysLeft,
    keyBits: a.info?.keyBits,
    state: a.state,
    reason: a.reason,
  }));
}
