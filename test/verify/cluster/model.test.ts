/**
 * The model under the `cluster` check: nodes as their kubelets register (read from the kubelet functions), the
 * layouts it recognises, the load balancers of the spec, the built-ins, and the NodeRestriction and toleration rules.
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderKubeletUnit } from '../../../lib/host/kubelet/kubelet-unit';
import { resolveSpec } from '../../../lib/spec';
import {
  BUILTIN_MINORS,
  buildClusterModel,
  builtinObjects,
  findClusterRoots,
  kubeletMaySetLabel,
  loadTree,
} from '../../../lib/verify';
import { execStartArgs, modelNodes, tolerates } from '../../../lib/verify/cluster';
import {
  FROZEN_BOOTKUBE_SPEC,
  FROZEN_DIST,
  FROZEN_STATIC_SPEC,
  TreeFiles,
  checkCluster,
  errorLines,
  frozenSpecFor,
  goodStaticTree,
  pkiFor,
  staticInput,
  staticSpec,
  writeFiles,
} from './_trees';

jest.setTimeout(600_000);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('nodes', () => {
  test('labels and taints are what the kubelet unit and configuration of hacp kubelet-unit register', () => {
    const spec = resolveSpec({ ...FROZEN_BOOTKUBE_SPEC, cloudProvider: 'external' });
    const [master, , , worker] = modelNodes(spec, 'bootkube');
    const unit = renderKubeletUnit(spec, 'master01', { selfHosted: true });
    const nodeLabels = execStartArgs(unit).find((a) => a.startsWith('--node-labels='))!;
    for (const kv of nodeLabels.slice('--node-labels='.length).split(',')) {
      const [k, v = ''] = kv.split('=');
      expect(master.labels[k]).toBe(v);
    }
    expect(master).toMatchObject({ name: 'master01', role: 'master', ip: '172.17.5.101', clusterDns: ['10.3.0.10'] });
    expect(master.labels).toMatchObject({ 'kubernetes.io/hostname': 'master01', 'kubernetes.io/os': 'linux' });
    expect(master.taints).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
      { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
    ]);
    expect(master.appliedLabels).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', value: '', step: 'node-roles' },
    ]);
    expect(worker).toMatchObject({ name: 'worker01', role: 'worker', appliedLabels: [] });
    expect(worker.taints).toEqual([
      { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
    ]);
  });

  test('ExecStart arguments are read back through systemd quoting and continuation lines', () => {
    expect(
      execStartArgs(
        '[Service]\nExecStart=/usr/bin/kubelet \\\n  --a=1 \\\n  "--b=x y" \\\n  --c=100%%\nRestart=always\n',
      ),
    ).toEqual(['/usr/bin/kubelet', '--a=1', '--b=x y', '--c=100%']);
  });

  test('NodeRestriction: which labels a kubelet may set on itself', () => {
    expect(kubeletMaySetLabel('node.kubernetes.io/controller')).toBe(true);
    expect(kubeletMaySetLabel('node.kubernetes.io/exclude-from-external-load-balancers')).toBe(true);
    expect(kubeletMaySetLabel('example.com/gpu')).toBe(true);
    expect(kubeletMaySetLabel('topology.kubernetes.io/zone')).toBe(true);
    expect(kubeletMaySetLabel('node-role.kubernetes.io/control-plane')).toBe(false);
    expect(kubeletMaySetLabel('node-restriction.kubernetes.io/x')).toBe(false);
    expect(kubeletMaySetLabel('kubernetes.io/role')).toBe(false);
  });

  test('tolerations: key, operator, value, effect, and the empty-key wildcard', () => {
    const taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const };
    expect(tolerates([{ operator: 'Exists' }], taint)).toBe(true);
    expect(tolerates([{ key: taint.key, operator: 'Exists', effect: 'NoSchedule' }], taint)).toBe(true);
    expect(tolerates([{ key: taint.key, operator: 'Exists', effect: 'NoExecute' }], taint)).toBe(false);
    expect(tolerates([{ key: taint.key, value: 'x' }], taint)).toBe(false);
    expect(tolerates([{ key: 'CriticalAddonsOnly', operator: 'Exists' }], taint)).toBe(false);
  });
});

describe('built-ins', () => {
  test('one list per supported minor; what a minor adds stays in later ones', () => {
    expect(BUILTIN_MINORS).toEqual(['1.33', '1.34', '1.35', '1.36']);
    for (const m of BUILTIN_MINORS) {
      const b = builtinObjects(`v${m}.0`);
      expect(b.clusterRoles.has('system:node-proxier')).toBe(true);
      expect(b.roles.get('kube-system')!.has('extension-apiserver-authentication-reader')).toBe(true);
      expect(b.priorityClasses).toEqual(new Set(['system-node-critical', 'system-cluster-critical']));
      expect(b.clusterRoles.has('system:controller:service-cidrs-controller')).toBe(true);
    }
    expect(builtinObjects('v1.40.0').minor).toBe('1.36');
  });
});

describe('layouts', () => {
  test('dist/ holds two clusters; each folder can be checked alone', () => {
    expect(findClusterRoots(loadTree(FROZEN_DIST))).toEqual([
      { root: 'bootkube', flavor: 'bootkube' },
      { root: 'static-pods', flavor: 'static-pods' },
    ]);
    const whole = checkCluster(FROZEN_DIST, frozenSpecFor);
    const staticAlone = checkCluster(path.join(FROZEN_DIST, 'static-pods'), resolveSpec(FROZEN_STATIC_SPEC));
    expect(staticAlone.findings.map((f) => `${f.file} ${f.id}`).sort()).toEqual(
      whole.findings
        .filter((f) => f.file?.startsWith('static-pods'))
        .map((f) => `${f.file!.replace(/^static-pods\/?/, '') || '.'} ${f.id}`)
        .sort(),
    );
    const bootkubeAlone = checkCluster(path.join(FROZEN_DIST, 'bootkube'), resolveSpec(FROZEN_BOOTKUBE_SPEC));
    expect(bootkubeAlone.findings.length).toBe(whole.findings.filter((f) => f.file?.startsWith('bootkube')).length);
    expect(bootkubeAlone.plans![0].plan.root).toBe('.');
  });

  test('a tree holding one master of three: the missing masters and what they would have served', async () => {
    const spec = staticSpec(3, 0);
    const files = goodStaticTree(spec, await pkiFor(spec));
    for (const k of Object.keys(files)) if (/^static-pods\/master[12]\//.test(k)) delete files[k];
    const dir = writeFiles(files);
    dirs.push(dir);
    const r = checkCluster(dir, spec);
    expect(r.findings.filter((f) => f.id === 'master-missing').map((f) => f.message)).toEqual([
      'master master1 (10.180.0.11) of the spec has no folder static-pods/master1/: its etcd member, API server, controller manager and scheduler are not in the tree',
      'master master2 (10.180.0.12) of the spec has no folder static-pods/master2/: its etcd member, API server, controller manager and scheduler are not in the tree',
    ]);
    expect(r.findings.filter((f) => f.id === 'lb-backend-unserved').map((f) => f.message)).toEqual([
      expect.stringContaining(
        'Octavia load balancer masters-lb (spec loadBalancer.octavia, made by `hacp lb apply`) sends traffic for 10.47.40.33:443 to master1 10.180.0.11:6443, which is not served: no API server listens on 10.180.0.11:6443 (master1)',
      ),
      expect.stringContaining('to master2 10.180.0.12:6443'),
    ]);
    expect(r.findings.filter((f) => f.id === 'etcd-member-missing').map((f) => f.message)).toEqual([
      expect.stringContaining(
        'etcd member master0 (Pod kube-system/etcd on master0, initial cluster) expects member master1 at https://10.180.0.11:2380',
      ),
      expect.stringContaining('expects member master2 at https://10.180.0.12:2380'),
    ]);
  });

  test("a tree with no cluster layout gets one warning (a consumer's Pod is no static pod)", () => {
    const dir = writeFiles({
      'x/cm.yaml': ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n', 0o644],
      'app/web/pod.yaml': [
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n',
        0o644,
      ],
    });
    dirs.push(dir);
    expect(checkCluster(dir, staticSpec(1)).findings).toEqual([
      expect.objectContaining({ severity: 'warning', id: 'no-cluster' }),
    ]);
    expect(() => buildClusterModel(loadTree(dir), staticSpec(1))).toThrow(/no cluster tree/);
  });
});

test("an API endpoint given as a DNS name is the load balancer (the operator's DNS record)", async () => {
  const spec = resolveSpec({ ...staticInput(1, 1), apiEndpoint: { host: 'api.kubernetes.example', port: 443 } });
  const dir = writeFiles(goodStaticTree(spec, await pkiFor(spec)));
  dirs.push(dir);
  const r = checkCluster(dir, spec);
  expect(errorLines(r)).toEqual([]);
  expect(r.plans![0].plan.edges).toContainEqual(
    expect.objectContaining({
      from: 'load-balancer',
      to: 'nodes-registered',
      reason: expect.stringContaining('https://api.kubernetes.example:443'),
    }),
  );
});

describe('HAProxy + keepalived in front of the API servers', () => {
  const haproxy = (port: number) =>
    resolveSpec({
      ...staticInput(3, 1),
      apiEndpoint: { host: '10.180.0.100', port },
      loadBalancer: { type: 'haproxy', haproxy: { vip: '10.180.0.100' } },
    });
  let files: (port: number) => Promise<TreeFiles>;
  beforeAll(() => {
    files = async (port) => goodStaticTree(haproxy(port), await pkiFor(haproxy(port)));
  });

  test('the VIP on its own port: served by HAProxy, whose backends are the API servers', async () => {
    const spec = haproxy(8443);
    const dir = writeFiles(await files(8443));
    dirs.push(dir);
    const r = checkCluster(dir, spec);
    expect(errorLines(r)).toEqual([]);
    const lb = r.plans![0].plan.phases.flatMap((p) => p.steps).find((s) => s.id === 'load-balancer')!;
    expect(lb).toMatchObject({ kind: 'external', after: ['api-servers'] });
    expect(lb.title).toContain('HAProxy + keepalived on the masters');
  });

  test("an API server moved to the VIP's port fights HAProxy for it, and leaves its backend unserved", async () => {
    const spec = haproxy(8443);
    const tree = await files(8443);
    const rel = 'static-pods/master0/kube-apiserver.yaml';
    tree[rel] = [tree[rel][0].replace(/6443/g, '8443'), tree[rel][1]];
    const dir = writeFiles(tree);
    dirs.push(dir);
    const r = checkCluster(dir, spec);
    expect(r.findings.filter((f) => f.id === 'port-conflict')).toEqual([
      expect.objectContaining({
        file: rel,
        message:
          'kube-apiserver on master0 (static-pods/master0/kube-apiserver.yaml) and HAProxy on master0 (bind *:8443) both listen on port 8443 of master0 (0.0.0.0): the second cannot bind',
      }),
    ]);
    expect(r.findings.filter((f) => f.id === 'lb-backend-unserved').map((f) => f.message)).toEqual([
      expect.stringContaining(
        'to master0 10.180.0.10:6443, which is not served: no API server listens on 10.180.0.10:6443 (master0)',
      ),
    ]);
  });
});
