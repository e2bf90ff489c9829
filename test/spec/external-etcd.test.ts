/**
 * `readExternalEtcd()`: the files of `etcd.external`, made here by the real openssl (an operator's etcd CA, a client
 * certificate for the API servers, a serving certificate that is not a client one), and every bad input refused with
 * the field and the file named.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, SpecValidationError, readExternalEtcd } from '../../lib/spec';

const hasOpenssl = fs.existsSync('/usr/bin/openssl');
const withOpenssl = hasOpenssl ? describe : describe.skip;
if (!hasOpenssl) console.warn('external-etcd tests skipped: /usr/bin/openssl is not installed');

withOpenssl('readExternalEtcd', () => {
  let dir: string;
  const f = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const sign = (name: string, cn: string, ext: string) => {
    openssl('req', '-new', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    fs.writeFileSync(f(`${name}.ext`), `basicConstraints=CA:FALSE\n${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.crt`),
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
    );
    fs.chmodSync(f(`${name}.key`), 0o600);
  };
  const spec = (files: Partial<Record<'caFile' | 'certFile' | 'keyFile', string>> = {}): ClusterSpec => ({
    ...BOOTKUBE_EXAMPLE_CLUSTER,
    etcd: {
      external: {
        endpoints: ['https://10.0.0.5:2379'],
        caFile: 'ca.crt',
        certFile: 'client.crt',
        keyFile: 'client.key',
        ...files,
      },
    },
  });
  const problems = (s: ClusterSpec): string[] => {
    try {
      readExternalEtcd(s, { cwd: dir });
    } catch (e) {
      expect(e).toBeInstanceOf(SpecValidationError);
      expect((e as Error).message).toMatch(/^cannot read the external etcd client files \(etcd.external\):/);
      return (e as SpecValidationError).problems;
    }
    return [];
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-external-etcd-'));
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=etcd-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
    sign('client', 'kube-apiserver-etcd-client', 'extendedKeyUsage=clientAuth');
    sign('server', 'etcd', 'extendedKeyUsage=serverAuth');
    fs.writeFileSync(f('garbage.crt'), 'not a certificate\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('no etcd.external: nothing to read', () => {
    expect(readExternalEtcd(BOOTKUBE_EXAMPLE_CLUSTER)).toBeUndefined();
  });

  test('good files: the endpoints and the three PEMs, as they are', () => {
    const warnings: string[] = [];
    const client = readExternalEtcd(spec(), { cwd: dir, onWarning: (w) => warnings.push(w) })!;
    expect(client.endpoints).toEqual(['https://10.0.0.5:2379']);
    expect(client.caCrt).toBe(fs.readFileSync(f('ca.crt'), 'utf8'));
    expect(client.clientCrt).toBe(fs.readFileSync(f('client.crt'), 'utf8'));
    expect(client.clientKey).toBe(fs.readFileSync(f('client.key'), 'utf8'));
    // Valid for 2 days: within the 30-day warning window.
    expect(warnings).toEqual([expect.stringMatching(/^etcd.external.certFile: .*client.crt expires on .*; renew it/)]);
  });

  test('a missing file, a file that is no certificate, a CA that is not one: each named by field and file', () => {
    expect(problems(spec({ caFile: 'nope.crt' }))).toEqual([`etcd.external.caFile: ${f('nope.crt')}: does not exist`]);
    expect(problems(spec({ certFile: 'garbage.crt' }))).toEqual([
      `etcd.external.certFile: ${f('garbage.crt')}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it`,
    ]);
    expect(problems(spec({ caFile: 'client.crt' }))).toEqual([
      expect.stringMatching(/^etcd.external.caFile: .*client.crt: not a CA certificate/),
    ]);
    expect(problems(spec({ keyFile: 'ca.crt' }))).toEqual([
      `etcd.external.keyFile: ${f('ca.crt')}: not a readable PEM private key`,
    ]);
  });

  test('a key of another certificate, a serving certificate as client certificate, a directory: refused', () => {
    expect(problems(spec({ keyFile: 'server.key' }))).toEqual([
      `etcd.external.keyFile: ${f('server.key')} is not the key of ${f('client.crt')}`,
    ]);
    expect(problems(spec({ certFile: 'server.crt', keyFile: 'server.key' }))).toEqual([
      expect.stringMatching(
        /certFile: .*server.crt: not a client certificate \(its extended key usage lacks clientAuth\)/,
      ),
    ]);
    expect(problems(spec({ caFile: '.' }))).toEqual([
      expect.stringMatching(/^etcd.external.caFile: .* is a directory, not a regular file/),
    ]);
  });

  test('a client certificate of another CA than caFile is a warning (the members may trust its issuer)', () => {
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      path.join(other, 'ca.key'),
      '-out',
      path.join(other, 'ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=other-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
    const warnings: string[] = [];
    readExternalEtcd(spec({ caFile: 'other/ca.crt' }), { cwd: dir, onWarning: (w) => warnings.push(w) });
    expect(warnings).toContainEqual(
      `etcd.external.certFile: ${f('client.crt')} is not signed by caFile ${path.join(other, 'ca.crt')}; the etcd members must trust its issuer (their --trusted-ca-file), or they refuse the API servers`,
    );
    const good: string[] = [];
    readExternalEtcd(spec(), { cwd: dir, onWarning: (w) => good.push(w) });
    expect(good.filter((w) => w.includes('not signed'))).toEqual([]);
  });

  test('a key others can read is a warning; no key material in any message', () => {
    fs.copyFileSync(f('client.key'), f('open.key'));
    fs.chmodSync(f('open.key'), 0o644);
    const warnings: string[] = [];
    readExternalEtcd(spec({ keyFile: 'open.key' }), { cwd: dir, onWarning: (w) => warnings.push(w) });
    expect(warnings).toContainEqual(
      `etcd.external.keyFile: ${f('open.key')} is readable by others (mode 0644); chmod 600 it`,
    );
    const key = fs.readFileSync(f('client.key'), 'utf8');
    for (const p of [...warnings, ...problems(spec({ keyFile: 'server.key' }))])
      expect(p).not.toContain(key.split('\n')[1]);
  });
});
