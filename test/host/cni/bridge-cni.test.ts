import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CniPaths,
  cloudRoutesNodeFiles,
  cniTemplateData,
  executeGoTemplate,
  nodePodNetworkFiles,
  podMasqueradeRule,
  renderCniConf,
  renderCniConfTemplate,
  renderContainerdCniDropIn,
  renderPodMasqueradeUnit,
} from '../../../lib/host';
import { STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../../lib/spec';
import { hacp } from '../../support/hacp';
import { systemdAnalyzeAvailable, verifyUnits } from '../../support/systemd-verify';

/** Python's tomllib (3.11+), a real TOML parser, or undefined when there is none. */
function parseToml(text: string): any {
  const r = spawnSync(
    'python3',
    ['-c', 'import json,sys,tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))'],
    { input: text, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}
const hasTomllib = spawnSync('python3', ['-c', 'import tomllib']).status === 0;

describe('containerd CNI config template (cloud-routes)', () => {
  test('the template, as installed', () => {
    expect(renderCniConfTemplate()).toMatchSnapshot();
    expect(renderCniConfTemplate({ mtu: 1450, hairpinMode: false, dataDir: '/tmp/x' })).toMatchSnapshot();
  });

  test('rendered for one IPv4 pod CIDR: bridge cbr0 + host-local over that CIDR + portmap', () => {
    expect(JSON.parse(renderCniConf('10.180.131.0/24'))).toEqual({
      cniVersion: '1.0.0',
      name: 'cbr0',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cbr0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.180.131.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    });
  });

  test('dual stack and IPv6: one range per CIDR, the routes containerd derives', () => {
    const dual = JSON.parse(renderCniConf('10.244.1.0/24, fd00:10:0:1::/64', { mtu: 1450 }));
    expect(dual.plugins[0].mtu).toBe(1450);
    expect(dual.plugins[0].ipam.ranges).toEqual([[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:10:0:1::/64' }]]);
    expect(dual.plugins[0].ipam.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
    expect(JSON.parse(renderCniConf(['fd00:10:0:1::/64'])).plugins[0].ipam.routes).toEqual([{ dst: '::/0' }]);
  });

  test('bad input names the option', () => {
    expect(() => renderCniConfTemplate({ mtu: 100 })).toThrow('mtu: 100 must be an integer from 576 to 9216');
    expect(() => renderCniConfTemplate({ dataDir: 'x' })).toThrow("dataDir: 'x' must be an absolute path");
    expect(() => renderCniConf('10.0.0.0')).toThrow("podCidrs: '10.0.0.0' is not a comma-separated list of CIDRs");
    expect(() => renderCniConf('10.0.0.300/24')).toThrow("podCidrs: '10.0.0.300/24' is not a valid CIDR");
  });
});

describe('executeGoTemplate (the text/template subset containerd uses)', () => {
  const data = { ...cniTemplateData('10.1.0.0/24,fd00::/64') };

  test("containerd's documented dual-stack example renders as Go renders it", () => {
    // From containerd docs/cri/config.md, "CNI Config Template".
    const doc =
      '"ranges": [{{range $i, $range := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$range}}"}]{{end}}],\n' +
      '"routes": [{{range $i, $route := .Routes}}{{if $i}}, {{end}}{"dst": "{{$route}}"}{{end}}]';
    expect(executeGoTemplate(doc, data)).toBe(
      '"ranges": [[{"subnet": "10.1.0.0/24"}], [{"subnet": "fd00::/64"}]],\n"routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]',
    );
  });

  test('fields, dot, lists, else branches, comments and trim markers', () => {
    expect(executeGoTemplate('{{.PodCIDR}} {{.PodCIDRRanges}}', data)).toBe('10.1.0.0/24 [10.1.0.0/24 fd00::/64]');
    expect(executeGoTemplate('{{range .Routes}}<{{.}}>{{end}}', data)).toBe('<0.0.0.0/0><::/0>');
    expect(executeGoTemplate('{{range $r := .Routes}}{{$r}};{{end}}', data)).toBe('0.0.0.0/0;::/0;');
    expect(executeGoTemplate('{{range .X}}a{{else}}empty{{end}}', { X: [] })).toBe('empty');
    expect(executeGoTemplate('{{if .X}}yes{{else}}no{{end}}', { X: '' })).toBe('no');
    expect(executeGoTemplate('a {{- /* c */ -}} b {{- .PodCIDR }}', data)).toBe('ab10.1.0.0/24');
    expect(executeGoTemplate('{{range $i, $r := .Routes}}{{$i}}{{end}}', data)).toBe('01');
  });

  test('anything outside the subset is an error, not a guess', () => {
    expect(() => executeGoTemplate('{{printf "%s" .PodCIDR}}', data)).toThrow(
      'unsupported pipeline \'printf "%s" .PodCIDR\'',
    );
    expect(() => executeGoTemplate('{{.Nope}}', data)).toThrow("can't evaluate field Nope");
    expect(() => executeGoTemplate('{{range .Routes}}x', data)).toThrow('unexpected EOF');
    expect(() => executeGoTemplate('{{end}}', data)).toThrow('unexpected {{end}}');
    expect(() => executeGoTemplate('{{$x}}', data)).toThrow('undefined variable "$x"');
  });
});

describe('containerd drop-in', () => {
  test('sets only conf_template (and bin_dirs when asked), config version 3', () => {
    const toml = renderContainerdCniDropIn();
    expect(toml).toMatchSnapshot();
    const custom = renderContainerdCniDropIn({
      binDirs: ['/usr/lib/cni', '/opt/cni/bin'],
      templatePath: '/etc/hacp/t.tmpl',
    });
    expect(custom).toContain("bin_dirs = ['/usr/lib/cni', '/opt/cni/bin']");
    expect(() => renderContainerdCniDropIn({ templatePath: "a'b" })).toThrow("'a'b' must be an absolute path");
    expect(() => renderContainerdCniDropIn({ binDirs: [] })).toThrow('binDirs: must name at least one directory');
  });

  (hasTomllib ? test : test.skip)(
    `parses as TOML (python3 tomllib)${hasTomllib ? '' : ': skipped, python3 ≥ 3.11 missing'}`,
    () => {
      expect(parseToml(renderContainerdCniDropIn({ binDirs: ['/usr/lib/cni'] }))).toEqual({
        version: 3,
        plugins: {
          'io.containerd.cri.v1.runtime': { cni: { conf_template: CniPaths.confTemplate, bin_dirs: ['/usr/lib/cni'] } },
        },
      });
    },
  );
});

describe('pod-masquerade.service', () => {
  test("kubenet's rule: pod network to outside it, not local", () => {
    expect(podMasqueradeRule('10.244.0.0/16')).toEqual([
      '-s',
      '10.244.0.0/16',
      '!',
      '-d',
      '10.244.0.0/16',
      '-m',
      'addrtype',
      '!',
      '--dst-type',
      'LOCAL',
      '-m',
      'comment',
      '--comment',
      'hacp: SNAT for traffic from pods to outside the pod network',
      '-j',
      'MASQUERADE',
    ]);
    const unit = renderPodMasqueradeUnit('10.244.0.0/16');
    expect(unit).toMatchSnapshot();
    expect(renderPodMasqueradeUnit('fd00:10::/56')).toContain('/usr/sbin/ip6tables');
    expect(() => renderPodMasqueradeUnit('10.244.0.0')).toThrow("clusterCidr: '10.244.0.0' is not a valid CIDR");
  });

  (systemdAnalyzeAvailable() ? test : test.skip)(
    `passes systemd-analyze verify${systemdAnalyzeAvailable() ? '' : ': skipped, systemd-analyze missing'}`,
    () => {
      const r = verifyUnits({ 'pod-masquerade.service': renderPodMasqueradeUnit('10.244.0.0/16') });
      expect(r.output).toBe('');
      expect(r.ok).toBe(true);
    },
  );
});

describe('hacp kubelet-unit: the cloud-routes files follow networking.podNetwork', () => {
  let dir: string;
  let clusterFile: string;
  /** The static example in cloud-routes mode, with two workers (the secret is never read here). */
  const CLOUD_ROUTES = {
    ...STATIC_EXAMPLE_CLUSTER,
    workers: [
      { name: 'worker0', ip: '10.180.0.20' },
      { name: 'worker1', ip: '10.180.0.21' },
    ],
    networking: { ...STATIC_EXAMPLE_CLUSTER.networking, podNetwork: 'cloud-routes' as const },
    openstack: {
      authUrl: 'https://keystone.example.com:5000/v3',
      region: 'RegionOne',
      networkId: '3c0b2c4e-5b87-4a5e-9f1c-0c8a1d0e7d11',
      subnetId: '83aab941-87f4-4372-9fbc-9f702092e3cf',
      routerId: '29635b60-d79f-4536-8144-b2271031461d',
      applicationCredential: { id: '0d9f1c2b3a4e5f60718293a4b5c6d7e8', secretEnv: 'HACP_TEST_NEVER_SET' },
    },
  };
  const writeSpec = (spec: unknown) => fs.writeFileSync(clusterFile, JSON.stringify(spec));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-cni-cli-'));
    clusterFile = path.join(dir, 'cluster.yaml');
    writeSpec(CLOUD_ROUTES);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(['master1', 'worker1'])(
    'podNetwork cloud-routes: %s also gets the template, the containerd drop-in and pod-masquerade.service, 0600',
    async (node) => {
      const out = path.join(dir, 'out');
      const r = await hacp([
        'kubelet-unit',
        '--node',
        node,
        '--out',
        out,
        '--cluster',
        clusterFile,
        '--no-pki',
        '--pod-mtu',
        '1450',
      ]);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(fs.readdirSync(out).sort()).toEqual([
        '50-cni-bridge.toml',
        '90-kubelet.conf',
        'cni-bridge.conflist.tmpl',
        'kubelet-config.yaml',
        'kubelet.service',
        'pod-masquerade.service',
      ]);
      const spec = resolveSpec(CLOUD_ROUTES);
      // The same function the `cluster` check models every node's host CNI config with.
      expect(nodePodNetworkFiles(spec, { mtu: 1450 })).toEqual(cloudRoutesNodeFiles(spec, { mtu: 1450 }));
      for (const f of nodePodNetworkFiles(spec, { mtu: 1450 })) {
        expect(fs.readFileSync(path.join(out, f.name), 'utf8')).toBe(f.content);
        expect(fs.statSync(path.join(out, f.name)).mode & 0o777).toBe(0o600);
        expect(r.out).toContain(`install -D -m 0600 ${f.name} ${f.dest}`);
      }
      expect(fs.readFileSync(path.join(out, 'pod-masquerade.service'), 'utf8')).toContain(
        `-s \\\n  ${spec.networking.podCidr} \\`,
      );
      expect(fs.readFileSync(path.join(out, 'kubelet.service'), 'utf8')).toContain('--cloud-provider=external');
      expect(r.out).toContain("imports = ['/etc/containerd/conf.d/*.toml']");
      expect(r.out).toContain(
        'systemctl daemon-reload && systemctl enable --now pod-masquerade && systemctl restart containerd && systemctl enable --now kubelet',
      );
    },
  );

  test('podNetwork flannel: no host CNI files; --cloud-routes is refused (flannel writes its own CNI config), nothing written', async () => {
    const plain = await hacp([
      'kubelet-unit',
      '--node',
      'master1',
      '--out',
      path.join(dir, 'plain'),
      '--example',
      'static',
      '--no-pki',
    ]);
    expect(plain).toMatchObject({ code: 0, err: '' });
    expect(fs.readdirSync(path.join(dir, 'plain')).sort()).toEqual([
      '90-kubelet.conf',
      'kubelet-config.yaml',
      'kubelet.service',
    ]);
    expect(nodePodNetworkFiles(resolveSpec(STATIC_EXAMPLE_CLUSTER))).toEqual([]);
    expect(() => nodePodNetworkFiles(resolveSpec(STATIC_EXAMPLE_CLUSTER), { force: true })).toThrow(
      /networking\.podNetwork is "flannel"/,
    );
    const r = await hacp([
      'kubelet-unit',
      '--node',
      'master1',
      '--out',
      path.join(dir, 'x'),
      '--example',
      'static',
      '--no-pki',
      '--cloud-routes',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^error: --cloud-routes: networking\.podNetwork is "flannel", .*set networking\.podNetwork: cloud-routes/,
    );
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });

  test('podNetwork none: only with --cloud-routes', async () => {
    writeSpec({ ...STATIC_EXAMPLE_CLUSTER, networking: { ...STATIC_EXAMPLE_CLUSTER.networking, podNetwork: 'none' } });
    const without = await hacp([
      'kubelet-unit',
      '--node',
      'master1',
      '--out',
      path.join(dir, 'a'),
      '--cluster',
      clusterFile,
      '--no-pki',
    ]);
    expect(fs.readdirSync(path.join(dir, 'a'))).not.toContain('cni-bridge.conflist.tmpl');
    expect(without.code).toBe(0);
    const forced = await hacp([
      'kubelet-unit',
      '--node',
      'master1',
      '--out',
      path.join(dir, 'b'),
      '--cluster',
      clusterFile,
      '--no-pki',
      '--cloud-routes',
    ]);
    expect(forced).toMatchObject({ code: 0, err: '' });
    expect(fs.readdirSync(path.join(dir, 'b'))).toEqual(
      expect.arrayContaining(['cni-bridge.conflist.tmpl', '50-cni-bridge.toml', 'pod-masquerade.service']),
    );
  });

  test('bad --pod-mtu: one message, nothing written', async () => {
    const bad = await hacp([
      'kubelet-unit',
      '--node',
      'master1',
      '--out',
      path.join(dir, 'x'),
      '--cluster',
      clusterFile,
      '--no-pki',
      '--pod-mtu',
      'big',
    ]);
    expect(bad).toMatchObject({ code: 1, err: "error: --pod-mtu: 'big' must be an integer from 576 to 9216\n" });
    const alone = await hacp([
      'kubelet-unit',
      '--node',
      'master1',
      '--out',
      path.join(dir, 'x'),
      '--example',
      'static',
      '--no-pki',
      '--pod-mtu',
      '1450',
    ]);
    expect(alone).toMatchObject({
      code: 1,
      err: 'error: --pod-mtu: only with the cloud-routes pod network (networking.podNetwork: cloud-routes, or --cloud-routes)\n',
    });
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });
});
