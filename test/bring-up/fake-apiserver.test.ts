/**
 * The FAKE API server (test/support/fake-apiserver.ts) against the real kubectl: the requests kubectl 1.32/1.33
 * really sends (discovery, OpenAPI v3, server-side apply, watch-based waits) get answers it accepts.
 */

import * as fs from 'fs';
import * as path from 'path';
import { FakeApiServer, matchesFields, matchesLabels } from '../support/fake-apiserver';
import { kubectlEnv, runKubectl, tempDir, testWithKubectl } from '../support/kubectl';

jest.setTimeout(120_000);

const DEPLOYMENT = `apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example/web:1}]
`;

describe('FAKE API server with the real kubectl', () => {
  let fake: FakeApiServer;
  let tmp: { dir: string; remove: () => void };
  let kubeconfig: string;
  let env: NodeJS.ProcessEnv;

  // Never spawnSync here: the fake answers from this process's event loop.
  const kubectl = (...args: string[]) => runKubectl([`--kubeconfig=${kubeconfig}`, ...args], env);
  /** kubectl in the background (for waits that a simulated controller ends). */
  const kubectlAsync = kubectl;
  /** Resolves once `pred` holds for a request the fake answered (bounded). */
  const requested = async (pred: (r: FakeApiServer['requests'][number]) => boolean) => {
    for (let i = 0; i < 600; i++) {
      if (fake.requests.some((r) => r.status && pred(r))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('kubectl never sent the expected request');
  };

  beforeEach(async () => {
    tmp = tempDir('hacp-fake-api-');
    fake = new FakeApiServer();
    await fake.start();
    kubeconfig = fake.writeKubeconfig(path.join(tmp.dir, 'kubeconfig'));
    env = kubectlEnv(tmp.dir);
    fs.writeFileSync(path.join(tmp.dir, 'deploy.yaml'), DEPLOYMENT);
  });
  afterEach(async () => {
    await fake.stop();
    tmp.remove();
  });

  testWithKubectl(
    'serves discovery, OpenAPI v3 (so kubectl leaves validation to the server) and server-side apply',
    async () => {
      const r = await kubectl(
        'apply',
        '--server-side',
        '--field-manager=hacp',
        '--force-conflicts',
        '-f',
        path.join(tmp.dir, 'deploy.yaml'),
      );
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('namespace/demo serverside-applied\ndeployment.apps/web serverside-applied\n');
      const paths = fake.requests.map((q) => `${q.method} ${q.path} ${q.status}`);
      expect(paths).toEqual(
        expect.arrayContaining([
          'GET /api 200',
          'GET /apis 200',
          'GET /api/v1 200',
          'GET /apis/apps/v1 200',
          'GET /openapi/v3 200',
          'GET /openapi/v3/apis/apps/v1 200',
        ]),
      );
      // aggregated discovery was asked for; the plain form answered it
      expect(fake.requests.find((q) => q.path === '/api')!.accept).toContain('apidiscovery.k8s.io');
      // never the client-side validation download
      expect(paths.filter((p) => p.startsWith('GET /openapi/v2'))).toEqual([]);
      const patch = fake.requests.find(
        (q) => q.method === 'PATCH' && q.path === '/apis/apps/v1/namespaces/demo/deployments/web',
      )!;
      expect(patch.contentType).toBe('application/apply-patch+yaml');
      expect(patch.query).toEqual({ fieldManager: 'hacp', fieldValidation: 'Strict', force: 'true' });
      // client-go sends no credentials over plain HTTP (the HTTPS test below checks the token)
      expect(patch.authorization).toBeUndefined();
      const d = fake.get('Deployment', 'demo', 'web')!;
      expect(d.metadata).toMatchObject({
        generation: 1,
        namespace: 'demo',
        managedFields: [{ manager: 'hacp', operation: 'Apply' }],
      });
      expect(d.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);

      // the same apply again: nothing changes (resourceVersion kept), as on a real API server
      const rv = d.metadata.resourceVersion;
      expect(
        (
          await kubectl(
            'apply',
            '--server-side',
            '--field-manager=hacp',
            '--force-conflicts',
            '-f',
            path.join(tmp.dir, 'deploy.yaml'),
          )
        ).status,
      ).toBe(0);
      expect(fake.get('Deployment', 'demo', 'web')!.metadata.resourceVersion).toBe(rv);
      // a changed spec: a new generation
      fs.writeFileSync(path.join(tmp.dir, 'deploy.yaml'), DEPLOYMENT.replace('web:1', 'web:2'));
      expect(
        (
          await kubectl(
            'apply',
            '--server-side',
            '--field-manager=hacp',
            '--force-conflicts',
            '-f',
            path.join(tmp.dir, 'deploy.yaml'),
          )
        ).status,
      ).toBe(0);
      expect(fake.get('Deployment', 'demo', 'web')!.metadata.generation).toBe(2);
    },
  );

  testWithKubectl(
    'refuses what a real API server refuses: a missing namespace, a conflict without --force-conflicts',
    async () => {
      const noNs = DEPLOYMENT.split('---\n')[1];
      fs.writeFileSync(path.join(tmp.dir, 'only-deploy.yaml'), noNs);
      const r1 = await kubectl(
        'apply',
        '--server-side',
        '--field-manager=hacp',
        '-f',
        path.join(tmp.dir, 'only-deploy.yaml'),
      );
      expect(r1.status).toBe(1);
      expect(r1.stderr).toContain('namespaces "demo" not found');
      expect(
        (
          await kubectl(
            'apply',
            '--server-side',
            '--field-manager=someone-else',
            '-f',
            path.join(tmp.dir, 'deploy.yaml'),
          )
        ).status,
      ).toBe(0);
      const r2 = await kubectl(
        'apply',
        '--server-side',
        '--field-manager=hacp',
        '-f',
        path.join(tmp.dir, 'deploy.yaml'),
      );
      expect(r2.status).toBe(1);
      expect(r2.stderr).toContain('conflict with "someone-else"');
      expect(
        (
          await kubectl(
            'apply',
            '--server-side',
            '--field-manager=hacp',
            '--force-conflicts',
            '-f',
            path.join(tmp.dir, 'deploy.yaml'),
          )
        ).status,
      ).toBe(0);
    },
  );

  testWithKubectl(
    'rollout status waits on a watch until the simulated controller rolls the Deployment out',
    async () => {
      expect(
        (await kubectl('apply', '--server-side', '--field-manager=hacp', '-f', path.join(tmp.dir, 'deploy.yaml')))
          .status,
      ).toBe(0);
      fake.addNode('n1');
      const waiting = kubectlAsync('rollout', 'status', 'deployment/web', '-n', 'demo', '--timeout=60s');
      await requested((q) => q.query.watch === 'true' && q.path.endsWith('/deployments'));
      fake.rollOut('Deployment', 'demo', 'web');
      const r = await waiting;
      expect(r.stdout).toContain('deployment "web" successfully rolled out');
      expect(r.status).toBe(0);
      const watch = fake.requests.find((q) => q.query.watch === 'true')!;
      expect(watch.query).toMatchObject({ fieldSelector: 'metadata.name=web' });
      expect(fake.list('Pod', 'demo').map((p) => [p.metadata.labels.app, p.spec.nodeName, p.status.phase])).toEqual([
        ['web', 'n1', 'Running'],
        ['web', 'n1', 'Running'],
      ]);
    },
  );

  testWithKubectl(
    'rollout status of a DaemonSet, wait for a CRD, wait --for=create of a Node, label --overwrite',
    async () => {
      fs.writeFileSync(
        path.join(tmp.dir, 'more.yaml'),
        `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {node.kubernetes.io/controller: "true"}
      containers: [{name: agent, image: registry.example/agent:1}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`,
      );
      fake.addNode('m1', { labels: { 'node.kubernetes.io/controller': 'true' } });
      fake.addNode('w1');
      expect(
        (await kubectl('apply', '--server-side', '--field-manager=hacp', '-f', path.join(tmp.dir, 'more.yaml'))).status,
      ).toBe(0);
      const ds = kubectlAsync('rollout', 'status', 'daemonset/agent', '-n', 'kube-system', '--timeout=60s');
      await requested((q) => q.query.watch === 'true' && q.path.endsWith('/daemonsets'));
      fake.rollOut('DaemonSet', 'kube-system', 'agent');
      const dsRun = await ds;
      expect(dsRun.stderr).toBe('');
      expect(dsRun.stdout).toContain('daemon set "agent" successfully rolled out');
      expect(fake.list('Pod', 'kube-system').map((p) => p.spec.nodeName)).toEqual(['m1']);

      expect(
        (await kubectl('wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=30s')).stdout,
      ).toContain('condition met');
      // the CRD's resource is now served
      expect((await kubectl('get', 'widgets', '-A', '-o', 'name')).status).toBe(0);

      const node = kubectlAsync('wait', '--for=create', 'node/m2', '--timeout=60s');
      // --for=create polls GET every 0.5 s (no watch)
      await requested((q) => q.path === '/api/v1/nodes/m2' && q.status === 404);
      fake.addNode('m2');
      expect((await node).stdout).toContain('node/m2 condition met');

      const l = await kubectl('label', 'node', 'm2', 'node-role.kubernetes.io/control-plane=', '--overwrite');
      expect(l.stdout).toBe('node/m2 labeled\n');
      expect(fake.get('Node', undefined, 'm2')!.metadata.labels['node-role.kubernetes.io/control-plane']).toBe('');
      expect(
        (await kubectl('label', 'node', 'm2', 'node-role.kubernetes.io/control-plane=', '--overwrite')).stdout,
      ).toBe('node/m2 not labeled\n');
    },
  );

  testWithKubectl('/readyz up and down; get with selectors; delete', async () => {
    expect((await kubectl('get', '--raw=/readyz')).stdout).toBe('ok');
    fake.setHealthy(false);
    const down = await kubectl('get', '--raw=/readyz');
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('readyz check failed');
    fake.setHealthy(true);
    fake.addNode('a', { labels: { role: 'x' } });
    fake.addNode('b', { labels: { role: 'y' } });
    expect((await kubectl('get', 'nodes', '-l', 'role in (x)', '-o', 'name')).stdout).toBe('node/a\n');
    expect((await kubectl('get', 'nodes', '--field-selector', 'metadata.name!=a', '-o', 'name')).stdout).toBe(
      'node/b\n',
    );
    expect((await kubectl('delete', 'node', 'a')).stdout).toBe('node "a" deleted\n');
    expect(fake.get('Node', undefined, 'a')).toBeUndefined();
  });

  testWithKubectl("over HTTPS with the kubeconfig's CA, and a required token", async () => {
    const tls = new FakeApiServer({ tls: true, token: 's3cret' });
    try {
      const url = await tls.start();
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const kc = tls.writeKubeconfig(path.join(tmp.dir, 'tls.kubeconfig'));
      const r = await runKubectl([`--kubeconfig=${kc}`, 'get', 'ns', '-o', 'name'], env);
      expect(r.stdout).toBe(
        'namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system\n',
      );
      const bad = await runKubectl([`--kubeconfig=${kc}`, '--token=wrong', 'get', 'ns'], env);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/Unauthorized|must be logged in/);
    } finally {
      await tls.stop();
    }
  });
});

describe('FAKE API server selectors', () => {
  const o = {
    metadata: { name: 'p', namespace: 'kube-system', labels: { app: 'web', tier: 'cp' } },
    spec: { nodeName: 'm1' },
    status: { phase: 'Running' },
  };
  test('label selectors', () => {
    expect(matchesLabels(o, 'app=web,tier==cp')).toBe(true);
    expect(matchesLabels(o, 'app!=web')).toBe(false);
    expect(matchesLabels(o, 'app in (db, web)')).toBe(true);
    expect(matchesLabels(o, 'app notin (db,web)')).toBe(false);
    expect(matchesLabels(o, 'tier,!missing')).toBe(true);
    expect(matchesLabels(o, 'missing')).toBe(false);
  });
  test('field selectors', () => {
    expect(matchesFields(o, 'metadata.name=p,spec.nodeName=m1')).toBe(true);
    expect(matchesFields(o, 'status.phase!=Running')).toBe(false);
    expect(matchesFields(o, 'metadata.namespace==kube-system')).toBe(true);
  });
});
