import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki, seedPkiState } from '../support/fixture-pki';
import { hacp } from '../support/hacp';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-pki-cli-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function seeded(name: string): Promise<string> {
  const dir = path.join(root, name);
  seedPkiState(dir, await fixturePki(resolveSpec(STATIC_EXAMPLE_CLUSTER)));
  return dir;
}

test('status: a table of every certificate, exit 0 when all are OK', async () => {
  const dir = await seeded('ok');
  const { out, code } = await hacp(['pki', 'status', '--example', 'static', '--dir', dir]);
  expect(code).toBe(0);
  const lines = out.split('\n');
  expect(lines[0]).toBe(`PKI state: ${dir}`);
  expect(lines[1].split(/\s{2,}/)).toEqual(['NAME', 'SUBJECT', 'SANS', 'ISSUER', 'NOT AFTER', 'DAYS', 'STATUS']);
  const apiserver = lines.find((l) => l.startsWith('apiserver (master1)'))!;
  expect(apiserver).toMatch(/CN=kube-apiserver\s+DNS:master1,DNS:kubernetes,.*IP:10\.180\.0\.11,IP:10\.47\.40\.33\s+CN=kubernetes\s+\d{4}-\d\d-\d\d\s+36[45]\s+OK$/);
  expect(lines.find((l) => l.startsWith('super-admin.conf'))).toMatch(/O=system:masters, CN=kubernetes-super-admin/);
  expect(lines.find((l) => l.startsWith('sa.key/sa.pub'))).toMatch(/OK$/);
  expect(out).toMatch(/\nall 32 OK\n$/);
});

test('status --json, and a non-zero exit with the reason when something is wrong', async () => {
  const dir = await seeded('bad');
  fs.unlinkSync(path.join(dir, 'nodes/master2/etcd-peer.crt'));
  fs.unlinkSync(path.join(dir, 'nodes/master2/etcd-peer.key'));
  fs.writeFileSync(path.join(dir, 'front-proxy-client.crt'), 'not a certificate');
  const { out, code } = await hacp(['pki', 'status', '--example', 'static', '--dir', dir, '--json']);
  expect(code).toBe(1);
  const rows = JSON.parse(out).certificates;
  expect(rows.find((r: any) => r.name === 'etcd/peer (master2)')).toMatchObject({ state: 'missing', file: 'nodes/master2/etcd-peer.crt' });
  expect(rows.find((r: any) => r.name === 'front-proxy-client')).toMatchObject({ state: 'invalid' });
  expect(rows.find((r: any) => r.name === 'apiserver (master0)')).toMatchObject({
    state: 'ok', subject: 'CN=kube-apiserver', issuer: 'CN=kubernetes', keyBits: 2048, sans: expect.arrayContaining(['IP:10.180.1.1']),
  });
  const table = await hacp(['pki', 'status', '--example', 'static', '--dir', dir]);
  expect(table.code).toBe(1);
  expect(table.out).toMatch(/etcd\/peer \(master2\)\s+-\s+-\s+-\s+-\s+-\s+missing: not in the state directory/);
  expect(table.out).toMatch(/2 of 32 need attention/);

  // renew refuses to paper over the corrupt file, and says which and why.
  const renew = await hacp(['pki', 'renew', '--example', 'static', '--dir', dir]);
  expect(renew.code).toBe(1);
  expect(renew.err).toMatch(/front-proxy-client: front-proxy-client.crt is not a readable certificate/);
});

test('renew re-issues what the spec changed, then reports nothing to do', async () => {
  const dir = await seeded('renew');
  const cluster = path.join(root, 'cluster.yaml');
  fs.writeFileSync(cluster, [
    'masters: [{name: master0, ip: 10.180.0.10}, {name: master1, ip: 10.180.0.11}, {name: master2, ip: 10.180.0.12}]',
    'apiEndpoint: {host: 10.47.40.33, port: 443}',
    'networking: {serviceCidr: 10.180.1.0/24, podCidr: 10.180.128.0/17}',
    'loadBalancer: {type: octavia, octavia: {subnet: kthw-subnet}}',
    'pki: {validityDays: 200}', // not a reason to re-issue by itself
    'extraCertSans: [10.47.40.34]',
  ].join('\n'));
  const first = await hacp(['pki', 'renew', '--cluster', cluster, '--dir', dir]);
  expect(first.code).toBe(0);
  expect(first.out.trim().split('\n').sort()).toEqual([
    'issued apiserver (master0): SANs changed: +IP:10.47.40.34',
    'issued apiserver (master1): SANs changed: +IP:10.47.40.34',
    'issued apiserver (master2): SANs changed: +IP:10.47.40.34',
    'issued bootkube tls/apiserver: SANs changed: +IP:10.47.40.34',
  ]);
  const second = await hacp(['pki', 'renew', '--cluster', cluster, '--dir', dir]);
  expect(second.out).toBe(`${dir}: nothing to do, every certificate is valid\n`);
  expect((await hacp(['pki', 'status', '--cluster', cluster, '--dir', dir])).code).toBe(0);
}, 60_000);

test('the state directory defaults to $HACP_PKI_DIR/<cluster name>', async () => {
  await seeded('env/kubernetes');
  const { out, code } = await hacp(['pki', 'status', '--example', 'static'], { HACP_PKI_DIR: path.join(root, 'env') });
  expect(out.split('\n')[0]).toBe(`PKI state: ${path.join(root, 'env', 'kubernetes')}`);
  expect(code).toBe(0);
});
