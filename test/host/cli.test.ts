import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import {
  renderBootkubeUnit,
  renderHaproxyConfig,
  renderKeepalivedConfig,
  renderKubeletConfig,
  renderKubeletUnit,
  renderOctaviaPlan,
} from '../../lib/host';
import * as crypto from 'crypto';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki, seedPkiState } from '../support/fixture-pki';
import { hacp } from '../support/hacp';

describe('hacp kubelet-unit', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes the unit, the KubeletConfiguration and the sysctl file, 0600', async () => {
    const r = await hacp(['kubelet-unit', '--node', 'master1', '--out', dir, '--example', 'static', '--no-pki']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(fs.readdirSync(dir).sort()).toEqual(['90-kubelet.conf', 'kubelet-config.yaml', 'kubelet.service']);
    expect(fs.readFileSync(path.join(dir, 'kubelet.service'), 'utf8')).toBe(
      renderKubeletUnit(STATIC_EXAMPLE_CLUSTER, 'master1'),
    );
    expect(fs.readFileSync(path.join(dir, 'kubelet-config.yaml'), 'utf8')).toBe(
      renderKubeletConfig(STATIC_EXAMPLE_CLUSTER, 'master1'),
    );
    for (const f of fs.readdirSync(dir)) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    expect(r.out).toContain('install -D -m 0600 kubelet-config.yaml /var/lib/kubelet/config.yaml');
    expect(r.out).toContain(
      'node-role.kubernetes.io/control-plane= on master1 (a kubelet may not set node-role labels itself) is set through the API by hacp cluster apply',
    );
  });

  test('--bootkube adds bootkube.service on the first master only', async () => {
    const ok = await hacp([
      'kubelet-unit',
      '--node',
      'master01',
      '--out',
      dir,
      '--bootkube',
      '--example',
      'bootkube',
      '--no-pki',
    ]);
    expect(ok.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'bootkube.service'), 'utf8')).toBe(
      renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER),
    );
    expect(ok.out).toContain(
      'cp -a dist/bootkube /opt/bootkube/assets && install -m 0600 <your cluster.yaml> /opt/bootkube/cluster.yaml',
    );
    expect(ok.out).toContain('is set through the API by hacp bootstrap');
    expect(fs.readFileSync(path.join(dir, 'kubelet.service'), 'utf8')).toContain('/etc/kubernetes/checkpoints');
    expect(fs.existsSync(path.join(dir, 'hacp-checkpointer.service'))).toBe(true);
    const bad = await hacp([
      'kubelet-unit',
      '--node',
      'master02',
      '--out',
      path.join(dir, 'x'),
      '--bootkube',
      '--example',
      'bootkube',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(
      "error: --bootkube: bootkube runs once, on the first master (master01), not on master02; write master02's units with --self-hosted instead\n",
    );
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });

  test("writes the kubelet's kubeconfig, the CA and its certificate pairs from the PKI state", async () => {
    const spec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
    const pki = await fixturePki(spec);
    const state = path.join(dir, 'state');
    seedPkiState(state, pki);
    const out = path.join(dir, 'out');
    const r = await hacp([
      'kubelet-unit',
      '--node',
      'worker01',
      '--out',
      out,
      '--example',
      'bootkube',
      '--pki-dir',
      state,
    ]);
    expect(r.code).toBe(0);
    const kubeconfig = fs.readFileSync(path.join(out, 'etc/kubernetes/kubelet.conf'), 'utf8');
    expect(kubeconfig).toBe(pki.kubeconfig('kubelet', 'worker01'));
    expect(kubeconfig).toContain('/var/lib/kubelet/pki/kubelet-client.crt');
    const client = new crypto.X509Certificate(
      fs.readFileSync(path.join(out, 'var/lib/kubelet/pki/kubelet-client.crt')),
    );
    expect(client.subject).toContain('CN=system:node:worker01');
    expect(
      client.verify(new crypto.X509Certificate(fs.readFileSync(path.join(out, 'etc/kubernetes/pki/ca.crt'))).publicKey),
    ).toBe(true);
    expect(fs.statSync(path.join(out, 'var/lib/kubelet/pki/kubelet-client.key')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.join(out, 'etc/kubernetes/pki'))).toEqual(['ca.crt']);
  });

  test('an unknown node is named, with the valid ones', async () => {
    const r = await hacp(['kubelet-unit', '--node', 'master7', '--out', dir, '--example', 'bootkube']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'error: --node: unknown node "master7": the cluster spec has master01, master02, master03, worker01\n',
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('hacp lb', () => {
  test('plan (octavia) prints the exact commands and runs nothing', async () => {
    const r = await hacp(['lb', 'plan', '--example', 'static'], {
      HACP_OPENSTACK_BIN: '/nonexistent/openstack',
      OS_AUTH_TYPE: 'none',
      OS_ENDPOINT: 'http://127.0.0.1:1',
    });
    expect(r).toEqual({ code: 0, out: renderOctaviaPlan(STATIC_EXAMPLE_CLUSTER), err: '' });
  });

  test('apply without the openstack CLI fails clearly', async () => {
    const r = await hacp(['lb', 'apply', '--example', 'static'], { HACP_OPENSTACK_BIN: '/nonexistent/openstack' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('error: the openstack CLI (/nonexistent/openstack) was not found');
  });

  test('haproxy: apply writes haproxy.cfg and keepalived.conf for every master', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-cli-'));
    try {
      const spec: ClusterSpec = {
        ...STATIC_EXAMPLE_CLUSTER,
        apiEndpoint: { host: '10.180.0.100', port: 443 },
        loadBalancer: { type: 'haproxy' },
      };
      fs.writeFileSync(path.join(dir, 'cluster.yaml'), stringify(spec));
      const r = await hacp(['lb', 'apply', '--cluster', path.join(dir, 'cluster.yaml'), '--out', path.join(dir, 'lb')]);
      expect(r.code).toBe(0);
      for (const m of ['master0', 'master1', 'master2']) {
        expect(fs.readFileSync(path.join(dir, 'lb', m, 'haproxy.cfg'), 'utf8')).toBe(renderHaproxyConfig(spec));
        expect(fs.readFileSync(path.join(dir, 'lb', m, 'keepalived.conf'), 'utf8')).toBe(
          renderKeepalivedConfig(spec, { node: m }),
        );
      }
      const destroy = await hacp(['lb', 'destroy', '--cluster', path.join(dir, 'cluster.yaml')]);
      expect(destroy.code).toBe(1);
      expect(destroy.err).toContain('loadBalancer.type is "haproxy": hacp only wrote files');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('kube-vip: nothing to do here, the static pods carry it', async () => {
    const r = await hacp(['lb', 'apply', '--example', 'bootkube']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('loadBalancer.type is "kube-vip": nothing to apply here');
  });
});
