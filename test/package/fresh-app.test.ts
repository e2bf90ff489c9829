/**
 * The package in a fresh `cdk8s init typescript-app` project, from the template cdk8s-cli ships (its `tsconfig.json`:
 * ES2016 `lib`, no `skipLibCheck`, `moduleResolution` node; its `@types/node@14`; its `cdk8s-plus-33`), with only the
 * documented peers added (`cdk8s-plus-25`) and the packed tarball:
 *
 * - every entry point's `.d.ts` type-checks with `skipLibCheck: false` (no `@types/node-forge`, `@types/semver` or newer
 *   `@types/node` needed), and so do the testing helpers with jest's types (`expect.addSnapshotSerializer`);
 * - one chart mixing this package's constructs with cdk8s-plus-33's and cdk8s-plus-25's compiles and synthesizes.
 *
 * Offline (support/packed-package.ts): `@types/node` is this project's `types-node-14` (an alias of `@types/node@14`,
 * what the template installs); the template's `ts-node` is not installed here, so the app is compiled with the
 * template's own tsconfig and run with node, as `cdk8s synth` would run it through ts-node.
 * Expects a fresh `build/` (`npm test` and `npm run pack:check` build first).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ROOT, appEnv, installPacked, packedPackage, run } from '../support/packed-package';

jest.setTimeout(600_000);

const TEMPLATE = path.join(ROOT, 'node_modules/cdk8s-cli/templates/typescript-app');
const version = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

/** The template's files, as `cdk8s init typescript-app` (sscaff) writes them into `dir` named `name`. */
function instantiateTemplate(dir: string, name: string): void {
  const vars: Record<string, string> = {
    $base: name,
    cdk8s_core_version: version('cdk8s'),
    cdk8s_plus_version: version('cdk8s-plus-33'),
    constructs_version: version('constructs'),
    cdk8s_cli_spec: `^${version('cdk8s-cli')}`,
  };
  for (const entry of fs.readdirSync(TEMPLATE, { recursive: true }) as string[]) {
    const src = path.join(TEMPLATE, entry);
    if (fs.statSync(src).isDirectory() || entry === '.hooks.sscaff.js') continue; // the hook runs npm install
    const dest = path.join(dir, entry.replace('{{}}', ''));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(
      dest,
      fs.readFileSync(src, 'utf8').replace(/\{\{ *([$\w]+) *\}\}/g, (m, v: string) => vars[v] ?? m),
    );
  }
}

const MAIN_TS = `import { Construct } from 'constructs';
import { App, Chart, ChartProps } from 'cdk8s';
import * as kplus33 from 'cdk8s-plus-33';
import * as kplus25 from 'cdk8s-plus-25';
import { Dns, KubeProxy, ResolvedClusterSpec, StaticControlPlane, resolveSpec } from 'cdk8s-ha-control-plane';
// Every entry point, so that every shipped declaration is type-checked.
import * as pki from 'cdk8s-ha-control-plane/pki';
import * as host from 'cdk8s-ha-control-plane/host';
import * as verify from 'cdk8s-ha-control-plane/verify';
import * as testing from 'cdk8s-ha-control-plane/testing';
import * as util from 'cdk8s-ha-control-plane/util';
import * as synth from 'cdk8s-ha-control-plane/synth';
import * as bringUp from 'cdk8s-ha-control-plane/bring-up';

export const entryPoints = [pki.ClusterPki, host, verify.verifyTree, testing.synthClusterFiles, util.writeFileAtomic, synth.synthCluster, bringUp];

export const cluster: ResolvedClusterSpec = resolveSpec({
  name: 'fresh',
  masters: [{ name: 'cp1', ip: '10.0.0.11' }, { name: 'cp2', ip: '10.0.0.12' }, { name: 'cp3', ip: '10.0.0.13' }],
  apiEndpoint: { host: '10.0.0.10', port: 443 },
});

export class MyChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = { }) {
    super(scope, id, props);
    // This package's constructs...
    const dns = new Dns(this, 'dns', { clusterIp: cluster.dnsServiceIp, replicas: 2 });
    new KubeProxy(this, 'kube-proxy', { podCidr: cluster.networking.podCidr, apiServerUrl: cluster.apiServerUrl, kubernetesVersion: cluster.kubernetesVersion });
    new StaticControlPlane(this, 'cp1', { cluster, master: 'cp1' });
    // ... with cdk8s-plus-33's (the template's) ...
    const web = new kplus33.Deployment(this, 'web', {
      containers: [{ image: 'registry.k8s.io/pause:3.10', portNumber: 8080, securityContext: { user: 1000, group: 1000 } }],
    });
    const metrics = new kplus33.Service(this, 'dns-metrics', { ports: [{ port: 9153 }] });
    metrics.selectLabel('k8s-app', dns.apiObject.metadata.getLabel('k8s-app') ?? 'kube-dns');
    // ... and cdk8s-plus-25's (the package's peer), in one chart.
    new kplus25.ConfigMap(this, 'settings', { data: { cluster: cluster.name, web: web.name } });
  }
}

const app = new App();
new MyChart(app, '{{ $base }}');
app.synth();
`;

const MAIN_TEST_TS = `import { pemSnapshotSerializer, synthClusterFiles, testClusterPki } from 'cdk8s-ha-control-plane/testing';
import { cluster } from './main';

expect.addSnapshotSerializer(pemSnapshotSerializer);

test('the testing helpers type-check with jest 29', () => {
  const files: Record<string, { mode: string; content: string }> = synthClusterFiles({ cluster, staticPods: false });
  expect(files['bootkube/manifests/kube-apiserver-secret.yaml'].mode).toBe('0600');
  expect(testClusterPki(cluster).bootkubeAssets().caCrt).toMatchSnapshot();
});
`;

describe('a fresh cdk8s typescript-app', () => {
  let tmp: string;
  let app: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-fresh-app-'));
    app = path.join(tmp, 'fresh-app');
    instantiateTemplate(app, 'fresh-app');
    const packed = packedPackage();
    // "npm install <tarball> cdk8s-plus-25": the package and its one peer the template lacks.
    const pkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
    pkg.dependencies['cdk8s-ha-control-plane'] = `file:${packed.tarball}`;
    pkg.dependencies['cdk8s-plus-25'] = `^${version('cdk8s-plus-25')}`;
    delete pkg.devDependencies['ts-node']; // not installed here (see the file comment)
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(pkg, null, 2));
    installPacked(app, packed, { aliases: { '@types/node': 'types-node-14' }, bins: ['tsc'] });
    fs.writeFileSync(path.join(app, 'main.ts'), MAIN_TS.replace('{{ $base }}', 'fresh-app'));
    fs.writeFileSync(path.join(app, 'main.test.ts'), MAIN_TEST_TS);
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the template as cdk8s ships it: no skipLibCheck, ES2016 lib, @types/node 14, cdk8s-plus-33', () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(app, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.skipLibCheck).toBeUndefined();
    expect(tsconfig.compilerOptions.lib).toEqual(['es2016']);
    const pkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
    expect(pkg.devDependencies['@types/node']).toBe('^14');
    expect(pkg.dependencies['cdk8s-plus-33']).toMatch(/^\^2\./);
    expect(version('types-node-14')).toMatch(/^14\./);
  });

  test("compiles with the template's tsconfig (every shipped .d.ts checked), and the mixed chart synthesizes", () => {
    run(path.join(app, 'node_modules/.bin/tsc'), ['--build'], app, appEnv());
    const outdir = path.join(app, 'dist');
    run(process.execPath, ['main.js'], app, appEnv({ CDK8S_OUTDIR: outdir }));
    const objects = parseAllDocuments(fs.readFileSync(path.join(outdir, 'fresh-app.k8s.yaml'), 'utf8')).map((d) =>
      d.toJS(),
    );
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['Deployment/coredns', 'DaemonSet/kube-proxy', 'Pod/kube-apiserver', 'Pod/etcd']),
    );
    // cdk8s-plus-33's objects and cdk8s-plus-25's, beside ours.
    expect(
      objects.find(
        (o) => o.kind === 'Deployment' && o.spec.template.spec.containers[0].image === 'registry.k8s.io/pause:3.10',
      ),
    ).toBeDefined();
    expect(
      objects.find(
        (o) => o.kind === 'Service' && o.spec.selector?.['k8s-app'] === 'kube-dns' && o.spec.ports[0].port === 9153,
      ),
    ).toBeDefined();
    expect(objects.find((o) => o.kind === 'ConfigMap' && o.data?.cluster === 'fresh')).toBeDefined();
  });
});
