import * as fs from 'fs';
import * as path from 'path';
import { ClusterSpec, ResolvedClusterSpec, findMaster, resolveSpec, urlHost } from '../spec';
import { describeFsError, fileKind, isFsError } from '../util/fs-errors';
import {
  Action, Assessment, CertState, DAY, PkiError, VERIFIED_FILE, assess, execute, isKeyPath, keysNeeded, pairDigests, plan, preflight, renewalWindowDays, sanList,
  statePaths, trustedPairs, verifiedFile,
} from './_engine';
import { inspectCertificate, inspectPrivateKey } from './_crypto';
import { StateWrite, commit, applyJournal, readState, withLock } from './_state';
import type * as TestPki from './_test-pki';
import {
  BOOTKUBE_ASSET_PATHS, BootkubeTlsAssets, CA_IDS, CatalogEntry, CatalogFile, CertEntry, KubeconfigKind, SA_ID, pkiCatalog, receives,
} from './catalog';
import { KubeconfigCredentials, renderKubeconfig } from './kubeconfig';
import { HostPaths, KUBERNETES_DIR, KubeconfigPaths, KubeletPkiPaths, PkiPaths, hostPathToAssetPath } from './paths';
import { OutputFile, ensureDir, readIfExists, writeFileAtomic } from '../util/files';

/** Options for `ClusterPki.ensure()`. */
export interface EnsurePkiOptions {
  /** State directory, e.g. `pki/<cluster-name>` (see `defaultPkiDir()`). Created 0700. */
  readonly dir: string;
  /** Receives one line per change: `issued apiserver (master0): SANs changed: +IP:10.0.0.5`. */
  readonly log?: (line: string) => void;
  /** The time certificates are issued at and checked against (for tests). @default - now */
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
  /**
   * Called once the state is checked and before the first key is generated, only when keys must be generated (never
   * on a warm run). Throw from it to stop: nothing is then generated or written. Use it to validate what will be built
   * from the PKI (the constructs), so that those errors come before seconds of key generation, not after.
   * @default - nothing is called
   */
  readonly beforeKeyGeneration?: () => void | Promise<void>;
  /**
   * Re-issue these leaf certificates (state paths without extension, the `file` of `status()` rows without `.crt`),
   * also valid ones: `force` for some leaves only.
   * @default - none
   */
  readonly reissue?: readonly string[];
}

/** Options for `ClusterPki.inMemory()`. */
export interface InMemoryPkiOptions {
  /** The time certificates are issued at and checked against (for tests). @default - now */
  readonly now?: Date;
  /** Start from these state files (`snapshot()` of another instance): only what is missing or stale is made. */
  readonly files?: Readonly<Record<string, string>>;
  /** Receives one line per certificate made. @default - nothing is logged */
  readonly log?: (line: string) => void;
  /** As `EnsurePkiOptions.beforeKeyGeneration`. @default - nothing is called */
  readonly beforeKeyGeneration?: () => void | Promise<void>;
}

/** Options for `ClusterPki.status()`. */
export interface PkiStatusOptions {
  /** The state directory. */
  readonly dir: string;
  /** The time expiry and the renewal window are measured from (for tests). @default - now */
  readonly now?: Date;
}

/** One row of `hacp pki status`. */
export interface CertStatus {
  /** `apiserver (master0)`, `admin.conf`, `ca`, `sa.key/sa.pub`. */
  readonly name: string;
  /** State-relative certificate path (`nodes/master0/apiserver.crt`). */
  readonly file: string;
  /** A CA, a leaf certificate, or the service-account key pair. */
  readonly kind: 'ca' | 'leaf' | 'key';
  /** The certificate's subject (`O=system:nodes, CN=system:node:master0`), when readable. */
  readonly subject?: string;
  /** `DNS:kubernetes`, `IP:10.96.0.1`. */
  readonly sans: string[];
  /** The issuer's subject, when readable. */
  readonly issuer?: string;
  /** ISO 8601. */
  readonly notAfter?: string;
  /** Whole days until `notAfter`. */
  readonly daysLeft?: number;
  /** RSA modulus length. */
  readonly keyBits?: number;
  /** `ok`, `expiring`, `expired`, `mismatch` (with the spec), `missing` or `invalid`. */
  readonly state: CertState;
  /** Why the state is not `ok`. */
  readonly reason?: string;
}

/** Default state directory: `$HACP_PKI_DIR/<cluster-name>` (`pki/<cluster-name>` when unset). */
export function defaultPkiDir(spec: ResolvedClusterSpec, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.HACP_PKI_DIR || 'pki', spec.name);
}

const CERT = 0o644;
const SECRET = 0o600;

/**
 * Each host's files in the order of its layout (`paths.ts`: certificates and keys in kubeadm's order, then the
 * kubeconfigs, then the kubelet's pairs).
 */
const HOST_LAYOUT = new Map<string, number>([...Object.values(PkiPaths), ...Object.values(KubeconfigPaths), ...Object.values(KubeletPkiPaths)]
  .map((p, i) => [p, i]));

let testPkiModule: typeof TestPki | undefined;
/** The test PKI's module, loaded when first needed (a cluster's PKI only needs its marker checks). */
function testPki(): typeof TestPki {
  return (testPkiModule ??= require('./_test-pki') as typeof TestPki);
}

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
    const now = validNow(options.now);
    const log = options.log ?? (() => {});
    const paths = statePaths(spec);
    const reissue = new Set(options.reissue ?? []);
    const force = options.force ? true : (a: Assessment) => reissue.has(a.id);
    checkStateDir(dir);

    const attempt = (locked: boolean) => {
      const view = readStateOf(dir, paths);
      const imported = options.byoCaDir ? importByoCa(options.byoCaDir, view.files) : {};
      const files = new Map(view.files);
      Object.entries(imported).forEach(([p, w]) => files.set(p, w.content));
      const insecure = testPki().testCaFiles(files);
      if (insecure.length) {
        throw new PkiError(insecure.map((p) => `${p}: a CA of the insecure test PKI (ClusterPki.forTesting(), OU=${testPki().TEST_PKI_MARKER}), `
          + 'whose keys anyone can derive; a cluster\'s state never holds it: remove the state directory'), dir);
      }
      const digests = pairDigests(spec, files);
      const assessments = assess(spec, files, now, trustedPairs(digests, files));
      let actions: Action[];
      try {
        actions = plan(assessments, force);
      } catch (e) {
        throw e instanceof PkiError ? new PkiError(e.problems, dir) : e;
      }
      const badModes = [...view.modes].filter(([p, m]) => (isKeyPath(p) ? m !== SECRET : (m & 0o022) !== 0));
      const clean = !actions.length && !view.journal && !Object.keys(imported).length && !badModes.length;
      if (locked || clean) {
        warnCas(assessments, log);
        warnClock(assessments, now, log);
      }
      return { view, imported, files, digests, actions, badModes, clean };
    };

    const first = attempt(false);
    if (first.clean && dirIsPrivate(dir)) {
      rememberVerified(dir, first.files, first.digests);
      return new ClusterPki(spec, first.files);
    }
    if (keysNeeded(first.files, first.actions).length) {
      preflight(first.files, first.actions);
      await options.beforeKeyGeneration?.();
    }

    const dirMode = modeOf(dir);
    ensureDir(dir, true, true);
    if (dirMode !== undefined && dirMode !== 0o700) log(`changed the mode of ${dir} from 0${dirMode.toString(8)} to 0700 (it holds private keys)`);
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
    const now = validNow(options.now);
    const files = new Map(Object.entries(options.files ?? {}));
    const actions = plan(assess(spec, files, now));
    if (keysNeeded(files, actions).length) {
      preflight(files, actions);
      await options.beforeKeyGeneration?.();
    }
    const result = await execute(spec, files, actions, now, options.log);
    return new ClusterPki(spec, result.files);
  }

  /**
   * A complete PKI for unit and snapshot tests, made in milliseconds: every certificate of the catalog, signed by
   * three CAs, from five fixed test keys (one per CA, one shared by all leaves, one for service-account tokens).
   * Byte for byte the same on every run and every machine (fixed serials, valid 2025-01-01 to 2125-01-01), so a
   * snapshot of what is built from it never changes, masked (`pemSnapshotSerializer`) or not.
   *
   * INSECURE by design: the keys are derived from constants of this package, so anyone can compute them. Every
   * certificate carries `OU=hacp-insecure-test-pki`; this method and the file accessors of such a PKI work only inside
   * a test runner (jest, vitest, or `NODE_ENV=test`), and `ensure()` refuses a state directory holding one. Keys are
   * RSA-2048 whatever `pki.keySize` says.
   *
   * @example
   * const pki = ClusterPki.forTesting(cluster);
   * new SelfHostedControlPlane(chart, 'control-plane', { cluster, tls: pki.bootkubeAssets() });
   */
  static forTesting(input: ClusterSpec | ResolvedClusterSpec): ClusterPki {
    testPki().assertTestRun('ClusterPki.forTesting()');
    const spec = resolveSpec(input);
    let files = TEST_FILES.get(spec);
    if (!files) TEST_FILES.set(spec, (files = testPki().testPkiFiles(spec)));
    return new ClusterPki(spec, files);
  }

  /**
   * What `ensure()` would do, without doing anything: throws `PkiError` for what it would refuse (a corrupt,
   * mismatched or unreadable file, an expired CA, a state path that is not a directory) and returns one line per
   * change it would make (`apiserver (master0): SANs changed: +IP:10.0.0.5`). Warnings go to `log`.
   */
  static check(input: ClusterSpec | ResolvedClusterSpec, options: PkiStatusOptions & { readonly log?: (line: string) => void }): string[] {
    const spec = resolveSpec(input);
    const dir = path.resolve(options.dir);
    const now = options.now ?? new Date();
    checkStateDir(dir);
    const view = readStateOf(dir, statePaths(spec));
    const assessments = assess(spec, view.files, now, trustedPairs(pairDigests(spec, view.files), view.files));
    let actions: Action[];
    try {
      actions = plan(assessments);
    } catch (e) {
      throw e instanceof PkiError ? new PkiError(e.problems, dir) : e;
    }
    if (options.log) {
      warnCas(assessments, options.log);
      warnClock(assessments, now, options.log);
    }
    return actions.map((a) => `${a.assessment.name}: ${a.reason}`);
  }

  /**
   * True when `dir` holds a cluster CA (`ca.crt` or `ca.key`): a state to use. Without one, `ensure()` would make a
   * new CA, which the CLI does only when asked to.
   */
  static hasState(dir: string): boolean {
    checkStateDir(path.resolve(dir));
    return ['ca.crt', 'ca.key'].some((f) => fs.existsSync(path.join(dir, f)));
  }

  /** Inspects the state directory without changing anything: one row per certificate. */
  static status(input: ClusterSpec | ResolvedClusterSpec, options: PkiStatusOptions): CertStatus[] {
    const spec = resolveSpec(input);
    checkStateDir(path.resolve(options.dir));
    const view = readStateOf(path.resolve(options.dir), statePaths(spec));
    return toStatus(assess(spec, view.files, options.now ?? new Date(), trustedPairs(pairDigests(spec, view.files), view.files)));
  }

  private readonly files: ReadonlyMap<string, string>;
  /** `bootkubeAssets()`, rendered on first use (it renders two kubeconfigs; `bootkubeFiles()` needs it too). */
  private bootkube?: BootkubeTlsAssets;
  /** True for the insecure test PKI (`forTesting()`, or files taken from it): decided on first use. */
  private testOnly?: boolean;

  private constructor(
    /** The cluster spec this PKI is for. */
    readonly spec: ResolvedClusterSpec,
    files: ReadonlyMap<string, string>,
  ) {
    this.files = new Map([...files].filter(([p]) => !path.basename(p).startsWith('.'))); // no bookkeeping files
  }

  /** The state files (state-relative path → PEM), e.g. to cache or to start another `inMemory()` from. */
  snapshot(): Record<string, string> {
    this.guard('snapshot()');
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
   * kubelet.conf (and kube-vip.conf with `loadBalancer.type: kube-vip`); super-admin.conf only on the first master.
   * Of the CA keys only `pki/ca.key` (the controller manager's csrsigning controller signs kubelet certificates, on
   * whichever master holds the leader lease). Paths are relative to `/etc/kubernetes`; the catalog (`pkiCatalog()`)
   * says which file goes where. Throws when `master` is not a master of the spec.
   */
  masterFiles(master: string): OutputFile[] {
    return this.hostFiles(findMaster(this.spec, master).name, KUBERNETES_DIR);
  }

  /**
   * What a worker needs under `/etc/kubernetes`: the cluster CA (the kubelet's client CA) and kubelet.conf. Throws
   * when `worker` is not a worker of the spec.
   */
  workerFiles(worker: string): OutputFile[] {
    const found = this.spec.workers.find((candidate) => candidate.name === worker);
    if (!found) throw new Error(`unknown worker '${worker}' (workers: ${this.spec.workers.map((known) => known.name).join(', ') || 'none'})`);
    return this.hostFiles(found.name, KUBERNETES_DIR);
  }

  /**
   * kube-vip's kubeconfig on a master (`kube-vip.conf`, relative to `/etc/kubernetes`; user `hacp:kube-vip`, server
   * the master's own API server), or nothing when `loadBalancer.type` is not `kube-vip`. Part of `masterFiles()`; on
   * its own for the masters of a self-hosted cluster, which get no static control-plane files.
   */
  kubeVipFiles(master: string): OutputFile[] {
    return this.hostFiles(findMaster(this.spec, master).name, KUBERNETES_DIR, (e) => e.kind === 'certificate' && e.kubeconfig?.kind === 'kube-vip');
  }

  /**
   * The kubelet's own pairs, paths relative to `/` (`var/lib/kubelet/pki/...`), for masters and workers: the
   * client pair kubelet.conf points at (the kubelet rotates it itself) and a CA-signed serving pair.
   */
  kubeletFiles(node: string): OutputFile[] {
    return this.hostFiles(this.node(node).name, HostPaths.kubeletPkiDir).map((f) => ({ ...f, path: `${HostPaths.kubeletPkiDir.slice(1)}/${f.path}` }));
  }

  /**
   * A kubeconfig. `node` names the master (controller-manager, scheduler, kube-vip: they talk to their local API
   * server) or node (kubelet). admin, super-admin and kubelet use the API endpoint (the load balancer).
   */
  kubeconfig(kind: KubeconfigKind, node?: string): string {
    const entries = this.catalog().filter((e): e is CertEntry => e.kind === 'certificate' && e.kubeconfig?.kind === kind);
    if (!entries.length) throw new Error(`the cluster has no ${kind} kubeconfig${kind === 'kube-vip' ? " (loadBalancer.type is not 'kube-vip')" : ''}`);
    const cluster = entries.find((e) => e.host === undefined);
    if (cluster) return this.renderKubeconfig(cluster);
    if (!node) throw new Error(`kubeconfig('${kind}') needs a node name`);
    const own = entries.find((e) => e.host === node);
    if (own) return this.renderKubeconfig(own);
    // Name the hosts this kind exists for.
    if (entries.some((e) => this.spec.workers.some((w) => w.name === e.host))) this.node(node);
    findMaster(this.spec, node);
    throw new Error(`the PKI has no ${kind} kubeconfig for '${node}'`);
  }

  /** PEM strings for the self-hosted control plane, issued by the same CAs. */
  bootkubeAssets(): BootkubeTlsAssets {
    this.guard('bootkubeAssets()');
    return (this.bootkube ??= this.renderBootkubeAssets());
  }
  private renderBootkubeAssets(): BootkubeTlsAssets {
    const assets: Record<string, string> = {};
    for (const entry of this.catalog()) {
      for (const file of entry.files) if (file.asset) assets[file.asset] = this.content(entry, file);
    }
    const missing = Object.keys(BOOTKUBE_ASSET_PATHS).filter((k) => !(k in assets));
    if (missing.length) throw new Error(`the certificate catalog has no bootkube asset ${missing.join(', ')}`);
    return Object.freeze(assets) as unknown as BootkubeTlsAssets;
  }

  /**
   * bootkube's asset layout: `tls/*`, `auth/kubeconfig` and `auth/admin.conf`. Keys and kubeconfigs 0600.
   * `auth/kubeconfig` is what `hacp bootstrap` and the temporary bootstrap controller manager and scheduler use before
   * any RBAC binding exists (they create them), so it is the break-glass `system:masters` identity, as bootkube's own
   * render made it; it dials the first master's own API server (where all of them run), not the API endpoint. The
   * bootstrap secrets dir holding a copy is deleted at the end of the bootstrap. `auth/admin.conf` (group
   * `kubeadm:cluster-admins`, bound to cluster-admin by the manifests) dials the API endpoint, for everyday use.
   */
  bootkubeFiles(): OutputFile[] {
    const assets = this.bootkubeAssets();
    const modes = new Map(this.catalog().flatMap((e) => e.files).filter((f) => f.asset).map((f) => [f.asset!, f.mode]));
    return Object.entries(BOOTKUBE_ASSET_PATHS).map(([asset, p]) => {
      const name = asset as keyof BootkubeTlsAssets;
      return { path: p, content: assets[name], mode: modes.get(name) ?? SECRET };
    });
  }

  /** The catalog of this PKI's spec. */
  private catalog(): readonly CatalogEntry[] {
    return pkiCatalog(this.spec);
  }

  /** The files `host` receives under `root` (of the entries `only` accepts), relative to it, in the host layout's order. */
  private hostFiles(host: string, root: string, only: (entry: CatalogEntry) => boolean = () => true): OutputFile[] {
    this.guard(`the files of ${host}`);
    const found: Array<{ entry: CatalogEntry; file: CatalogFile }> = [];
    for (const entry of this.catalog().filter(only)) {
      for (const file of entry.files) {
        if (file.to.kind !== 'bootkube' && file.path.startsWith(`${root}/`) && receives(this.spec, file, host)) found.push({ entry, file });
      }
    }
    const rank = (p: string) => HOST_LAYOUT.get(p) ?? HOST_LAYOUT.size;
    found.sort((a, b) => rank(a.file.path) - rank(b.file.path));
    const relative = (p: string) => (root === KUBERNETES_DIR ? hostPathToAssetPath(p)! : p.slice(root.length + 1));
    return found.map(({ entry, file }) => ({ path: relative(file.path), content: this.content(entry, file), mode: file.mode }));
  }

  /** What a catalog file holds. */
  private content(entry: CatalogEntry, file: CatalogFile): string {
    switch (file.content) {
      case 'certificate':
        return this.pem(`${entry.id}.crt`);
      case 'private-key':
        return this.pem(`${entry.id}.key`);
      case 'public-key':
        return this.pem(`${entry.id}.pub`);
      case 'kubeconfig':
        if (entry.kind !== 'certificate') throw new Error(`${entry.name}: a key pair has no kubeconfig`);
        return this.renderKubeconfig(entry, file.server === 'first-master' ? this.spec.masters[0].name : undefined);
    }
  }

  /** The kubeconfig of a client certificate, as its catalog entry describes it (or dialing `master`'s API server). */
  private renderKubeconfig(entry: CertEntry, master?: string): string {
    this.guard(`kubeconfig ${entry.name}`);
    const how = entry.kubeconfig;
    if (!how) throw new Error(`${entry.name}: not a kubeconfig certificate`);
    let server = this.spec.apiServerUrl;
    const own = master ?? (how.server === 'own-master' ? entry.host! : undefined);
    if (own) server = `https://${urlHost(findMaster(this.spec, own).ip)}:${this.spec.apiServerPort}`;
    let credentials: KubeconfigCredentials;
    if (how.credentials === 'embedded') {
      credentials = { certPem: this.pem(`${entry.id}.crt`), keyPem: this.pem(`${entry.id}.key`) };
    } else {
      const pathOf = (content: CatalogFile['content']) => entry.files.find((f) => f.to.kind === 'host' && f.content === content)!.path;
      this.pem(`${entry.id}.crt`); // a PKI without this node's pair has nothing for this kubeconfig to point at
      credentials = { certFile: pathOf('certificate'), keyFile: pathOf('private-key') };
    }
    return renderKubeconfig({ clusterName: this.spec.name, server, caPem: this.pem('ca.crt'), user: entry.commonName, credentials });
  }

  /** The master or worker called `name`; throws listing the nodes when there is none. */
  private node(name: string) {
    const nodes = [...this.spec.masters, ...this.spec.workers];
    const found = nodes.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`unknown node '${name}' (nodes: ${nodes.map((known) => known.name).join(', ')})`);
    return found;
  }

  /** The state file at `statePath` (a PEM); throws when the PKI lacks it. */
  private pem(statePath: string): string {
    const pem = this.files.get(statePath);
    if (pem === undefined) throw new Error(`the PKI has no ${statePath}`);
    return pem;
  }

  /** Refuses key material of the test PKI outside a test runner. */
  private guard(what: string): void {
    this.testOnly ??= this.files.has('ca.crt') && testPki().isTestCertificate(this.files.get('ca.crt')!);
    if (this.testOnly) testPki().assertTestRun(what);
  }
}

/** Test PKI state files per spec: deterministic, so made once per process. */
const TEST_FILES = new WeakMap<ResolvedClusterSpec, ReadonlyMap<string, string>>();

/** `now`, checked: an invalid date would only fail once keys are made. */
function validNow(now: Date | undefined): Date {
  if (now === undefined) return new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new Error(`now: ${String(now)} is not a valid date`);
  return now;
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
      if (testPki().isTestCertificate(crt)) throw new Error(`a CA of the insecure test PKI (OU=${testPki().TEST_PKI_MARKER}), whose keys anyone can derive`);
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

/** A CA in its renewal window is only a warning: CAs are never re-issued automatically. */
function warnCas(assessments: Assessment[], log: (line: string) => void): void {
  for (const ca of assessments) {
    if (ca.kind === 'ca' && ca.state === 'expiring') log(`warning: CA ${ca.name} ${ca.reason}; CAs are never regenerated automatically (docs/pki.md, "CA rotation")`);
  }
}

/**
 * Certificates not valid yet: the clock moved back behind their `notBefore` (they are backdated 5 minutes when
 * issued), or they were made on a machine whose clock was ahead. TLS peers reject them until then.
 */
function warnClock(assessments: Assessment[], now: Date, log: (line: string) => void): void {
  for (const cert of assessments) {
    if (!cert.info || cert.info.notBefore.getTime() <= now.getTime()) continue;
    const fix = cert.kind === 'ca'
      ? 'fix the clock (NTP); a CA is never re-issued'
      : `fix the clock (NTP), or re-issue it on this clock: hacp pki renew ${JSON.stringify(cert.id)}`;
    log(`warning: ${cert.name}: ${cert.id}.crt is not valid before ${cert.info.notBefore.toISOString()}, but the clock says ${now.toISOString()}: the clock moved back (or it was issued on a machine whose clock was ahead); TLS peers reject it until then; ${fix}`);
  }
}

/**
 * The state directory must be a directory (or not exist yet): a file there, or a file in its path, is an error
 * naming it instead of an `ENOTDIR` from deep inside a write.
 */
function checkStateDir(dir: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    if (!isFsError(e)) throw e;
    throw new PkiError([`${describeFsError(e, dir)}; the PKI state directory must be a directory (choose another with $HACP_PKI_DIR, --dir or --pki-dir)`]);
  }
  if (st && !st.isDirectory()) {
    throw new PkiError([`${dir} is ${fileKind(st)}, not a directory: the PKI state directory must be a directory; move it away or choose another one ($HACP_PKI_DIR, --dir or --pki-dir)`]);
  }
}

/** `readState()`, with file-system errors (a FIFO, a directory where a key goes, no permission) as a `PkiError`. */
function readStateOf(dir: string, paths: Iterable<string>): ReturnType<typeof readState> {
  try {
    return readState(dir, paths);
  } catch (e) {
    if (e instanceof PkiError) throw new PkiError(e.problems, dir);
    if (!isFsError(e)) throw e;
    throw new PkiError([describeFsError(e)], dir);
  }
}

function modeOf(dir: string): number | undefined {
  try {
    return fs.statSync(dir).mode & 0o777;
  } catch {
    return undefined;
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
