/**
 * The plan executor (lib/bring-up/executor.ts) with the real kubectl against the FAKE API server
 * (test/support/fake-apiserver.ts): order, waits, bounds, errors, idempotency, dry run. The plan below has the
 * shapes of the `cluster` check's plans: a static-pods step whose wait asks the first master's own API server, an
 * apply step through it (`via: master`), the load balancer (its wait through the API endpoint), the
 * CustomResourceDefinitions of a file that also holds an object of their kind (applied alone, then the file whole).
 */
import * as fs from 'fs';
import * as path from 'path';
import { BringUpError, Kubectl, executePlan } from '../../lib/bring-up';
import type { BringUpPlan } from '../../lib/verify/cluster/plan';
import { FakeApiServer } from '../support/fake-apiserver';
import { kubectlBinary, kubectlEnv, tempDir, testWithKubectl } from '../support/kubectl';

jest.setTimeout(180_000);

const FILES: Record<string, string> = {
  'kube-vip-rbac.yaml': `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: kube-vip, namespace: kube-system}
rules: [{apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}]
`,
  'cluster/crd.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: demo}
spec: {size: 3}
`,
  'cluster/00-namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n',
  'cluster/app.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: registry.example/web:1}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: registry.example/agent:1}]}
`,
};

const PLAN: BringUpPlan = {
  phases: [
    {
      index: 0,
      steps: [
        {
          id: 'api-servers',
          title: 'the static control plane',
          kind: 'static-pods',
          after: [],
          files: ['m1/kube-apiserver.yaml'],
          nodes: ['m1', 'm2'],
          waits: [{ for: 'readyz' }],
        },
      ],
    },
    {
      index: 1,
      steps: [
        {
          id: 'kube-vip-rbac',
          title: 'kube-vip RBAC',
          kind: 'apply',
          after: ['api-servers'],
          via: 'master',
          files: ['kube-vip-rbac.yaml'],
        },
      ],
    },
    {
      index: 2,
      steps: [{ id: 'load-balancer', title: 'the API load balancer', kind: 'external', after: ['kube-vip-rbac'] }],
    },
    {
      index: 3,
      steps: [
        {
          id: 'crds',
          title: 'CRDs',
          kind: 'apply',
          after: ['load-balancer'],
          files: ['cluster/crd.yaml'],
          kinds: ['CustomResourceDefinition'],
          waits: [{ for: 'established', kind: 'CustomResourceDefinition', name: 'widgets.example.com' }],
        },
      ],
    },
    {
      index: 4,
      steps: [
        {
          id: 'apps',
          title: 'the apps',
          kind: 'apply',
          after: ['crds'],
          files: ['cluster/00-namespace.yaml', 'cluster/app.yaml', 'cluster/crd.yaml'],
          waits: [
            { for: 'rollout', kind: 'Deployment', namespace: 'demo', name: 'web' },
            { for: 'rollout', kind: 'DaemonSet', namespace: 'kube-system', name: 'agent' },
          ],
        },
      ],
    },
    {
      index: 5,
      steps: [
        {
          id: 'roles',
          title: 'node roles',
          kind: 'label',
          after: ['apps'],
          labels: [
            { node: 'm1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
            { node: 'm2', labels: { 'node-role.kubernetes.io/control-plane': '', tier: 'a' } },
          ],
        },
      ],
    },
  ],
};

describe('executePlan against the FAKE API server', () => {
  let fake: FakeApiServer;
  let masterUrl: string;
  let tmp: { dir: string; remove: () => void };
  let root: string;
  let kubeconfig: string;
  let lines: string[];

  const kubectl = (dryRun = false) =>
    new Kubectl({
      kubeconfig,
      bin: kubectlBinary() ?? 'kubectl',
      env: kubectlEnv(tmp.dir),
      dryRun,
      log: (l) => lines.push(l),
    });
  const run = (extra: Partial<Parameters<typeof executePlan>[1]> = {}, plan = PLAN) =>
    executePlan(plan, {
      kubectl: kubectl(),
      root,
      timeoutSeconds: 90,
      pollSeconds: 0.5,
      masterServer: masterUrl,
      log: (l) => lines.push(l),
      ...extra,
    });
  /** Resolves once the fake answered a request `pred` selects. */
  const requested = async (pred: (r: FakeApiServer['requests'][number]) => boolean) => {
    for (let i = 0; i < 1200; i++) {
      if (fake.requests.some((r) => r.status && pred(r))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('kubectl never sent the expected request');
  };

  beforeEach(async () => {
    tmp = tempDir('hacp-executor-');
    root = path.join(tmp.dir, 'tree');
    for (const [f, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), text);
    }
    fake = new FakeApiServer({ autoRollout: true });
    await fake.start();
    masterUrl = await fake.start(); // a second listener: "the master's own API server"
    kubeconfig = fake.writeKubeconfig(path.join(tmp.dir, 'kubeconfig'));
    lines = [];
  });
  afterEach(async () => {
    await fake.stop();
    tmp.remove();
  });

  testWithKubectl(
    "runs the phases in order, each step's waits after its apply; via-master steps and static-pod waits on the master's server, the load balancer's through the endpoint",
    async () => {
      fake.addNode('m1');
      fake.addNode('m2');
      const result = await run();
      expect(result).toEqual({ steps: ['api-servers', 'kube-vip-rbac', 'load-balancer', 'crds', 'apps', 'roles'] });
      const masterPort = Number(new URL(masterUrl).port);
      const endpointPort = Number(new URL(fake.url).port);
      // (watches are not listed: whether kubectl starts one or finds the condition met in its first list is a race)
      const events = fake.requests
        .filter((r) => r.method !== 'GET' || r.path === '/readyz')
        .map(
          (r) =>
            `${r.port === masterPort ? 'master' : 'endpoint'} ${r.method} ${r.path}${r.query.watch ? ' (watch)' : ''}`,
        );
      expect(events).toEqual([
        'master GET /readyz', // the static pods' wait: the first master's own API server
        'master PATCH /apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles/kube-vip',
        'endpoint GET /readyz', // the load balancer's: through the API endpoint
        'endpoint PATCH /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com', // the CRD alone
        'endpoint PATCH /api/v1/namespaces/demo',
        'endpoint PATCH /apis/apps/v1/namespaces/demo/deployments/web',
        'endpoint PATCH /apis/apps/v1/namespaces/kube-system/daemonsets/agent',
        'endpoint PATCH /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com', // the file whole
        'endpoint PATCH /apis/example.com/v1/namespaces/demo/widgets/w1',
        'endpoint PATCH /api/v1/nodes/m1',
        'endpoint PATCH /api/v1/nodes/m2',
      ]);
      // each wait ran after its step's apply and before the next step: the lists of rollout status / wait
      const seq = fake.requests.map(
        (r) => `${r.method} ${r.path}${r.query.fieldSelector ? `?${r.query.fieldSelector}` : ''}`,
      );
      const at = (x: string) => seq.indexOf(x);
      expect(
        at('GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions?metadata.name=widgets.example.com'),
      ).toBeGreaterThan(at('PATCH /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com'));
      expect(
        at('GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions?metadata.name=widgets.example.com'),
      ).toBeLessThan(at('PATCH /api/v1/namespaces/demo'));
      expect(at('GET /apis/apps/v1/namespaces/demo/deployments?metadata.name=web')).toBeGreaterThan(
        at('PATCH /apis/apps/v1/namespaces/kube-system/daemonsets/agent'),
      );
      expect(at('GET /apis/apps/v1/namespaces/kube-system/daemonsets?metadata.name=agent')).toBeGreaterThan(
        at('GET /apis/apps/v1/namespaces/demo/deployments?metadata.name=web'),
      );
      expect(at('GET /apis/apps/v1/namespaces/kube-system/daemonsets?metadata.name=agent')).toBeLessThan(
        at('PATCH /api/v1/nodes/m1'),
      );
      // the label of each Node comes after kubectl wait --for=create found it
      const m2 = fake.requests.map((r) => `${r.method} ${r.path}`).filter((r) => r.endsWith('/nodes/m2'));
      expect(m2[0]).toBe('GET /api/v1/nodes/m2');
      expect(m2.at(-1)).toBe('PATCH /api/v1/nodes/m2');
      expect(endpointPort).not.toBe(masterPort);
      // every apply is server-side, with hacp's field manager, forcing conflicts
      for (const r of fake.requests.filter((q) => q.method === 'PATCH' && !q.path.includes('/nodes/'))) {
        expect([r.contentType, r.query.fieldManager, r.query.force]).toEqual([
          'application/apply-patch+yaml',
          'hacp',
          'true',
        ]);
      }
      expect(fake.get('Node', undefined, 'm2')!.metadata.labels).toMatchObject({
        'node-role.kubernetes.io/control-plane': '',
        tier: 'a',
      });
      expect(lines).toContain(
        `    waiting for Deployment demo/web to roll out (all pods updated and available) (at most 90s, through the API endpoint ${fake.url} (the kubeconfig's server))`,
      );
      expect(lines).toContain(
        `    waiting for the API server to answer /readyz (at most 90s, through ${masterUrl}, polling every 0.5s)`,
      );
      expect(lines).toContain(
        `    waiting for the API server to answer /readyz (at most 90s, through the API endpoint ${fake.url} (the kubeconfig's server), polling every 0.5s)`,
      );
      expect(lines).toContain(
        `phase 1/6, step 'api-servers' (static-pods): the static control plane [via ${masterUrl}]`,
      );
      expect(lines).toContain(`phase 2/6, step 'kube-vip-rbac' (apply): kube-vip RBAC [via ${masterUrl}]`);
      expect(lines).toContain("phase 3/6, step 'load-balancer' (external): the API load balancer");
      expect(fake.get('Widget', 'demo', 'w1')).toMatchObject({ spec: { size: 3 } });
    },
  );

  testWithKubectl(
    'each wait holds the plan until what it waits for happens: /readyz, the rollouts, the Node',
    async () => {
      fake.options = { ...fake.options, autoRollout: false };
      fake.setHealthy(false);
      fake.addNode('m1');
      const running = run();
      await requested((r) => r.path === '/readyz' && r.status === 500);
      expect(fake.mutations()).toEqual([]);
      fake.setHealthy(true);
      await requested((r) => r.query.watch === 'true' && r.path.endsWith('/deployments'));
      expect(fake.get('DaemonSet', 'kube-system', 'agent')).toBeDefined(); // applied, not yet rolled out
      fake.rollOut('Deployment', 'demo', 'web');
      await requested((r) => r.query.watch === 'true' && r.path.endsWith('/daemonsets'));
      fake.rollOut('DaemonSet', 'kube-system', 'agent');
      await requested((r) => r.path === '/api/v1/nodes/m2' && r.status === 404);
      expect(fake.get('Node', undefined, 'm1')!.metadata.labels['node-role.kubernetes.io/control-plane']).toBe(''); // m1 done, m2 pending
      fake.addNode('m2');
      await expect(running).resolves.toMatchObject({ steps: expect.arrayContaining(['roles']) });
      expect(lines.some((l) => l.includes('waiting for the API server to answer /readyz (at most 90s'))).toBe(true);
      expect(lines.some((l) => l.includes('waiting for Node m2 to register'))).toBe(true);
    },
  );

  testWithKubectl(
    "a wait that never ends fails at its bound, naming the step, the command and kubectl's stderr tail",
    async () => {
      fake.options = { ...fake.options, autoRollout: false };
      const err = await run({ timeoutSeconds: 3 }).catch((e) => e);
      expect(err).toBeInstanceOf(BringUpError);
      expect(err.message).toBe(
        `step 'apps' (the apps) failed waiting for Deployment demo/web to roll out (all pods updated and available): \`${kubectlBinary()} --kubeconfig=${kubeconfig} rollout status deployment/web -n demo --timeout=3s\` failed (exit code 1):\n  error: timed out waiting for the condition`,
      );
      expect(err.stepId).toBe('apps');
      expect(fake.get('Node', undefined, 'm1')).toBeUndefined();
      expect(fake.mutations().some((m) => m.includes('/nodes/'))).toBe(false); // later steps did not run

      fake.setHealthy(false);
      const down = await run({ timeoutSeconds: 2 }).catch((e) => e);
      // the static pods' wait asks the master's own API server, and says so
      const want = `step 'api-servers' (the static control plane) failed waiting for the API server to answer /readyz: timed out after 2s (through ${masterUrl}); last answer:\n  Error from server (InternalError): an error on the server ("[-]etcd failed: reason withheld\\nreadyz check failed")`;
      expect(down.message.slice(0, want.length)).toBe(want);
    },
  );

  testWithKubectl(
    "an apply the API refuses stops the plan with the step, the command and the API's message",
    async () => {
      fake.reject(
        (r) => r.method === 'PATCH' && r.path.endsWith('/deployments/web'),
        422,
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
      );
      const err = await run().catch((e) => e);
      expect(err).toBeInstanceOf(BringUpError);
      expect(err.message).toContain(
        "step 'apps' (the apps) failed applying cluster/00-namespace.yaml, cluster/app.yaml, cluster/crd.yaml: `",
      );
      expect(err.message).toContain(
        `apply --server-side --field-manager=hacp --force-conflicts -f ${path.join(root, 'cluster/00-namespace.yaml')} -f ${path.join(root, 'cluster/app.yaml')} -f ${path.join(root, 'cluster/crd.yaml')}\` failed (exit code 1):`,
      );
      expect(err.message).toContain('spec.template.spec.containers[0].image: Required value');
    },
  );

  testWithKubectl('is idempotent: a second run changes no object', async () => {
    fake.addNode('m1');
    fake.addNode('m2');
    await run();
    const versions = () =>
      Object.fromEntries(
        ['Role', 'CustomResourceDefinition', 'Widget', 'Namespace', 'Deployment', 'DaemonSet', 'Node', 'Pod'].flatMap(
          (k) =>
            fake
              .list(k)
              .map((o) => [`${k}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o.metadata.resourceVersion]),
        ),
      );
    const before = versions();
    await run();
    expect(versions()).toEqual(before);
  });

  test('dry run: prints the exact command lines and sends nothing', async () => {
    const k = new Kubectl({
      kubeconfig: '/etc/kubernetes/super-admin.conf',
      bin: 'kubectl',
      dryRun: true,
      log: (l) => lines.push(l),
    });
    await executePlan(PLAN, {
      kubectl: k,
      root,
      timeoutSeconds: 300,
      pollSeconds: 5,
      masterServer: 'https://10.0.0.11:6443',
      log: (l) => lines.push(l),
    });
    const f = (rel: string) => path.join(root, rel);
    expect(lines.filter((l) => l.trim() && !l.trim().startsWith('#'))).toEqual([
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf --server=https://10.0.0.11:6443 get --raw=/readyz --request-timeout=10s',
      `kubectl --kubeconfig=/etc/kubernetes/super-admin.conf --server=https://10.0.0.11:6443 apply --server-side --field-manager=hacp --force-conflicts -f ${f('kube-vip-rbac.yaml')}`,
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf get --raw=/readyz --request-timeout=10s',
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf apply --server-side --field-manager=hacp --force-conflicts -f -',
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf wait --for=condition=Established crd/widgets.example.com --timeout=300s',
      `kubectl --kubeconfig=/etc/kubernetes/super-admin.conf apply --server-side --field-manager=hacp --force-conflicts -f ${f('cluster/00-namespace.yaml')} -f ${f('cluster/app.yaml')} -f ${f('cluster/crd.yaml')}`,
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf rollout status deployment/web -n demo --timeout=300s',
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf rollout status daemonset/agent -n kube-system --timeout=300s',
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf wait --for=create node/m1 --timeout=300s',
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf label node m1 node-role.kubernetes.io/control-plane= --overwrite',
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf wait --for=create node/m2 --timeout=300s',
      'kubectl --kubeconfig=/etc/kubernetes/super-admin.conf label node m2 node-role.kubernetes.io/control-plane= tier=a --overwrite',
    ]);
    // each poll says what it waits for and where it asks
    expect(lines).toContain(
      '# until it succeeds (the API server to answer /readyz, through https://10.0.0.11:6443): every 5s, at most 300s',
    );
    expect(lines).toContain(
      "# until it succeeds (the API server to answer /readyz, through the kubeconfig's server (the API endpoint)): every 5s, at most 300s",
    );
    expect(lines).toContain(
      '# the kubelets on m1, m2 start kube-apiserver.yaml from their manifest directories; nothing to apply',
    );
    expect(lines).toContain(`# on stdin: the CustomResourceDefinition objects of ${f('cluster/crd.yaml')}`);
    expect(fake.requests).toEqual([]);
  });

  testWithKubectl(
    'a file holding a CRD and an object of its kind fails whole on a fresh API: hence the CRDs alone first',
    async () => {
      fake.addNode('m1');
      fake.addNode('m2');
      const whole: BringUpPlan = {
        phases: [
          {
            index: 0,
            steps: [
              {
                id: 'mixed',
                title: 'mixed',
                kind: 'apply',
                after: [],
                files: ['cluster/00-namespace.yaml', 'cluster/crd.yaml'],
              },
            ],
          },
        ],
      };
      const err = await run({}, whole).catch((e) => e);
      expect(err).toBeInstanceOf(BringUpError);
      // (a real API server: kubectl finds no mapping for kind Widget, "ensure CRDs are installed first"; the FAKE has no
      // OpenAPI document for it, so kubectl fails validating it: either way the file cannot go whole)
      expect(err.message).toMatch(
        /^step 'mixed' \(mixed\) failed applying cluster\/00-namespace\.yaml, cluster\/crd\.yaml: `[^`]+ -f \S+\/cluster\/crd\.yaml` failed \(exit code 1\):\n/,
      );
      expect(fake.get('Widget', 'demo', 'w1')).toBeUndefined();
      // the plan's way: the CRDs alone (on stdin), established, then the file whole
      await run();
      expect(fake.get('Widget', 'demo', 'w1')).toBeDefined();
      const crdStep = fake.requests.filter((r) => r.method === 'PATCH' && r.path.includes('customresourcedefinitions'));
      expect(crdStep.length).toBeGreaterThanOrEqual(2);
    },
  );

  test('a pivot-like step: its waits, its removes named and left (only hacp bootstrap removes static pods), then its thenWaits; `only` leaves steps to others', async () => {
    const k = new Kubectl({ kubeconfig: '/k', bin: 'kubectl', dryRun: true, log: (l) => lines.push(l) });
    const plan: BringUpPlan = {
      phases: [
        {
          index: 1,
          steps: [
            {
              id: 'boot',
              title: 'bootstrap pods',
              kind: 'static-pods',
              after: [],
              files: ['bootstrap-manifests/a.yaml'],
              nodes: ['m1'],
              waits: [{ for: 'readyz' }],
            },
          ],
        },
        {
          index: 2,
          steps: [
            {
              id: 'vip',
              title: 'kube-vip',
              kind: 'static-pods',
              after: ['boot'],
              files: ['m1/kube-vip.yaml'],
              nodes: ['m1'],
              via: 'endpoint',
              waits: [{ for: 'readyz' }],
            },
          ],
        },
        {
          index: 3,
          steps: [
            {
              id: 'pivot',
              title: 'pivot',
              kind: 'wait',
              after: ['vip'],
              removes: ['bootstrap-manifests/a.yaml'],
              waits: [
                {
                  for: 'running',
                  kind: 'DaemonSet',
                  namespace: 'kube-system',
                  name: 'kube-apiserver',
                  selector: { 'k8s-app': 'kube-apiserver' },
                },
              ],
              thenWaits: [{ for: 'rollout', kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-apiserver' }],
            },
          ],
        },
      ],
    };
    const result = await executePlan(plan, {
      kubectl: k,
      root,
      masterServer: 'https://10.0.0.11:6443',
      log: (l) => lines.push(l),
      only: (s) => (s.id === 'boot' ? 'done by someone else' : true),
    });
    expect(result).toEqual({ steps: ['vip', 'pivot'] });
    expect(lines.flatMap((l) => l.split('\n')).filter((l) => l.trim())).toEqual([
      "# phase 1/3, step 'boot' (static-pods): bootstrap pods",
      '# done by someone else',
      "# phase 2/3, step 'vip' (static-pods): kube-vip",
      '# the kubelets on m1 start kube-vip.yaml from their manifest directories; nothing to apply',
      "# until it succeeds (the API server to answer /readyz, through the kubeconfig's server (the API endpoint)): every 5s, at most 300s",
      'kubectl --kubeconfig=/k get --raw=/readyz --request-timeout=10s', // kube-vip's wait is for the VIP: through the endpoint
      "# phase 3/3, step 'pivot' (wait): pivot",
      "# until it succeeds (a pod of DaemonSet kube-system/kube-apiserver to run (Running, not necessarily Ready), through the kubeconfig's server (the API endpoint)): every 5s, at most 300s",
      'kubectl --kubeconfig=/k get pods -n kube-system -l k8s-app=kube-apiserver -o json --request-timeout=10s',
      '# bootstrap-manifests/a.yaml must leave the manifest directory of the master that runs them: only `hacp bootstrap` (its pivot step, on that master) removes them; not done here',
      'kubectl --kubeconfig=/k rollout status daemonset/kube-apiserver -n kube-system --timeout=300s',
    ]);
  });

  test('a plan that cannot run is refused before anything runs, with every problem named', async () => {
    const bad: BringUpPlan = {
      phases: [
        {
          index: 0,
          steps: [{ id: 'a', title: 'A', kind: 'apply', after: ['b'], files: ['cluster/nope.yaml'], via: 'master' }],
        },
        {
          index: 1,
          steps: [
            {
              id: 'b',
              title: 'B',
              kind: 'wait',
              after: [],
              waits: [{ for: 'rollout', kind: 'Job', name: 'x' }, { for: 'nodes-registered' }],
              thenWaits: [{ for: 'running', kind: 'DaemonSet', name: 'y' }],
            },
          ],
        },
        { index: 1, steps: [{ id: 'b', title: 'B again', kind: 'label', after: ['b'], labels: [] }] },
        {
          index: 2,
          steps: [
            {
              id: 'c',
              title: 'C',
              kind: 'static-pods',
              after: [],
              files: ['m1/etcd.yaml'],
              waits: [{ for: 'readyz', check: 'etcd' }],
            },
          ],
        },
        {
          index: 3,
          steps: [
            {
              id: 'd',
              title: 'D',
              kind: 'apply',
              after: [],
              files: ['cluster/app.yaml'],
              kinds: ['CustomResourceDefinition'],
            },
          ],
        },
      ],
    };
    const err = await executePlan(bad, { kubectl: kubectl(), root }).catch((e) => e);
    expect(err).toBeInstanceOf(BringUpError);
    expect(err.message).toBe(
      [
        'the bring-up plan cannot run:',
        "  - step 'a' (A): runs after 'b', which is not an earlier step of the plan",
        "  - step 'a' (A): must use a master's own API server (via: master), but no master server is known",
        `  - step 'a' (A): file cluster/nope.yaml not found under ${root}`,
        "  - step 'b' (B): a rollout wait on kind Job: kubectl rollout status knows Deployment, DaemonSet, StatefulSet",
        "  - step 'b' (B): a nodes-registered wait needs a node name (or a step with nodes or labels)",
        "  - step 'b' (B): a running wait on DaemonSet y needs the selector of its pods",
        "  - step 'b' (B again): the id is used twice",
        "  - step 'b' (B again): runs after 'b', which is in the same phase (1)",
        "  - step 'b' (B again): a label step without labels",
        "  - step 'c' (C): its waits ask a master's own API server (static pods), but no master server is known",
        "  - step 'd' (D): no CustomResourceDefinition in cluster/app.yaml",
      ].join('\n'),
    );
    expect(fake.requests).toEqual([]);
  });

  test('plan files named relative to the verified tree (static-pods/cluster/x.yaml) resolve inside the tree', async () => {
    const k = new Kubectl({ kubeconfig: '/k', bin: 'kubectl', dryRun: true, log: (l) => lines.push(l) });
    const plan: BringUpPlan = {
      phases: [
        {
          index: 0,
          steps: [
            {
              id: 'x',
              title: 'X',
              kind: 'apply',
              after: [],
              files: ['static-pods/cluster/app.yaml', 'cluster/crd.yaml'],
            },
          ],
        },
      ],
    };
    await executePlan(plan, { kubectl: k, root });
    expect(lines).toContain(
      `kubectl --kubeconfig=/k apply --server-side --field-manager=hacp --force-conflicts -f ${path.join(root, 'cluster/app.yaml')} -f ${path.join(root, 'cluster/crd.yaml')}`,
    );
    const outside: BringUpPlan = {
      phases: [{ index: 0, steps: [{ id: 'x', title: 'X', kind: 'apply', after: [], files: ['../kubeconfig'] }] }],
    };
    await expect(executePlan(outside, { kubectl: k, root })).rejects.toThrow('file ../kubeconfig not found under');
  });
});
