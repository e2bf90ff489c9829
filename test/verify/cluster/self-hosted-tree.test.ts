/**
 * The `cluster` check on the self-hosted (bootkube) trees the app writes today (`synthBootkube()` with the fast test
 * PKI): 0 errors with kube-vip (the built-in example), Octavia, HAProxy and an external etcd; a plan that brings them
 * up without the VIP (kube-vip's RBAC first, through the bootstrap master); the static-pod kube-vip tree's control
 * plane likewise. Then defects planted in a copy, each caught with the object named: an etcd member dropped, kube-vip's
 * RBAC removed, the checkpoint annotation removed, an API server that reads a Secret into its environment.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterPki } from '../../../lib/pki';
import {
  BOOTKUBE_EXAMPLE_CLUSTER,
  ClusterSpec,
  ExternalEtcdClient,
  ResolvedClusterSpec,
  resolveSpec,
} from '../../../lib/spec';
import { synthBootkube } from '../../../lib/synth';
import { BringUpPlan, BringUpStep, VerifyReport } from '../../../lib/verify';
import { TreeFiles, checkCluster, editDocs, errorLines, goodStaticTree, pkiFor, staticInput } from './_trees';

jest.setTimeout(300_000);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The app's bootkube tree for a spec, in a temp dir (its `bootkube/` folder is the checked root). */
function synth(
  input: ClusterSpec,
  edit?: (root: string) => void,
): { dir: string; spec: ResolvedClusterSpec; report: VerifyReport } {
  const spec = resolveSpec(input);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-selfhosted-'));
  dirs.push(dir);
  const pki = ClusterPki.forTesting(spec);
  const assets = pki.bootkubeAssets();
  // An external etcd's CA and client pair: any real PEMs do for the model (it cannot see the members' certificates).
  const externalEtcd: ExternalEtcdClient | undefined = spec.etcd.external
    ? {
        endpoints: spec.etcd.external.endpoints,
        caCrt: assets.etcdClientCaCrt,
        clientCrt: assets.etcdClientCrt,
        clientKey: assets.etcdClientKey,
      }
    : undefined;
  synthBootkube(spec, pki, dir, { encryptionKey: Buffer.alloc(32, 7).toString('base64'), externalEtcd });
  edit?.(path.join(dir, 'bootkube'));
  return { dir, spec, report: checkCluster(path.join(dir, 'bootkube'), spec) };
}

const steps = (plan: BringUpPlan): BringUpStep[] => plan.phases.flatMap((p) => p.steps);
const phaseOf = (plan: BringUpPlan, id: string) =>
  plan.phases.find((p) => p.steps.some((s) => s.id === id))?.index ?? -1;
const planOf = (r: VerifyReport) => r.plans![0].plan;
const errors = (r: VerifyReport, id: string) => r.findings.filter((f) => f.severity === 'error' && f.id === id);

const OCTAVIA: ClusterSpec = {
  ...BOOTKUBE_EXAMPLE_CLUSTER,
  apiEndpoint: { host: '10.47.40.33', port: 443 },
  loadBalancer: { type: 'octavia', octavia: { subnet: 'kthw-subnet', floatingIp: '10.47.40.33' } },
};
const HAPROXY: ClusterSpec = {
  ...BOOTKUBE_EXAMPLE_CLUSTER,
  apiEndpoint: { host: '172.17.5.100', port: 8443 },
  loadBalancer: { type: 'haproxy', haproxy: { vip: '172.17.5.100', interface: 'eth1' } },
};
const EXTERNAL_ETCD: ClusterSpec = {
  ...BOOTKUBE_EXAMPLE_CLUSTER,
  etcd: {
    external: {
      endpoints: ['https://172.17.5.50:2379', 'https://172.17.5.51:2379'],
      caFile: 'ca.crt',
      certFile: 'c.crt',
      keyFile: 'c.key',
    },
  },
};

describe('the bootkube example (kube-vip): a cluster that comes up', () => {
  let report: VerifyReport;
  beforeAll(() => {
    report = synth(BOOTKUBE_EXAMPLE_CLUSTER).report;
  });

  test("0 cluster errors (warnings: the archived dashboard's images)", () => {
    expect(errorLines(report)).toEqual([]);
    expect(report.findings.map((f) => f.id)).toEqual(['image-retired', 'image-retired']);
  });

  test("plan: etcd on every master, the bootstrap control plane, kube-vip's RBAC first through the master, then kube-vip, then the Nodes", () => {
    const plan = planOf(report);
    expect(plan.partial).toBeUndefined();
    const masters = ['master01', 'master02', 'master03'];
    expect(steps(plan).find((s) => s.id === 'etcd')).toMatchObject({
      kind: 'static-pods',
      nodes: masters,
      files: masters.map((m) => `masters/${m}/etcd.yaml`),
    });
    expect(steps(plan).find((s) => s.id === 'kube-vip')).toMatchObject({
      kind: 'static-pods',
      nodes: masters,
      after: ['kube-vip-rbac'],
    });
    const order = [
      'etcd',
      'bootstrap-control-plane',
      'kube-vip-rbac',
      'kube-vip',
      'nodes-registered',
      'pod-network',
      'kube-apiserver',
      'pivot',
    ].map((id) => phaseOf(plan, id));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);
    // The first apply step of all, through the bootstrap master's own API server; every other apply step comes later.
    const applies = steps(plan).filter((s) => s.kind === 'apply');
    expect(applies[0]).toMatchObject({
      id: 'kube-vip-rbac',
      via: 'master',
      files: ['manifests/kube-vip-rbac.yaml'],
      after: ['bootstrap-control-plane'],
    });
    expect(applies.slice(1).every((s) => s.via === 'endpoint' && phaseOf(plan, s.id) > phaseOf(plan, 'kube-vip'))).toBe(
      true,
    );
    expect(plan.edges).toContainEqual(
      expect.objectContaining({
        from: 'kube-vip-rbac',
        to: 'kube-vip',
        reason: expect.stringContaining('RoleBinding hacp:kube-vip'),
      }),
    );
    // kube-vip waits for the earliest speaker: the bootstrap API server of master01, not the self-hosted DaemonSet.
    expect(plan.edges).toContainEqual(
      expect.objectContaining({
        from: 'bootstrap-control-plane',
        to: 'kube-vip',
        reason: expect.stringContaining('Pod kube-system/kube-vip on master01'),
      }),
    );
    expect(
      plan
        .edges!.filter((e) => e.to === 'kube-vip')
        .map((e) => e.from)
        .sort(),
    ).toEqual(['bootstrap-control-plane', 'kube-vip-rbac']);
    // The bootstrap control plane dials its own master (auth/kubeconfig), never the VIP.
    expect(plan.edges!.filter((e) => e.to === 'bootstrap-control-plane').map((e) => e.from)).toEqual(['etcd']);
  });
});

describe.each([
  ['Octavia', OCTAVIA, 'load-balancer'],
  ['HAProxy', HAPROXY, 'load-balancer'],
])('a self-hosted cluster behind %s', (_name, input, lb) => {
  let report: VerifyReport;
  beforeAll(() => {
    report = synth(input).report;
  });

  test('0 cluster errors; no kube-vip anywhere', () => {
    expect(errorLines(report)).toEqual([]);
    expect(steps(planOf(report)).map((s) => s.id)).not.toContain('kube-vip');
    expect(steps(planOf(report)).map((s) => s.id)).not.toContain('kube-vip-rbac');
  });

  test('the load balancer forwards to the bootstrap API server first; kubelets register after it', () => {
    const plan = planOf(report);
    expect(phaseOf(plan, 'bootstrap-control-plane')).toBeLessThan(phaseOf(plan, lb));
    expect(phaseOf(plan, lb)).toBeLessThan(phaseOf(plan, 'nodes-registered'));
  });
});

describe('a self-hosted cluster with an external etcd', () => {
  let report: VerifyReport;
  beforeAll(() => {
    report = synth(EXTERNAL_ETCD).report;
  });

  test("0 cluster errors: the API servers' --etcd-servers are the external members", () => {
    expect(errorLines(report)).toEqual([]);
  });

  test('plan: an `external` step for it, first; no etcd pods', () => {
    const plan = planOf(report);
    expect(steps(plan).find((s) => s.id === 'external-etcd')).toMatchObject({
      kind: 'external',
      title: expect.stringContaining('172.17.5.50:2379, 172.17.5.51:2379'),
    });
    expect(steps(plan).map((s) => s.id)).not.toContain('etcd');
    expect(phaseOf(plan, 'external-etcd')).toBeLessThan(phaseOf(plan, 'bootstrap-control-plane'));
    expect(plan.edges).toContainEqual(
      expect.objectContaining({ from: 'external-etcd', to: 'bootstrap-control-plane' }),
    );
  });

  test('an API server dialing an address that is neither a member of the spec nor of the tree is unserved', () => {
    const r = synth(EXTERNAL_ETCD, (root) => {
      const file = path.join(root, 'manifests/kube-apiserver.yaml');
      fs.writeFileSync(
        file,
        fs.readFileSync(file, 'utf8').replace('https://172.17.5.51:2379', 'https://172.17.5.52:2379'),
      );
    }).report;
    expect(errors(r, 'endpoint-unserved')).toEqual([
      expect.objectContaining({
        file: 'manifests/kube-apiserver.yaml',
        message: expect.stringContaining('dials https://172.17.5.52:2379'),
      }),
    ]);
  });
});

describe('planted defects in the bootkube example, each caught with the object named', () => {
  const planted = (edit: (root: string) => void) => synth(BOOTKUBE_EXAMPLE_CLUSTER, edit).report;
  const editYaml = (root: string, rel: string, change: (docs: any[]) => void) => {
    const files: TreeFiles = { [rel]: [fs.readFileSync(path.join(root, rel), 'utf8'), 0o600] };
    editDocs(files, rel, change);
    fs.writeFileSync(path.join(root, rel), files[rel][0]);
  };

  test('an etcd member dropped: the others expect it, the API servers dial it', () => {
    const r = planted((root) => fs.rmSync(path.join(root, 'masters/master02/etcd.yaml')));
    expect(errors(r, 'etcd-member-missing').map((f) => f.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('expects member master02 at https://172.17.5.102:2380')]),
    );
    expect(errors(r, 'endpoint-unserved').map((f) => f.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /DaemonSet kube-system\/kube-apiserver \(--etcd-servers\) dials https:\/\/172\.17\.5\.102:2379.*no etcd member listens/,
        ),
      ]),
    );
  });

  test("kube-vip's RBAC removed: no kube-vip can take its Lease, the VIP is served by nothing", () => {
    const r = planted((root) => fs.rmSync(path.join(root, 'manifests/kube-vip-rbac.yaml')));
    expect(
      errors(r, 'kube-vip-lease')
        .map((f) => f.file)
        .sort(),
    ).toEqual(
      expect.arrayContaining([
        'masters/master01/kube-vip.yaml',
        'masters/master02/kube-vip.yaml',
        'masters/master03/kube-vip.yaml',
      ]),
    );
    expect(errors(r, 'kube-vip-lease')[0].message).toContain('its identity (user hacp:kube-vip, groups none');
    expect(errors(r, 'endpoint-unserved').length).toBeGreaterThan(0);
  });

  test('the checkpoint annotation removed: the self-hosted API server would not come back after a full reboot', () => {
    const r = planted((root) =>
      editYaml(root, 'manifests/kube-apiserver.yaml', (docs) => {
        delete docs.find((d) => d.kind === 'DaemonSet').spec.template.metadata.annotations;
      }),
    );
    expect(errors(r, 'checkpoint-missing')).toEqual([
      expect.objectContaining({
        file: 'manifests/kube-apiserver.yaml',
        message: expect.stringMatching(
          /^DaemonSet kube-system\/kube-apiserver: nothing keeps a copy of its pod on master01, master02 and master03, .*lacks the annotation checkpointer.alpha.coreos.com\/checkpoint: "true"/,
        ),
      }),
    ]);
  });

  test('an API server reading a Secret into its environment: hacp-checkpointer cannot make a static pod of it', () => {
    const r = planted((root) =>
      editYaml(root, 'manifests/kube-apiserver.yaml', (docs) => {
        docs
          .find((d) => d.kind === 'DaemonSet')
          .spec.template.spec.containers[0].env.push({
            name: 'TOKEN',
            valueFrom: { secretKeyRef: { name: 'kube-apiserver', key: 'ca.crt' } },
          });
      }),
    );
    expect(errors(r, 'checkpoint-missing')).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(
          'on master01, master02 and master03, so after every master reboots at once no API server comes back there without a person: hacp-checkpointer.service (`hacp kubelet-unit --self-hosted` on every master) cannot make a static pod of it: spec.containers[0] (kube-apiserver).env[1] (TOKEN): reads Secret kube-apiserver',
        ),
      }),
    ]);
  });
});

describe('the static-pod tree with kube-vip: its control plane comes up', () => {
  const KUBE_VIP_SPEC = resolveSpec({
    ...staticInput(3, 1),
    apiEndpoint: { host: '10.180.0.100', port: 6443 },
    loadBalancer: { type: 'kube-vip', kubeVip: { vip: '10.180.0.100' } },
  });
  let report: VerifyReport;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-static-kv-'));
    dirs.push(dir);
    const files = goodStaticTree(KUBE_VIP_SPEC, await pkiFor(KUBE_VIP_SPEC));
    for (const [rel, [content, mode]] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content, { mode });
    }
    report = checkCluster(dir, KUBE_VIP_SPEC);
  });

  test('0 cluster errors, no admin-rights warning: kube-vip uses kube-vip.conf, bound by cluster/kube-vip-rbac.yaml', () => {
    expect(errorLines(report)).toEqual([]);
    expect(report.findings.map((f) => f.id)).toEqual(['image-retired', 'image-retired']);
  });

  test('plan: kube-vip-rbac.yaml first, through a master, after the API servers; then kube-vip, then the Nodes and rbac.yaml', () => {
    const plan = planOf(report);
    const applies = steps(plan).filter((s) => s.kind === 'apply');
    expect(applies[0]).toMatchObject({
      id: 'kube-vip-rbac',
      via: 'master',
      files: ['static-pods/cluster/kube-vip-rbac.yaml'],
      after: ['api-servers'],
    });
    expect(steps(plan).find((s) => s.id === 'rbac')).toMatchObject({ via: 'endpoint' });
    const order = ['api-servers', 'kube-vip-rbac', 'kube-vip', 'nodes-registered'].map((id) => phaseOf(plan, id));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});
