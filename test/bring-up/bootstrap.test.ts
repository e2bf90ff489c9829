/**
 * `hacp bootstrap` (lib/bring-up/bootstrap.ts) on a real synthesized bootkube asset dir in a temp root, with the
 * real kubectl against the FAKE API server (test/support/fake-apiserver.ts) and a FAKE kubelet (below) that does
 * what the first master's kubelet and the workload controllers would: start the bootstrap API server once its
 * manifest is in the manifest directory, run the self-hosted pods (not Ready while the bootstrap pods hold the
 * ports), and make them Ready once the bootstrap pods are gone.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import {
  BOOTSTRAP_STATE_FILE,
  BOOTSTRAP_STEPS,
  BootstrapOptions,
  BootstrapStepId,
  BringUpError,
  planForTree,
  runBootstrap,
} from '../../lib/bring-up';
import { buildProgram } from '../../lib/cli/hacp';
import * as YAML from 'yaml';
import { EXAMPLE_CLUSTERS } from '../../lib/spec';
import { renderBootkubeUnit } from '../../lib/host';
import { walkTree } from '../../lib/util/files';
import { FakeApiServer } from '../support/fake-apiserver';
import { hacp } from '../support/hacp';
import { kubectlBinary, kubectlEnv, tempDir, testWithKubectl } from '../support/kubectl';
import { BOOTKUBE_SPEC, synthBootkubeTree } from './_trees';

jest.setTimeout(300_000);

const ASSETS = '/opt/bootkube/assets';
const MASTERS = BOOTKUBE_SPEC.masters.map((m) => m.name);
const CONTROL_PLANE: Array<[string, string]> = [
  ['DaemonSet', 'kube-apiserver'],
  ['Deployment', 'kube-controller-manager'],
  ['Deployment', 'kube-scheduler'],
];

/**
 * A FAKE of the first master's kubelet (and of the controllers), polling the temp root's manifest directory: once the
 * bootstrap API server's manifest is there, /readyz answers ok, but only after it has answered 500 once (so a test
 * sees the wait wait, however slow the machine; never with `neverReady`); the self-hosted control plane runs not
 * Ready while the bootstrap pods are there and Ready once they are gone.
 */
class FakeKubelet {
  private timer?: NodeJS.Timeout;
  private readonly state = new Map<string, string>();

  constructor(
    private readonly fake: FakeApiServer,
    private readonly manifestDir: string,
    private readonly opts: { neverReady?: boolean } = {},
  ) {}

  start(): void {
    this.fake.setHealthy(false);
    this.timer = setInterval(() => this.tick(), 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const bootstrap = fs.existsSync(path.join(this.manifestDir, 'bootstrap-apiserver.yaml'));
    if (bootstrap && !this.opts.neverReady && this.fake.requests.some((r) => r.path === '/readyz' && r.status === 500))
      this.fake.setHealthy(true);
    for (const [kind, name] of CONTROL_PLANE) {
      if (!this.fake.get(kind, 'kube-system', name)) continue;
      const want = bootstrap ? 'running' : 'ready';
      if (this.state.get(name) === want) continue;
      this.fake.rollOut(kind, 'kube-system', name, {
        nodes: kind === 'DaemonSet' ? MASTERS : MASTERS.slice(0, 2),
        notReady: bootstrap,
      });
      this.state.set(name, want);
    }
    // The add-ons (network, proxy, DNS, metrics, dashboard) roll out as soon as they are applied.
    for (const kind of ['DaemonSet', 'Deployment']) {
      for (const o of this.fake.list(kind)) {
        const key = `${kind} ${o.metadata.namespace}/${o.metadata.name}`;
        if (
          CONTROL_PLANE.some(([, n]) => n === o.metadata.name && o.metadata.namespace === 'kube-system') ||
          this.state.has(key)
        )
          continue;
        this.fake.rollOut(kind, o.metadata.namespace, o.metadata.name, {
          nodes: kind === 'DaemonSet' ? MASTERS : MASTERS.slice(0, 1),
        });
        this.state.set(key, 'ready');
      }
    }
  }
}

describe('hacp bootstrap against the FAKE API server and a FAKE kubelet', () => {
  let tmp: { dir: string; remove: () => void };
  let tree: string;
  beforeAll(async () => {
    tmp = tempDir('hacp-bootstrap-');
    tree = await synthBootkubeTree(path.join(tmp.dir, 'dist'));
  });
  afterAll(() => tmp.remove());

  /** A fresh host root with the asset dir, a FAKE API server, a FAKE kubelet; `stop()` ends both. */
  async function host(name: string, kubeletOpts: ConstructorParameters<typeof FakeKubelet>[2] = {}) {
    const root = path.join(tmp.dir, name);
    fs.cpSync(tree, path.join(root, ASSETS), { recursive: true });
    // the etcd static pod `hacp kubelet-unit --bootkube` installed: bootstrap must leave it alone
    fs.mkdirSync(path.join(root, 'etc/kubernetes/manifests'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'etc/kubernetes/manifests/etcd.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: etcd, namespace: kube-system}\n',
      { mode: 0o600 },
    );
    const fake = new FakeApiServer();
    await fake.start();
    fake.writeKubeconfig(path.join(root, 'etc/hacp-test/kubeconfig'));
    for (const m of MASTERS) fake.addNode(m, { labels: { 'node.kubernetes.io/controller': 'true' } });
    const kubelet = new FakeKubelet(fake, path.join(root, 'etc/kubernetes/manifests'), kubeletOpts);
    kubelet.start();
    const lines: string[] = [];
    const options = (extra: Partial<BootstrapOptions> = {}): BootstrapOptions => ({
      spec: BOOTKUBE_SPEC,
      assetDir: ASSETS,
      root,
      kubeconfig: '/etc/hacp-test/kubeconfig',
      masterServer: fake.url,
      timeoutSeconds: 120,
      pollSeconds: 0.3,
      kubectlBin: kubectlBinary(),
      env: kubectlEnv(root),
      log: (l) => lines.push(l),
      ...extra,
    });
    const stop = async () => {
      kubelet.stop();
      await fake.stop();
    };
    return {
      root,
      fake,
      lines,
      options,
      stop,
      state: () => JSON.parse(fs.readFileSync(path.join(root, ASSETS, BOOTSTRAP_STATE_FILE), 'utf8')),
    };
  }

  /** What a finished bootstrap leaves: files under the root (state file: its steps only) and the API's objects. */
  function outcome(root: string, fake: FakeApiServer): unknown {
    const files = walkTree(root)
      .filter((e) => e.kind === 'file' && !e.rel.startsWith('home/') && !e.rel.startsWith('etc/hacp-test/'))
      .map((e) => {
        const mode = (fs.statSync(e.abs).mode & 0o777).toString(8);
        if (e.rel.endsWith(BOOTSTRAP_STATE_FILE))
          return `${e.rel} ${mode} steps=${Object.keys(JSON.parse(fs.readFileSync(e.abs, 'utf8')).done).join(',')}`;
        if (e.rel.endsWith('.done')) return `${e.rel} ${mode}`;
        return `${e.rel} ${mode} ${crypto.createHash('sha256').update(fs.readFileSync(e.abs)).digest('hex').slice(0, 12)}`;
      });
    const kinds = [
      'Namespace',
      'ServiceAccount',
      'Secret',
      'ConfigMap',
      'Service',
      'DaemonSet',
      'Deployment',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'PodDisruptionBudget',
      'APIService',
    ];
    const objects = kinds
      .flatMap((k) =>
        fake.list(k).map((o) => `${k} ${o.metadata.namespace ?? ''}/${o.metadata.name} gen=${o.metadata.generation}`),
      )
      .sort();
    const nodes = fake.list('Node').map((n) => `${n.metadata.name} ${JSON.stringify(n.metadata.labels)}`);
    const ready = CONTROL_PLANE.map(
      ([k, n]) =>
        `${n} ${JSON.stringify(fake.get(k, 'kube-system', n)?.status?.conditions ?? fake.get(k, 'kube-system', n)?.status?.numberReady)}`,
    );
    return { files, objects, nodes, ready };
  }

  let reference: unknown;
  /** The outcome of an uninterrupted run (the first test's, or one made here when that test did not run). */
  async function referenceOutcome(): Promise<unknown> {
    if (reference === undefined) {
      const h = await host('reference');
      try {
        await runBootstrap(h.options());
        reference = outcome(h.root, h.fake);
      } finally {
        await h.stop();
      }
    }
    return reference;
  }

  testWithKubectl(
    'runs every step in order, each bounded and saying what it waits for, and ends with the self-hosted control plane',
    async () => {
      const h = await host('full');
      const seen: Record<string, unknown> = {};
      let requestsBeforeRollouts = -1;
      try {
        const result = await runBootstrap(
          h.options({
            beforeStep: (id) => {
              if (id === 'bootstrap-api') {
                const secrets = path.join(h.root, 'etc/kubernetes/bootstrap-secrets');
                seen.secretsDir = (fs.statSync(secrets).mode & 0o777).toString(8);
                seen.secretModes = [
                  ...new Set(
                    fs.readdirSync(secrets).map((f) => (fs.statSync(path.join(secrets, f)).mode & 0o777).toString(8)),
                  ),
                ];
                seen.kubeconfig =
                  fs.readFileSync(path.join(secrets, 'kubeconfig'), 'utf8') ===
                  fs.readFileSync(path.join(tree, 'auth/kubeconfig'), 'utf8');
                seen.tls = fs
                  .readdirSync(secrets)
                  .filter((f) => f !== 'kubeconfig')
                  .sort();
                const manifests = path.join(h.root, 'etc/kubernetes/manifests');
                seen.manifests = fs
                  .readdirSync(manifests)
                  .sort()
                  .map((f) => `${f} ${(fs.statSync(path.join(manifests, f)).mode & 0o777).toString(8)}`);
                seen.mutationsBeforeApi = h.fake.mutations().length;
              }
              if (id === 'pivot')
                seen.beforePivot = CONTROL_PLANE.map(
                  ([k, n]) =>
                    h.fake
                      .list('Pod', 'kube-system')
                      .filter((p) => p.metadata.ownerReferences?.[0]?.name === n)
                      .map((p) => `${k}/${p.status.phase}/${p.status.conditions[0].status}`)[0],
                );
              if (id === 'self-hosted-api') requestsBeforeRollouts = h.fake.requests.length;
            },
          }),
        );
        expect(result).toEqual({ ran: [...BOOTSTRAP_STEPS], alreadyDone: false });
        expect(seen).toEqual({
          secretsDir: '700',
          secretModes: ['600'],
          kubeconfig: true,
          tls: fs.readdirSync(path.join(tree, 'tls')).sort(),
          manifests: [
            'bootstrap-apiserver.yaml 600',
            'bootstrap-controller-manager.yaml 600',
            'bootstrap-scheduler.yaml 600',
            'etcd.yaml 600',
          ],
          mutationsBeforeApi: 0,
          // pivot only once each self-hosted component runs (not Ready: the bootstrap pods hold the ports)
          beforePivot: ['DaemonSet/Running/False', 'Deployment/Running/False', 'Deployment/Running/False'],
        });
        // the order the API saw: /readyz answered before any write; manifests/ applied; masters labelled; pods looked at;
        // /readyz again after the pivot; the rollouts of the self-hosted control plane last
        const seq = h.fake.requests.map(
          (r) => `${r.method} ${r.path}${r.query.labelSelector ? `?${r.query.labelSelector}` : ''} ${r.status}`,
        );
        const first = (pred: (s: string) => boolean) => seq.findIndex(pred);
        const last = (pred: (s: string) => boolean) => seq.length - 1 - [...seq].reverse().findIndex(pred);
        expect(first((s) => s === 'GET /readyz 200')).toBeLessThan(first((s) => s.startsWith('PATCH')));
        expect(first((s) => s === 'GET /readyz 500')).toBeLessThan(first((s) => s === 'GET /readyz 200')); // it did wait
        expect(last((s) => s.startsWith('PATCH /api/v1/nodes/'))).toBeLessThan(
          first((s) => s.startsWith('GET /api/v1/namespaces/kube-system/pods?k8s-app=kube-apiserver')),
        );
        expect(
          first((s) => s.startsWith('GET /apis/apps/v1/namespaces/kube-system/daemonsets/kube-apiserver')),
        ).toBeGreaterThan(first((s) => s.startsWith('GET /api/v1/namespaces/kube-system/pods?k8s-app=kube-scheduler')));
        // the self-hosted control plane's rollouts are looked at only after the pivot (before it they cannot finish),
        // and each once: no request about them before step self-hosted-api
        expect(requestsBeforeRollouts).toBeGreaterThan(0);
        for (const [kind, name] of CONTROL_PLANE) {
          const path = `/apis/apps/v1/namespaces/kube-system/${kind.toLowerCase()}s`;
          expect(
            h.fake.requests
              .slice(0, requestsBeforeRollouts)
              .filter(
                (r) =>
                  r.method === 'GET' &&
                  r.path.startsWith(path) &&
                  (r.path.endsWith(`/${name}`) || r.query.fieldSelector === `metadata.name=${name}`),
              ),
          ).toEqual([]);
          expect(h.lines.filter((l) => l.includes(`waiting for ${kind} kube-system/${name} to roll out`))).toHaveLength(
            1,
          );
        }
        // the add-ons' rollouts, in their steps, before the pivot
        expect(
          h.lines.filter((l) => l.includes('waiting for Deployment kube-system/coredns to roll out')),
        ).toHaveLength(1);
        const applied = h.fake.requests.filter((r) => r.method === 'PATCH' && !r.path.includes('/nodes/'));
        expect(
          applied.every(
            (r) =>
              r.contentType === 'application/apply-patch+yaml' &&
              r.query.fieldManager === 'hacp' &&
              r.query.force === 'true',
          ),
        ).toBe(true);
        // a Namespace before what lives in it
        const nsPatch = applied.findIndex((r) => r.path === '/api/v1/namespaces/kubernetes-dashboard');
        expect(nsPatch).toBeGreaterThanOrEqual(0);
        expect(
          applied.findIndex(
            (r) =>
              r.path.startsWith('/api/v1/namespaces/kubernetes-dashboard/') ||
              r.path.includes('/namespaces/kubernetes-dashboard/'),
          ),
        ).toBeGreaterThan(nsPatch);
        // what it leaves: no bootstrap pods, no bootstrap secrets, the etcd pod untouched, the done marker, the state
        expect(fs.readdirSync(path.join(h.root, 'etc/kubernetes/manifests'))).toEqual(['etcd.yaml']);
        expect(fs.existsSync(path.join(h.root, 'etc/kubernetes/bootstrap-secrets'))).toBe(false);
        expect(fs.readFileSync(path.join(h.root, 'opt/bootkube/init_bootkube.done'), 'utf8')).toMatch(
          /^bootstrapped by hacp bootstrap at \d{4}-/,
        );
        expect(Object.keys(h.state().done)).toEqual([...BOOTSTRAP_STEPS]);
        expect((fs.statSync(path.join(h.root, ASSETS, BOOTSTRAP_STATE_FILE)).mode & 0o777).toString(8)).toBe('600');
        expect(h.fake.list('Node').map((n) => n.metadata.labels['node-role.kubernetes.io/control-plane'])).toEqual([
          '',
          '',
          '',
        ]);
        // each wait said what it waited for, and its bound
        // (the bootstrap API server through this master's own address: the FAKE listens on one port for both)
        expect(h.lines).toContain(
          `    waiting for the bootstrap API server to answer /readyz (at most 120s, through ${h.fake.url}, polling every 0.3s)`,
        );
        expect(h.lines).toContain(
          `    waiting for a pod of DaemonSet kube-system/kube-apiserver to run (Running, not necessarily Ready) (at most 120s, through the API endpoint ${h.fake.url} (the kubeconfig's server), polling every 0.3s)`,
        );
        expect(h.lines).toContain(
          `    waiting for DaemonSet kube-system/kube-apiserver to roll out (all pods updated and available) (at most 120s, through the API endpoint ${h.fake.url} (the kubeconfig's server))`,
        );
        reference = outcome(h.root, h.fake);

        // run again: the marker says done, nothing runs, nothing is sent
        const before = h.fake.requests.length;
        await expect(runBootstrap(h.options())).resolves.toEqual({ ran: [], alreadyDone: true });
        expect(h.fake.requests.length).toBe(before);
        expect(h.lines.at(-1)).toBe(
          `already bootstrapped: ${path.join(h.root, 'opt/bootkube/init_bootkube.done')} exists (remove it, and ${path.join(h.root, ASSETS, BOOTSTRAP_STATE_FILE)}, to bootstrap again)`,
        );
      } finally {
        await h.stop();
      }
    },
  );

  testWithKubectl.each(BOOTSTRAP_STEPS.map((s) => [s]))(
    'a run killed at step %s resumes there and ends in the same state',
    async (step) => {
      const expected = await referenceOutcome();
      const h = await host(`crash-${step}`);
      try {
        const crash = new Error(`simulated crash at ${step}`);
        await expect(
          runBootstrap(
            h.options({
              beforeStep: (id: BootstrapStepId) => {
                if (id === step) throw crash;
              },
            }),
          ),
        ).rejects.toBe(crash);
        const index = BOOTSTRAP_STEPS.indexOf(step);
        const done = fs.existsSync(path.join(h.root, ASSETS, BOOTSTRAP_STATE_FILE)) ? Object.keys(h.state().done) : [];
        expect(done).toEqual(BOOTSTRAP_STEPS.slice(0, index));
        const ran: BootstrapStepId[] = [];
        const result = await runBootstrap(
          h.options({
            beforeStep: (id) => {
              ran.push(id);
            },
          }),
        );
        expect(result.ran).toEqual(BOOTSTRAP_STEPS.slice(index));
        expect(ran).toEqual(BOOTSTRAP_STEPS.slice(index));
        expect(outcome(h.root, h.fake)).toEqual(expected);
      } finally {
        await h.stop();
      }
    },
  );

  testWithKubectl(
    'killed in the middle of steps (a stale temp file, a truncated secret, an apply cut short): the re-run repairs it',
    async () => {
      const expected = (await referenceOutcome()) as { files: string[] };
      const h = await host('mid-step');
      try {
        // a first run that dies inside the apply step: the API refuses the pod network's DaemonSet once, after the steps
        // before it in the plan have applied their objects and labelled the masters
        const step = planForTree(tree, BOOTKUBE_SPEC)
          .phases.flatMap((p) => p.steps)
          .find((s) => s.files?.includes('manifests/kube-flannel.yaml'))!;
        expect(step.id).toBe('pod-network');
        h.fake.reject(
          (r) => r.method === 'PATCH' && r.path.endsWith('/daemonsets/kube-flannel'),
          503,
          'the server is currently unable to handle the request',
          1,
        );
        const err = await runBootstrap(h.options()).catch((e) => e);
        expect(err).toBeInstanceOf(BringUpError);
        expect(err.message.split('`')[0]).toBe(
          `step 'pod-network' (${step.title}) failed applying ${step.files!.join(', ')}: `,
        );
        expect(err.message).toContain('the server is currently unable to handle the request');
        expect(h.fake.list('Node').map((n) => n.metadata.labels['node-role.kubernetes.io/control-plane'])).toEqual([
          '',
          '',
          '',
        ]); // earlier steps ran
        expect(h.fake.get('ConfigMap', 'kube-system', 'kube-flannel-cfg')).toBeDefined(); // applied in the same call, before it
        expect(h.fake.get('Deployment', 'kube-system', 'coredns')).toBeUndefined(); // later steps did not
        expect(Object.keys(h.state().done)).toEqual(['bootstrap-secrets', 'bootstrap-pods', 'bootstrap-api']);
        // what a kill -9 during the copy steps could leave, had they run again: a temp file and a truncated copy
        const secrets = path.join(h.root, 'etc/kubernetes/bootstrap-secrets');
        fs.writeFileSync(path.join(secrets, 'ca.crt'), '-----BEGIN CERT');
        fs.writeFileSync(
          path.join(h.root, 'etc/kubernetes/manifests/.bootstrap-apiserver.yaml.tmp-999-1-abc'),
          'apiVersion: v1\nkind: Po',
        );
        fs.writeFileSync(
          path.join(h.root, ASSETS, BOOTSTRAP_STATE_FILE),
          JSON.stringify({ version: 1, cluster: BOOTKUBE_SPEC.name, done: { 'bootstrap-secrets': 'x' } }),
        );
        const result = await runBootstrap(h.options());
        expect(result.ran).toEqual(BOOTSTRAP_STEPS.slice(1));
        // the copy step re-ran and the pivot removed the whole secrets dir; the kubelet ignores dot files (the temp file)
        expect(fs.existsSync(secrets)).toBe(false);
        const files = [...expected.files, 'etc/kubernetes/manifests/.bootstrap-apiserver.yaml.tmp-999-1-abc'].sort();
        expect(outcome(h.root, h.fake)).toEqual({
          ...expected,
          files: files.map((f) =>
            f.endsWith('tmp-999-1-abc')
              ? expect.stringMatching(/^etc\/kubernetes\/manifests\/\.bootstrap-apiserver\.yaml\.tmp-999-1-abc 644 /)
              : f,
          ),
        });
      } finally {
        await h.stop();
      }
    },
  );

  testWithKubectl(
    'a wait that never ends stops at its bound with the step, what it waited for and the last answer; the state keeps what was done',
    async () => {
      const h = await host('timeout', { neverReady: true });
      try {
        const err = await runBootstrap(h.options({ timeoutSeconds: 3, pollSeconds: 0.5 })).catch((e) => e);
        expect(err).toBeInstanceOf(BringUpError);
        const want = `step 'bootstrap-api' failed waiting for the bootstrap API server to answer /readyz: timed out after 3s (through ${h.fake.url}); last answer:\n  Error from server (InternalError)`;
        expect(err.message.slice(0, want.length)).toBe(want);
        expect(err.message).toContain('readyz check failed');
        expect(Object.keys(h.state().done)).toEqual(['bootstrap-secrets', 'bootstrap-pods']);
        expect(h.fake.mutations()).toEqual([]);
        // the same through the CLI: exit 1, one message, no stack trace
        const r = await hacp(
          [
            'bootstrap',
            '--example',
            'bootkube',
            '--root',
            h.root,
            '--kubeconfig',
            '/etc/hacp-test/kubeconfig',
            '--master-server',
            h.fake.url,
            '--timeout',
            '2s',
            '--poll-interval',
            '0.5',
          ],
          { ...kubectlEnv(h.root), HACP_KUBECTL: kubectlBinary() ?? 'kubectl' },
        );
        expect(r.code).toBe(1);
        expect(r.err).toMatch(
          /^error: step 'bootstrap-api' failed waiting for the bootstrap API server to answer \/readyz: timed out after 2s/,
        );
        expect(r.err).not.toMatch(/\n\s+at /);
        expect(r.out).toContain('step 1/8 bootstrap-secrets: copy <asset-dir>/tls/*');
        expect(r.out).toContain('  done at ');
      } finally {
        await h.stop();
      }
    },
  );

  test("bootkube.service's own command line (its --cluster file, no --example) is accepted by hacp bootstrap", async () => {
    const root = path.join(tmp.dir, 'unit-argv');
    fs.cpSync(tree, path.join(root, ASSETS), { recursive: true });
    const clusterFile = path.join(tmp.dir, 'unit-cluster.yaml');
    fs.writeFileSync(clusterFile, YAML.stringify(EXAMPLE_CLUSTERS.bootkube));
    const unit = renderBootkubeUnit(EXAMPLE_CLUSTERS.bootkube, { clusterFile });
    // ExecStart= continues over lines that end in a backslash.
    const execStart = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit)?.[1] ?? '';
    const argv = execStart
      .replace(/\\\n/g, ' ')
      .split(/\s+/)
      .filter((a) => a);
    expect(argv.slice(0, 2)).toEqual(['/usr/local/bin/hacp', 'bootstrap']);
    expect(argv).toContain(`--cluster=${clusterFile}`);
    const r = await hacp([...argv.slice(1), '--root', root, '--dry-run']);
    expect(r).toMatchObject({ code: 0, err: '' });
  });

  test('--dry-run prints every file operation and command and changes nothing', async () => {
    const root = path.join(tmp.dir, 'dry');
    fs.cpSync(tree, path.join(root, ASSETS), { recursive: true });
    const before = walkTree(root).map((e) => e.rel);
    const r = await hacp(['bootstrap', '--example', 'bootkube', '--root', root, '--dry-run', '--timeout', '10m']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(walkTree(root).map((e) => e.rel)).toEqual(before);
    const k = `kubectl --kubeconfig=${path.join(root, ASSETS, 'auth/kubeconfig')}`;
    const out = r.out.split('\n');
    const cmds = out.filter((l) => l.trim() && !l.startsWith('#'));
    const secrets = path.join(root, 'etc/kubernetes/bootstrap-secrets');
    const manifests = path.join(root, 'etc/kubernetes/manifests');
    expect(cmds.slice(0, 2)).toEqual([
      `install -d -m 0700 ${secrets}`,
      `install -m 0600 ${path.join(root, ASSETS, 'tls/apiserver-kubelet-client.crt')} ${secrets}/apiserver-kubelet-client.crt`,
    ]);
    expect(cmds).toContain(`install -m 0600 ${path.join(root, ASSETS, 'auth/kubeconfig')} ${secrets}/kubeconfig`);
    expect(cmds).toContain(
      `install -m 0600 ${path.join(root, ASSETS, 'bootstrap-manifests/bootstrap-apiserver.yaml')} ${manifests}/bootstrap-apiserver.yaml`,
    );
    // the bootstrap API server through this master's own address (the default --master-server), once
    const m = `${k} --server=https://${BOOTKUBE_SPEC.masters[0].ip}:${BOOTKUBE_SPEC.apiServerPort}`;
    const tail = cmds.slice(cmds.indexOf(`${m} get --raw=/readyz --request-timeout=10s`));
    expect(tail[0]).toBe(`${m} get --raw=/readyz --request-timeout=10s`);
    // then the plan's etcd step (the members reach a quorum, through this master) and kube-vip's (the API endpoint
    // answers), and once more after the pivot
    expect(cmds.filter((c) => c.includes('get --raw=/readyz'))).toEqual([
      `${m} get --raw=/readyz --request-timeout=10s`,
      `${m} get --raw=/readyz/etcd --request-timeout=10s`,
      `${k} get --raw=/readyz --request-timeout=10s`,
      `${k} get --raw=/readyz --request-timeout=10s`,
    ]);
    expect(tail).toContain(`${k} label node master01 node-role.kubernetes.io/control-plane= --overwrite`);
    // every command of the plan's steps up to the pivot, in the plan's order, each once; the masters' Nodes waited
    // for once (the label step does not wait for them again)
    expect(tail.filter((c) => c.includes('wait --for=create node/master01'))).toHaveLength(1);
    for (const f of fs.readdirSync(path.join(tree, 'manifests')))
      expect(tail.filter((c) => c.includes(`/manifests/${f}`))).toHaveLength(1);
    // the pivot criterion, the pivot, the API again, the self-hosted control plane's rollouts: each once, in this order
    expect(tail.slice(-12)).toEqual([
      `${k} get pods -n kube-system -l k8s-app=kube-apiserver,tier=control-plane -o json --request-timeout=10s`,
      `${k} get pods -n kube-system -l k8s-app=kube-controller-manager,tier=control-plane -o json --request-timeout=10s`,
      `${k} get pods -n kube-system -l k8s-app=kube-scheduler,tier=control-plane -o json --request-timeout=10s`,
      `rm -f ${manifests}/bootstrap-apiserver.yaml`,
      `rm -f ${manifests}/bootstrap-controller-manager.yaml`,
      `rm -f ${manifests}/bootstrap-scheduler.yaml`,
      `rm -rf ${secrets}`,
      `${k} get --raw=/readyz --request-timeout=10s`,
      `${k} rollout status daemonset/kube-apiserver -n kube-system --timeout=600s`,
      `${k} rollout status deployment/kube-controller-manager -n kube-system --timeout=600s`,
      `${k} rollout status deployment/kube-scheduler -n kube-system --timeout=600s`,
      `date -u > ${path.join(root, 'opt/bootkube/init_bootkube.done')}`,
    ]);
    for (const [name] of [['kube-apiserver'], ['kube-controller-manager'], ['kube-scheduler']])
      expect(cmds.filter((c) => c.includes(`rollout status`) && c.includes(`/${name} `))).toHaveLength(1);
    for (const [i, id] of BOOTSTRAP_STEPS.entries()) expect(r.out).toContain(`# step ${i + 1}/8 ${id}: `);
    expect(r.out).toContain(
      `# until it succeeds (the bootstrap API server to answer /readyz, through https://${BOOTKUBE_SPEC.masters[0].ip}:${BOOTKUBE_SPEC.apiServerPort}): every 5s, at most 600s`,
    );
    // the plan's bootstrap control plane and pivot are this command's own steps: named in the plan's run, not run twice
    expect(r.out).toContain("# phase 2/9, step 'bootstrap-control-plane' (static-pods): "); // after each master's etcd member
    expect(r.out).toContain('# done by hacp bootstrap itself (steps bootstrap-pods and bootstrap-api)');
    expect(r.out).toContain(
      '# done by hacp bootstrap itself once this step is over (steps self-hosted-running, pivot and self-hosted-api)',
    );
    expect(r.out).toContain('# note: DaemonSet kube-system/kube-apiserver rolls out only after the pivot');
  });

  test('bad input: a missing asset dir or a corrupt state file is one message, exit 1, nothing changed', async () => {
    const root = path.join(tmp.dir, 'bad');
    fs.mkdirSync(root, { recursive: true });
    const r = await hacp(['bootstrap', '--example', 'bootkube', '--root', root]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `error: ${path.join(root, ASSETS)}: no tls/ (copy dist/bootkube/ there: the asset dir \`npm run synth\` writes)\n`,
    });
    expect(walkTree(root)).toEqual([]);
    fs.cpSync(tree, path.join(root, ASSETS), { recursive: true });
    fs.writeFileSync(path.join(root, ASSETS, BOOTSTRAP_STATE_FILE), '{"version": 1, "done": {');
    const c = await hacp(['bootstrap', '--example', 'bootkube', '--root', root]);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(
      new RegExp(
        `^error: ${path.join(root, ASSETS, BOOTSTRAP_STATE_FILE).replace(/[.]/g, '\\.')}: not valid JSON \\(.*\\); it records which bootstrap steps are done\\. Remove it to start from the first step \\(every step can run again\\)\\n$`,
      ),
    );
    expect(fs.existsSync(path.join(root, 'etc'))).toBe(false);
    expect((await hacp(['bootstrap', '--example', 'bootkube', '--root', root, '--asset-dir', 'opt/assets'])).err).toBe(
      'error: asset dir: "opt/assets" must be an absolute path on the host\n',
    );
  });

  test('--help documents every step', () => {
    const cmd = buildProgram().commands.find((c: Command) => c.name() === 'bootstrap')!;
    let help = '';
    cmd.configureOutput({ writeOut: (s) => (help += s) });
    cmd.outputHelp();
    for (const [i, id] of BOOTSTRAP_STEPS.entries()) expect(help).toContain(`  ${i + 1}. ${id}: `);
    for (const flag of [
      '--asset-dir',
      '--pod-manifest-path',
      '--kubeconfig',
      '--done-marker',
      '--root',
      '--timeout',
      '--dry-run',
    ])
      expect(help).toContain(flag);
    expect(help).toContain('.hacp-bootstrap.json');
    expect(help).toContain('resumes at that step');
  });
});
