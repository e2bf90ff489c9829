/**
 * Compares the state files with the catalog (assess), decides what to create or re-issue (plan) and does it
 * (execute: all keys generated concurrently, then CAs, then leaves). Works on an in-memory file map; persisting is
 * the caller's business (`cluster-pki.ts`).
 */
import * as crypto from 'crypto';
import { ResolvedClusterSpec } from '../spec';
import { CA_IDS, CaId, CertEntry, SA_ID, certCatalog, pkiCatalog } from './catalog';
import { CertInfo, GeneratedKey, PROFILE_EKUS, generateRsaKey, inspectCertificate, inspectPrivateKey, issueCertificate, publicKeyPem } from './_crypto';
import { StateWrite } from './_state';
import { PkiError } from './errors';

export { PkiError };

/** Health of one certificate (or of the service-account key pair). */
export type CertState = 'ok' | 'expiring' | 'expired' | 'mismatch' | 'missing' | 'invalid';

/** One certificate compared with the spec. */
export interface Assessment {
  /** Catalog id (state path without extension). */
  readonly id: string;
  /** Human name for logs (`apiserver (master0)`). */
  readonly name: string;
  /** A CA, a leaf certificate, or the service-account key pair. */
  readonly kind: 'ca' | 'leaf' | 'key';
  /** The catalog entry; undefined for the service-account key pair. */
  readonly entry?: CertEntry;
  /** The verdict. */
  readonly state: CertState;
  /** Why the state is not `ok`. */
  readonly reason?: string;
  /** The certificate as read, when it could be parsed. */
  readonly info?: CertInfo;
  /** Whole days until the certificate expires, when it could be parsed. */
  readonly daysLeft?: number;
}

/** One day in milliseconds. */
export const DAY = 86_400_000;
/** Certificates start 5 minutes in the past, for clock skew (kubeadm's CertificateBackdate). */
const BACKDATE = 5 * 60_000;

/**
 * Digests of pairs that passed the full check (key pairing, signature), kept in the state directory. A warm run
 * skips those two checks (the expensive part: parsing every private key) for a pair whose bytes, and whose CA
 * certificate's bytes, are unchanged since; subject, SANs, usages and expiry are always compared.
 */
export const VERIFIED_FILE = '.verified.json';

/** The state-relative paths the catalog uses (and the verified-digest file). */
export function statePaths(spec: ResolvedClusterSpec): string[] {
  return [
    ...pkiCatalog(spec).flatMap((e) => (e.kind === 'certificate' ? [`${e.id}.crt`, `${e.id}.key`] : [`${e.id}.key`, `${e.id}.pub`])),
    VERIFIED_FILE,
  ];
}

/** Each pair's digest (its CA certificate, certificate and key; sa.key and sa.pub), by catalog id. */
export function pairDigests(spec: ResolvedClusterSpec, files: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const hash = (...parts: (string | undefined)[]) =>
    parts.some((p) => p === undefined) ? undefined : crypto.createHash('sha256').update(parts.join('\0')).digest('hex');
  for (const entry of certCatalog(spec)) {
    const digest = hash(entry.signer ? files.get(`${entry.signer}.crt`) : '', files.get(`${entry.id}.crt`), files.get(`${entry.id}.key`));
    if (digest) out.set(entry.id, digest);
  }
  const sa = hash(files.get(`${SA_ID}.key`), files.get(`${SA_ID}.pub`));
  if (sa) out.set(SA_ID, sa);
  return out;
}

/** The content of `VERIFIED_FILE` for a state in which every pair has been checked (`digests`: `pairDigests()`). */
export function verifiedFile(digests: ReadonlyMap<string, string>): string {
  return `${JSON.stringify({ version: 1, sha256: Object.fromEntries([...digests].sort()) }, null, 1)}\n`;
}

/** The pairs whose digest (`pairDigests()` of `files`) matches the one `VERIFIED_FILE` in `files` records. */
export function trustedPairs(digests: ReadonlyMap<string, string>, files: ReadonlyMap<string, string>): Set<string> {
  let recorded: Record<string, string> = {};
  try {
    recorded = JSON.parse(files.get(VERIFIED_FILE) ?? '{}').sha256 ?? {};
  } catch {
    // unreadable: check everything
  }
  return new Set([...digests].filter(([id, d]) => recorded[id] === d).map(([id]) => id));
}

/** Private key paths (mode 0600). */
export function isKeyPath(rel: string): boolean {
  return rel.endsWith('.key');
}

/** Compares every certificate in `files` with the spec. */
export function assess(spec: ResolvedClusterSpec, files: ReadonlyMap<string, string>, now: Date,
  trusted: ReadonlySet<string> = new Set()): Assessment[] {
  const catalog = certCatalog(spec);
  const cas = new Map<string, Assessment>();
  const out: Assessment[] = [];
  for (const entry of catalog) {
    const assessment = assessCert(spec, entry, files, now, entry.signer ? cas.get(entry.signer) : undefined, trusted.has(entry.id));
    if (entry.profile === 'ca') cas.set(entry.id, assessment);
    out.push(assessment);
  }
  const sa = pkiCatalog(spec).find((e) => e.kind === 'key-pair')!;
  out.push(trusted.has(sa.id) ? { id: sa.id, name: sa.name, kind: 'key', state: 'ok' } : assessSa(sa.name, files));
  return out;
}

function assessCert(spec: ResolvedClusterSpec, entry: CertEntry, files: ReadonlyMap<string, string>, now: Date, ca: Assessment | undefined,
  trusted: boolean): Assessment {
  const kind = entry.profile === 'ca' ? 'ca' : 'leaf';
  const base = { id: entry.id, name: entry.name, kind, entry } as const;
  const crt = files.get(`${entry.id}.crt`);
  const key = files.get(`${entry.id}.key`);
  if (crt === undefined && key === undefined) return { ...base, state: 'missing', reason: 'not in the state directory' };
  if (crt === undefined || key === undefined) {
    const [has, lacks] = crt === undefined ? ['key', 'crt'] : ['crt', 'key'];
    return { ...base, state: 'invalid', reason: `${entry.id}.${has} exists but ${entry.id}.${lacks} is missing` };
  }
  let info: CertInfo;
  try {
    info = inspectCertificate(crt);
  } catch (e) {
    return { ...base, state: 'invalid', reason: `${entry.id}.crt is not a readable certificate (${(e as Error).message})` };
  }
  const withInfo = { ...base, info, daysLeft: Math.floor((info.notAfter.getTime() - now.getTime()) / DAY) };
  if (!trusted) {
    try {
      if (!info.x509.checkPrivateKey(inspectPrivateKey(key))) {
        return { ...withInfo, state: 'invalid', reason: `${entry.id}.key does not match ${entry.id}.crt` };
      }
    } catch (e) {
      return { ...withInfo, state: 'invalid', reason: `${entry.id}.key is not a readable private key (${(e as Error).message})` };
    }
  }
  if (kind === 'ca') {
    if (!info.isCa) return { ...withInfo, state: 'invalid', reason: `${entry.id}.crt is not a CA certificate (basicConstraints CA:FALSE)` };
  } else if (!ca?.info || ca.state === 'invalid') {
    return { ...withInfo, state: 'invalid', reason: `cannot be checked: its CA ${entry.signer} is ${ca?.state ?? 'missing'}` };
  } else if (!trusted && (!info.x509.checkIssued(ca.info.x509) || !info.x509.verify(ca.info.x509.publicKey))) {
    return { ...withInfo, state: 'invalid', reason: `not signed by ${entry.signer}.crt` };
  }
  if (info.notAfter.getTime() <= now.getTime()) return { ...withInfo, state: 'expired', reason: `expired ${day(info.notAfter)}` };
  if (kind === 'leaf') {
    const diff = describeDiff(entry, info);
    if (diff) return { ...withInfo, state: 'mismatch', reason: diff };
  }
  const window = renewalWindowDays(spec, kind);
  if (withInfo.daysLeft < window) {
    return { ...withInfo, state: 'expiring', reason: `expires ${day(info.notAfter)} (${withInfo.daysLeft} days left, ${kind === 'ca' ? 'pki.validityDays' : 'pki.renewBeforeDays'} ${window})` };
  }
  return { ...withInfo, state: 'ok' };
}

/**
 * How many days before its expiry a certificate turns `expiring`: a leaf is then renewed, a CA warned about (a CA
 * is "expiring" once a fresh leaf would be cut short by it).
 */
export function renewalWindowDays(spec: ResolvedClusterSpec, kind: 'ca' | 'leaf'): number {
  return kind === 'ca' ? spec.pki.validityDays : spec.pki.renewBeforeDays;
}

function assessSa(name: string, files: ReadonlyMap<string, string>): Assessment {
  const base = { id: SA_ID, name, kind: 'key' } as const;
  const key = files.get(`${SA_ID}.key`);
  const pub = files.get(`${SA_ID}.pub`);
  if (key === undefined) {
    return pub === undefined
      ? { ...base, state: 'missing', reason: 'not in the state directory' }
      : { ...base, state: 'invalid', reason: 'sa.pub exists but sa.key is missing' };
  }
  let derived: string;
  try {
    inspectPrivateKey(key);
    derived = publicKeyPem(key);
  } catch (e) {
    return { ...base, state: 'invalid', reason: `sa.key is not a readable private key (${(e as Error).message})` };
  }
  if (pub === undefined) return { ...base, state: 'mismatch', reason: 'sa.pub is missing (derived again from sa.key)' };
  let same: boolean;
  try {
    same = crypto.createPublicKey(pub).equals(crypto.createPublicKey(derived));
  } catch {
    same = false;
  }
  return same ? { ...base, state: 'ok' } : { ...base, state: 'invalid', reason: 'sa.pub is not the public key of sa.key' };
}

/** What a leaf differs in from its catalog entry, or undefined. */
function describeDiff(entry: CertEntry, info: CertInfo): string | undefined {
  const parts: string[] = [];
  const want = subjectText(entry.commonName, entry.organizations);
  const have = subjectText(info.commonName, info.organizations);
  if (want !== have) parts.push(`subject changed: ${have} -> ${want}`);
  const sans = setDiff(sanList(entry), sanList(info));
  if (sans) parts.push(`SANs changed: ${sans}`);
  const ekus = setDiff(PROFILE_EKUS[entry.profile as keyof typeof PROFILE_EKUS], info.ekus);
  if (ekus) parts.push(`extended key usages changed: ${ekus}`);
  return parts.length ? parts.join('; ') : undefined;
}

/** SANs as `DNS:kubernetes`, `IP:10.96.0.1` (names first). */
export function sanList(sans: { readonly dns: readonly string[]; readonly ips: readonly string[] }): string[] {
  return [...sans.dns.map((d) => `DNS:${d}`), ...sans.ips.map((i) => `IP:${i}`)];
}

function subjectText(commonName: string, organizations: readonly string[]): string {
  return [...[...organizations].sort().map((x) => `O=${x}`), `CN=${commonName}`].join(', ');
}

function setDiff(want: readonly string[], have: readonly string[]): string | undefined {
  const added = want.filter((x) => !have.includes(x)).map((x) => `+${x}`);
  const removed = have.filter((x) => !want.includes(x)).map((x) => `-${x}`);
  return added.length || removed.length ? [...added, ...removed].join(' ') : undefined;
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** One thing to do. */
export interface Action {
  readonly assessment: Assessment;
  /** For the log: `not in the state directory`, `SANs changed: +IP:...`, `--force`. */
  readonly reason: string;
}


/**
 * Decides what to do. Creates missing CAs and the missing service-account key; re-issues leaves that are missing,
 * mismatched, expiring or expired (with `force`: every leaf, or those it returns true for, even an invalid one).
 * Throws `PkiError` for anything it must not repair silently: a corrupt or mismatched file, a leaf whose CA is gone,
 * an expired CA.
 */
export function plan(assessments: Assessment[], force: boolean | ((assessment: Assessment) => boolean) = false): Action[] {
  const problems: string[] = [];
  const actions: Action[] = [];
  const forced = typeof force === 'function' ? force : () => force;
  for (const assessment of assessments) {
    if (assessment.kind === 'leaf' && forced(assessment)) {
      if (assessment.state === 'invalid' && assessment.reason?.startsWith('cannot be checked')) problems.push(`${assessment.name}: ${assessment.reason}`);
      else actions.push({ assessment, reason: assessment.state === 'ok' ? '--force' : `${assessment.reason} (--force)` });
      continue;
    }
    switch (assessment.state) {
      case 'ok':
        break;
      case 'invalid':
        problems.push(assessment.kind === 'ca'
          ? `${assessment.name}: ${assessment.reason}; restore ${assessment.id}.crt and ${assessment.id}.key from your backup (deleting them makes a new CA, which every node, kubeconfig and certificate of the cluster would have to be given again)`
          : `${assessment.name}: ${assessment.reason}; restore the file(s) or delete them to have them re-issued`);
        break;
      case 'expired':
      case 'expiring':
        if (assessment.kind === 'leaf') actions.push({ assessment, reason: assessment.reason! });
        else if (assessment.state === 'expired') problems.push(`${assessment.name}: ${assessment.reason}; a CA is never regenerated automatically (see docs/pki.md, "CA rotation")`);
        break;
      case 'missing':
      case 'mismatch':
        actions.push({ assessment, reason: assessment.reason! });
        break;
    }
  }
  if (problems.length) throw new PkiError(problems);
  return actions;
}

/** Result of `execute()`. */
export interface Execution {
  /** Every state file after the change. */
  readonly files: Map<string, string>;
  /** The changed files (for the journal). */
  readonly writes: Record<string, StateWrite>;
}

/**
 * Carries out the actions: checks first that every signer can sign (nothing is generated for a plan that would fail),
 * then makes all keys at once on the thread pool, then the CA certificates, then the leaves.
 */
export async function execute(spec: ResolvedClusterSpec, files: ReadonlyMap<string, string>, actions: Action[], now: Date,
  log: (line: string) => void = () => {}): Promise<Execution> {
  preflight(files, actions);
  const keys = new Map<string, GeneratedKey>();
  await Promise.all(keysNeeded(files, actions).map(async (action) => keys.set(action.assessment.id, await generateRsaKey(spec.pki.keySize))));
  return issue(spec, files, actions, keys, { now, log });
}

/** The actions that need a new key (all but the repair of `sa.pub` from an existing `sa.key`). */
export function keysNeeded(files: ReadonlyMap<string, string>, actions: Action[]): Action[] {
  return actions.filter((action) => action.assessment.kind !== 'key' || !files.has(`${SA_ID}.key`));
}

/**
 * Checks, before any key is generated, that the plan can be carried out: every CA that is to sign and is not made
 * by the plan itself has a key this engine can sign with (RSA or ECDSA; a bring-your-own CA may hold another kind).
 */
export function preflight(files: ReadonlyMap<string, string>, actions: Action[]): void {
  const made = new Set(actions.map((action) => action.assessment.id));
  const problems = new Set<string>();
  for (const { assessment } of actions) {
    const signer = assessment.entry?.signer;
    if (!signer || made.has(signer)) continue;
    const keyPem = files.get(`${signer}.key`);
    let type: string | undefined;
    try {
      type = keyPem === undefined ? 'missing' : crypto.createPrivateKey(keyPem).asymmetricKeyType;
    } catch (e) {
      type = `unreadable (${(e as Error).message})`;
    }
    if (type !== 'rsa' && type !== 'ec') problems.add(`${signer}.key: ${type === 'missing' || type?.startsWith('unreadable') ? type : `a ${type} key`}; the CA cannot sign ${assessment.name} (RSA or ECDSA CA keys only)`);
  }
  if (problems.size) throw new PkiError([...problems]);
}

/** How `issue()` dates, numbers and marks certificates. */
export interface IssueOptions {
  /** The current time: certificates start 5 minutes before it (clock skew) and last the spec's validity. */
  readonly now: Date;
  /** Receives one line per certificate. @default - nothing is logged */
  readonly log?: (line: string) => void;
  /** One validity for every certificate instead (the test PKI). @default - from `now` and the spec */
  readonly validity?: { readonly notBefore: Date; readonly notAfter: Date };
  /** Serial numbers. @default - random */
  readonly serial?: (id: string) => string;
  /** An OU added to every subject (the test PKI's marker). @default - none */
  readonly organizationalUnit?: string;
}

/** Issues what the actions ask for with the given keys (by catalog id): CA certificates first, then leaves. */
export function issue(spec: ResolvedClusterSpec, files: ReadonlyMap<string, string>, actions: Action[], keys: ReadonlyMap<string, GeneratedKey>,
  options: IssueOptions): Execution {
  const log = options.log ?? (() => {});
  const out = new Map(files);
  const writes: Record<string, StateWrite> = {};
  const put = (rel: string, content: string, noClobber = false) => {
    out.set(rel, content);
    writes[rel] = { content, mode: isKeyPath(rel) ? 0o600 : 0o644, noClobber: noClobber || undefined };
  };

  const start = Math.floor(options.now.getTime() / 1000) * 1000 - BACKDATE;
  const caNotAfter = new Map<string, number>();
  for (const id of CA_IDS) {
    const info = actions.find((action) => action.assessment.id === id) ? undefined : inspectIfPresent(files.get(`${id}.crt`));
    if (info) caNotAfter.set(id, info.notAfter.getTime());
  }
  const order = [...actions].sort((x, y) => rank(x.assessment) - rank(y.assessment));
  for (const { assessment, reason } of order) {
    const key = keys.get(assessment.id);
    if (assessment.kind === 'key') {
      const keyPem = key?.keyPem ?? files.get(`${SA_ID}.key`)!;
      if (key) put(`${SA_ID}.key`, keyPem);
      put(`${SA_ID}.pub`, publicKeyPem(keyPem));
      log(`${key ? 'created' : 'repaired'} sa.key/sa.pub: ${reason}`);
      continue;
    }
    const entry = assessment.entry!;
    const days = entry.profile === 'ca' ? spec.pki.caValidityDays : spec.pki.validityDays;
    const notBefore = options.validity?.notBefore.getTime() ?? start;
    let notAfter = options.validity?.notAfter.getTime() ?? start + BACKDATE + days * DAY;
    const signer = entry.signer as CaId | undefined;
    if (signer) notAfter = Math.min(notAfter, caNotAfter.get(signer)!);
    const pem = issueCertificate(
      {
        commonName: entry.commonName, organizations: entry.organizations, organizationalUnit: options.organizationalUnit, serial: options.serial?.(entry.id),
        dns: entry.dns, ips: entry.ips, profile: entry.profile, notBefore: new Date(notBefore), notAfter: new Date(notAfter),
      },
      key!,
      signer ? { certPem: out.get(`${signer}.crt`)!, keyPem: out.get(`${signer}.key`)! } : undefined,
    );
    put(`${entry.id}.key`, key!.keyPem, entry.profile === 'ca');
    put(`${entry.id}.crt`, pem, entry.profile === 'ca');
    if (entry.profile === 'ca') {
      caNotAfter.set(entry.id, notAfter);
      log(`created CA ${entry.name} (CN=${entry.commonName}, ${days} days): ${reason}`);
    } else {
      log(`${assessment.state === 'expiring' || assessment.state === 'expired' ? 'renewed' : 'issued'} ${entry.name}: ${reason}`);
    }
  }
  return { files: out, writes };
}

/** Issue order: CAs first (the leaves need them), then the service-account key, then leaves. */
function rank(assessment: Assessment): number {
  return assessment.kind === 'ca' ? 0 : assessment.kind === 'key' ? 1 : 2;
}

function inspectIfPresent(pem: string | undefined): CertInfo | undefined {
  return pem === undefined ? undefined : inspectCertificate(pem);
}
