/**
 * Consistency checks across the files of a tree: referenced paths exist, certificates chain to the right CA, carry
 * the SANs the spec needs and do not expire soon, selectors match, and the CIDRs and the DNS IP agree.
 */
import * as crypto from 'crypto';
import * as ipaddr from 'ipaddr.js';
import * as path from 'path';
import { ResolvedClusterSpec, cidrContains, parseCidr } from '../spec';
import { ComponentContainer, PodTemplate, assetPathFor, hostPathOf, isMounted, podTemplates } from './_workloads';
import { Finding } from './finding';
import { AssetFile, AssetTree, existsInTree, fileAt, objectsOf } from './tree';

/** Options of the consistency checks. */
export interface ConsistencyOptions {
  /** The spec a file of the tree was synthesized from (by relative path); undefined skips the spec comparisons. */
  readonly specFor?: (rel: string) => ResolvedClusterSpec | undefined;
  /** "Now" for the expiry check. @default new Date() */
  readonly now?: Date;
  /** A certificate that expires within this many days is an error. @default 30 */
  readonly expiryDays?: number;
}

type Add = (severity: Finding['severity'], id: string, file: string, message: string) => void;

/** Runs every consistency check. `pods`: the tree's pod templates, when the caller has them already. */
export function consistencyFindings(
  tree: AssetTree,
  containers: readonly ComponentContainer[],
  options: ConsistencyOptions = {},
  pods: readonly PodTemplate[] = podTemplates(tree),
): Finding[] {
  const findings: Finding[] = [];
  const add: Add = (severity, id, file, message) =>
    findings.push({ severity, check: 'consistency', id, file, message });
  referencedPaths(tree, pods, containers, add);
  certificates(tree, options, add);
  kubeconfigs(tree, options, add);
  selectors(tree, pods, add);
  networks(tree, containers, options, add);
  return findings;
}

/** `/etc/kubernetes/pki/...` in a static-pod folder without any `pki/` (PKI not copied into the tree). */
function pkiRoot(rel: string): string | undefined {
  const m = /^(.*?\/?)pki(\/|$)/.exec(rel);
  return m ? `${m[1]}pki` : undefined;
}

const FILE_FLAG = /(file|cafile|certfile|keyfile|kubeconfig|-config|-certificate|-key|-authority|config-file|-dir)$/;
const RUNTIME_PATHS =
  /^(--audit-log-path|--data-dir|--wal-dir|--cert-dir|--log-dir|--root-dir|--volume-plugin-dir|--flex-volume-plugin-dir)$/;

function referencedPaths(
  tree: AssetTree,
  pods: readonly PodTemplate[],
  containers: readonly ComponentContainer[],
  add: Add,
): void {
  const pkiAbsent = new Set<string>();
  const missing = (file: string, rel: string, what: string) => {
    const pki = pkiRoot(rel);
    if (pki && !existsInTree(tree, pki)) {
      if (!pkiAbsent.has(pki))
        add(
          'warning',
          'pki-absent',
          file,
          `${pki}/ is not in the tree (write the PKI first, e.g. \`hacp pki\`): its paths were not checked`,
        );
      pkiAbsent.add(pki);
      return;
    }
    add('error', 'path-missing', file, `${what}: ${rel} is not in the tree`);
  };
  for (const pod of pods) {
    for (const v of pod.spec.volumes ?? []) {
      if (!v.hostPath?.path) continue;
      const rel = assetPathFor(pod.file.rel, String(v.hostPath.path));
      if (rel && !existsInTree(tree, rel))
        missing(
          pod.file.rel,
          rel,
          `${pod.object.kind} ${pod.object.metadata?.name} volume "${v.name}" (hostPath ${v.hostPath.path})`,
        );
    }
  }
  for (const c of containers) {
    const values: Array<[string, string]> = [];
    for (const [name, value] of c.flags) if (value && FILE_FLAG.test(name)) values.push([name, value]);
    for (const [name, value] of Object.entries(c.env)) if (/_FILE$|_DIR$/.test(name)) values.push([name, value]);
    for (const [name, value] of values) {
      if (!value.startsWith('/')) continue;
      const what = `${c.component} ${name}=${value}`;
      if (!isMounted(c.container, value)) {
        add('error', 'path-not-mounted', c.pod.file.rel, `${what}: no volume mount covers ${value}`);
        continue;
      }
      if (RUNTIME_PATHS.test(name) || /_DIR$/.test(name)) continue;
      const host = hostPathOf(c.pod, c.container, value);
      const rel = host ? assetPathFor(c.pod.file.rel, host) : undefined;
      if (rel && !existsInTree(tree, rel)) missing(c.pod.file.rel, rel, what);
    }
  }
}

/** kubeadm's signer of each certificate (relative to the folder holding `pki/`). */
const SIGNERS: Record<string, string> = {
  'pki/apiserver.crt': 'pki/ca.crt',
  'pki/apiserver-kubelet-client.crt': 'pki/ca.crt',
  'pki/front-proxy-client.crt': 'pki/front-proxy-ca.crt',
  'pki/apiserver-etcd-client.crt': 'pki/etcd/ca.crt',
  'pki/etcd/server.crt': 'pki/etcd/ca.crt',
  'pki/etcd/peer.crt': 'pki/etcd/ca.crt',
  'pki/etcd/healthcheck-client.crt': 'pki/etcd/ca.crt',
};

function sans(cert: crypto.X509Certificate): Set<string> {
  return new Set(
    (cert.subjectAltName ?? '')
      .split(', ')
      .filter(Boolean)
      .map((s) => s.replace(/^(DNS|IP Address):/, '').toLowerCase()),
  );
}

function certFindings(
  cert: crypto.X509Certificate,
  file: string,
  options: ConsistencyOptions,
  add: Add,
  what = 'certificate',
): void {
  const now = options.now ?? new Date();
  const days = options.expiryDays ?? 30;
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime())
    add(
      'error',
      'cert-expired',
      file,
      `${what} ${cert.subject.replace(/\n/g, ',')} expired on ${notAfter.toISOString()}`,
    );
  else if (notAfter.getTime() - now.getTime() < days * 86400_000) {
    add(
      'error',
      'cert-expiring',
      file,
      `${what} ${cert.subject.replace(/\n/g, ',')} expires on ${notAfter.toISOString()}, within ${days} days`,
    );
  }
  if (new Date(cert.validFrom).getTime() > now.getTime() + 86400_000)
    add('warning', 'cert-not-yet-valid', file, `${what} is valid only from ${cert.validFrom}`);
}

function certificates(tree: AssetTree, options: ConsistencyOptions, add: Add): void {
  const certFiles = tree.files.filter((f) => f.certs.length);
  for (const f of tree.files) {
    if (/\.(crt|pem)$/.test(f.rel) && !f.isKey && !f.certs.length && f.text !== undefined)
      add('error', 'cert-unreadable', f.rel, 'no PEM certificate could be read');
  }
  for (const f of certFiles) {
    const cert = f.certs[0];
    certFindings(cert, f.rel, options, add);
    // Chain: kubeadm's table first, else any CA of the same asset folder whose subject is the issuer.
    const m = /^(.*?)(pki\/.*)$/.exec(f.rel);
    const expected = m && SIGNERS[m[2]] ? `${m[1]}${SIGNERS[m[2]]}` : undefined;
    if (!cert.ca || cert.issuer !== cert.subject) {
      const signerFile = expected
        ? fileAt(tree, expected)
        : certFiles.find(
            (o) =>
              o !== f &&
              o.certs[0].ca &&
              path.posix.dirname(o.rel).startsWith(path.posix.dirname(f.rel).split('/pki')[0]) &&
              o.certs[0].subject === cert.issuer,
          );
      if (expected && !signerFile) add('error', 'cert-chain', f.rel, `signer ${expected} is not in the tree`);
      else if (signerFile?.certs.length) {
        const ca = signerFile.certs[0];
        if (!(cert.checkIssued(ca) && cert.verify(ca.publicKey)))
          add('error', 'cert-chain', f.rel, `not signed by ${signerFile.rel} (${ca.subject.replace(/\n/g, ',')})`);
      } else if (!cert.ca) {
        add('warning', 'cert-chain', f.rel, `issuer ${cert.issuer.replace(/\n/g, ',')} is not in the tree`);
      }
    } else if (!cert.verify(cert.publicKey)) {
      add('error', 'cert-chain', f.rel, 'self-signed CA certificate with an invalid signature');
    }
    // Key pair.
    const keyFile = fileAt(tree, f.rel.replace(/\.crt$/, '.key'));
    if (keyFile?.text && f.rel.endsWith('.crt')) {
      try {
        if (!cert.checkPrivateKey(crypto.createPrivateKey(keyFile.text)))
          add('error', 'cert-key-mismatch', f.rel, `${keyFile.rel} is not the key of this certificate`);
      } catch (e: any) {
        add('error', 'cert-key-mismatch', keyFile.rel, `unreadable private key: ${e.message}`);
      }
    }
    sanFindings(f, cert, options, add);
  }
}

function sanFindings(f: AssetFile, cert: crypto.X509Certificate, options: ConsistencyOptions, add: Add): void {
  const spec = options.specFor?.(f.rel);
  if (!spec) return;
  const have = sans(cert);
  const staticMaster = /^(?:.*\/)?([^/]+)\/pki\/(apiserver|etcd\/server|etcd\/peer)\.crt$/.exec(f.rel);
  const bootkube = /(^|\/)tls\/apiserver\.crt$/.test(f.rel);
  let need: string[] = [];
  if (staticMaster) {
    const master = spec.masters.find((m) => m.name === staticMaster[1]);
    if (!master) return;
    if (staticMaster[2] === 'apiserver') {
      const d = spec.networking.clusterDomain;
      need = [
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        `kubernetes.default.svc.${d}`,
        spec.apiServiceIp,
        master.ip,
        spec.apiEndpoint.host,
        ...spec.extraCertSans,
      ];
    } else {
      need = [master.ip, ...(staticMaster[2] === 'etcd/server' ? ['127.0.0.1', 'localhost'] : [])];
    }
  } else if (bootkube) {
    const d = spec.networking.clusterDomain;
    need = [
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      `kubernetes.default.svc.${d}`,
      spec.apiServiceIp,
      spec.apiEndpoint.host,
      ...spec.masters.map((m) => m.ip),
      ...spec.extraCertSans,
    ];
  }
  const lacking = need.filter((n) => !have.has(n.toLowerCase()) && !have.has(normaliseIp(n)));
  if (lacking.length)
    add('error', 'cert-san', f.rel, `certificate lacks SANs the spec needs: ${[...new Set(lacking)].join(', ')}`);
}

function normaliseIp(v: string): string {
  try {
    return ipaddr.parse(v).toNormalizedString().toLowerCase();
  } catch {
    return v.toLowerCase();
  }
}

function kubeconfigs(tree: AssetTree, options: ConsistencyOptions, add: Add): void {
  for (const f of tree.files) {
    for (const cfg of f.docs.filter((d) => d.kind === 'Config' && Array.isArray(d.clusters))) {
      const root = f.rel.includes('/auth/')
        ? f.rel.replace(/auth\/[^/]+$/, 'tls/ca.crt')
        : path.posix.join(path.posix.dirname(f.rel), 'pki/ca.crt');
      const treeCa = fileAt(tree, root)?.certs[0];
      for (const c of cfg.clusters) {
        const data = c.cluster?.['certificate-authority-data'];
        const server = String(c.cluster?.server ?? '');
        if (!server.startsWith('https://'))
          add('error', 'kubeconfig-server', f.rel, `cluster "${c.name}": server "${server}" is not https`);
        if (!data) continue;
        const ca = new crypto.X509Certificate(Buffer.from(data, 'base64'));
        if (treeCa && !ca.raw.equals(treeCa.raw))
          add('error', 'kubeconfig-ca', f.rel, `cluster "${c.name}": certificate-authority-data is not ${root}`);
        for (const u of cfg.users ?? []) {
          const certData = u.user?.['client-certificate-data'];
          if (!certData) continue;
          const cert = new crypto.X509Certificate(Buffer.from(certData, 'base64'));
          certFindings(cert, f.rel, options, add, `user "${u.name}" client certificate`);
          if (!(cert.checkIssued(ca) && cert.verify(ca.publicKey)))
            add('error', 'cert-chain', f.rel, `user "${u.name}": client certificate not signed by the cluster CA`);
          const key = u.user?.['client-key-data'];
          if (key && !cert.checkPrivateKey(crypto.createPrivateKey(Buffer.from(key, 'base64').toString()))) {
            add(
              'error',
              'cert-key-mismatch',
              f.rel,
              `user "${u.name}": client-key-data is not the key of the client certificate`,
            );
          }
        }
      }
    }
  }
}

function selectors(tree: AssetTree, pods: readonly PodTemplate[], add: Add): void {
  const matches = (sel: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(sel).every(([k, v]) => labels?.[k] === v);
  for (const pod of pods) {
    const sel =
      pod.object.kind !== 'Pod' && pod.object.kind !== 'CronJob' && pod.object.kind !== 'Job'
        ? pod.object.spec?.selector
        : undefined;
    if (!sel) continue;
    if (sel.matchLabels && !matches(sel.matchLabels, pod.labels)) {
      add(
        'error',
        'selector-mismatch',
        pod.file.rel,
        `${pod.object.kind} ${pod.object.metadata?.name}: selector ${JSON.stringify(sel.matchLabels)} does not match the template labels ${JSON.stringify(pod.labels)}`,
      );
    }
  }
  for (const file of tree.files) {
    for (const svc of objectsOf(file).filter(
      (o) => o.kind === 'Service' && o.spec?.selector && Object.keys(o.spec.selector).length,
    )) {
      const ns = svc.metadata?.namespace ?? 'default';
      const hit = pods.some(
        (p) => (p.object.metadata?.namespace ?? 'default') === ns && matches(svc.spec.selector, p.labels),
      );
      if (!hit)
        add(
          'error',
          'selector-mismatch',
          file.rel,
          `Service ${ns}/${svc.metadata?.name}: selector ${JSON.stringify(svc.spec.selector)} matches no pod template in the tree`,
        );
    }
  }
}

function networks(
  tree: AssetTree,
  containers: readonly ComponentContainer[],
  options: ConsistencyOptions,
  add: Add,
): void {
  type Seen = { value: string; file: string; what: string; kind: 'service' | 'pod' | 'dns' | 'domain' };
  const seen: Seen[] = [];
  for (const c of containers) {
    const what = `${c.component} in ${c.pod.object.kind} ${c.pod.object.metadata?.name}`;
    const svc = c.flags.get('--service-cluster-ip-range');
    if (svc)
      seen.push({ value: svc, file: c.pod.file.rel, what: `${what} --service-cluster-ip-range`, kind: 'service' });
    const pod = c.flags.get('--cluster-cidr');
    if (pod) seen.push({ value: pod, file: c.pod.file.rel, what: `${what} --cluster-cidr`, kind: 'pod' });
  }
  for (const file of tree.files) {
    for (const o of objectsOf(file)) {
      const name = o.metadata?.name;
      if (
        o.kind === 'Service' &&
        o.metadata?.namespace === 'kube-system' &&
        ['kube-dns', 'coredns'].includes(name) &&
        o.spec?.clusterIP
      ) {
        seen.push({
          value: o.spec.clusterIP,
          file: file.rel,
          what: `Service kube-system/${name} clusterIP`,
          kind: 'dns',
        });
      }
      if (o.kind === 'KubeletConfiguration') {
        for (const ip of o.clusterDNS ?? [])
          seen.push({ value: ip, file: file.rel, what: 'KubeletConfiguration clusterDNS', kind: 'dns' });
        if (o.clusterDomain)
          seen.push({
            value: o.clusterDomain,
            file: file.rel,
            what: 'KubeletConfiguration clusterDomain',
            kind: 'domain',
          });
      }
      if (o.kind === 'ConfigMap') {
        for (const [key, v] of Object.entries(o.data ?? {})) {
          if (typeof v !== 'string') continue;
          if (key === 'net-conf.json') {
            try {
              const net = JSON.parse(v).Network;
              if (net)
                seen.push({ value: net, file: file.rel, what: `ConfigMap ${name} net-conf.json Network`, kind: 'pod' });
            } catch {
              add('error', 'config-unreadable', file.rel, `ConfigMap ${name}: net-conf.json is not JSON`);
            }
          }
          const proxyCidr =
            /kind:\s*KubeProxyConfiguration[\s\S]*?clusterCIDR:\s*"?([^"\s]+)"?/.exec(v) ??
            /clusterCIDR:\s*"?([^"\s]+)"?[\s\S]*kind:\s*KubeProxyConfiguration/.exec(v);
          if (proxyCidr)
            seen.push({
              value: proxyCidr[1],
              file: file.rel,
              what: `ConfigMap ${name} KubeProxyConfiguration clusterCIDR`,
              kind: 'pod',
            });
        }
      }
    }
  }
  const idOf = {
    service: 'cidr-mismatch',
    pod: 'cidr-mismatch',
    dns: 'dns-ip-mismatch',
    domain: 'dns-domain-mismatch',
  } as const;
  for (const s of seen) {
    const spec = options.specFor?.(s.file);
    const want =
      spec &&
      {
        service: spec.networking.serviceCidr,
        pod: spec.networking.podCidr,
        dns: spec.dnsServiceIp,
        domain: spec.networking.clusterDomain,
      }[s.kind];
    const same = (a: string, b: string) => (s.kind === 'domain' ? a === b : normaliseNet(a) === normaliseNet(b));
    if (want && !same(s.value, want))
      add('error', idOf[s.kind], s.file, `${s.what} is ${s.value}, the spec says ${want}`);
  }
  // Without (or beyond) the spec: every value of a kind agrees within its top-level folder, the DNS IP is in the service range.
  const groups = new Map<string, Seen[]>();
  for (const s of seen) {
    const key = `${s.file.split('/').slice(0, 2).join('/')}|${s.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const list of groups.values()) {
    const first = list[0];
    for (const s of list.slice(1)) {
      const differ =
        s.kind === 'domain' ? s.value !== first.value : normaliseNet(s.value) !== normaliseNet(first.value);
      if (differ && !options.specFor?.(s.file))
        add(
          'error',
          idOf[s.kind],
          s.file,
          `${s.what} is ${s.value}, but ${first.what} (${first.file}) is ${first.value}`,
        );
    }
  }
  for (const dns of seen.filter((s) => s.kind === 'dns')) {
    const range = seen.find((s) => s.kind === 'service' && s.file.split('/')[0] === dns.file.split('/')[0]);
    const cidr = range && parseCidr(range.value.split(',')[0]);
    if (cidr) {
      let inside: boolean;
      try {
        inside = cidrContains(cidr, dns.value);
      } catch {
        inside = false;
      }
      if (!inside)
        add(
          'error',
          'dns-ip-mismatch',
          dns.file,
          `${dns.what} ${dns.value} is outside the service range ${range!.value} (${range!.what})`,
        );
    }
  }
}

function normaliseNet(v: string): string {
  return v
    .split(',')
    .map((p) => {
      const c = parseCidr(p.trim());
      return c ? `${c.address.toNormalizedString()}/${c.prefix}` : normaliseIp(p.trim());
    })
    .join(',');
}
