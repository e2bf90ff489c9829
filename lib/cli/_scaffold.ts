/**
 * The files `hacp init` writes: a cluster repo laid out the cdk8s way (package.json, tsconfig.json, cdk8s.yaml, a
 * TypeScript app and its jest test), composing this package through `synthCluster()` from one spec, `cluster.yaml`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { schemasDir } from '../common/schema-files';

/** What `hacp init` needs to fill in. */
export interface ScaffoldOptions {
  /** npm package name of the repo. */
  readonly packageName: string;
  /** The cluster's name (`name:` in cluster.yaml, the PKI state directory `pki/<name>`). */
  readonly clusterName: string;
  /** Dependency spec of this package. @default - `^<this package's version>` */
  readonly library?: string;
}

/** This package's own package.json (name, version, peer and development dependencies). */
export function ownPackageJson(): {
  name: string;
  version: string;
  peerDependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
} {
  return JSON.parse(fs.readFileSync(path.join(schemasDir(), '..', 'package.json'), 'utf8'));
}

/** Development tools of the scaffold, at the versions this package is built and tested with. */
const DEV_TOOLS: Record<string, string> = {
  '@types/jest': '^29.5.14',
  '@types/node': '^20.19.43',
  'cdk8s-cli': '^2.207.60',
  jest: '^29.7.0',
  'ts-jest': '^29.4.15',
  typescript: '~5.9.3',
};

/** The files of a new cluster repo, by path. */
export function scaffoldFiles(options: ScaffoldOptions): Record<string, string> {
  const own = ownPackageJson();
  const dev = Object.fromEntries(
    Object.entries(DEV_TOOLS).map(([name, range]) => [name, own.devDependencies?.[name] ?? range]),
  );
  const packageJson = {
    name: options.packageName,
    version: '1.0.0',
    private: true,
    description: `The ${options.clusterName} cluster: its control plane and objects, built with ${own.name}.`,
    scripts: {
      build: 'tsc',
      synth: 'tsc && cdk8s synth --no-check-upgrade',
      test: 'jest',
      verify: 'hacp verify dist',
    },
    dependencies: {
      [own.name]: options.library ?? `^${own.version}`,
      ...own.peerDependencies,
    },
    devDependencies: dev,
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'tsconfig.json': TSCONFIG,
    'jest.config.js': JEST_CONFIG,
    'cdk8s.yaml': cdk8sYaml(own.name),
    'cluster.yaml': clusterYaml(options.clusterName),
    'main.ts': MAIN_TS.replace(/cdk8s-ha-control-plane/g, own.name),
    'test/main.test.ts': TEST_TS.replace(/cdk8s-ha-control-plane/g, own.name),
    '.gitignore': GITIGNORE,
    'README.md': readme(options.clusterName, own.name),
  };
}

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "commonjs",
    "moduleResolution": "node",
    "lib": ["ES2022"],
    "types": ["node", "jest"],
    "rootDir": ".",
    "outDir": "build",
    "strict": true,
    "noImplicitReturns": true,
    "noUnusedLocals": true,
    "noUnusedParameters": true,
    "esModuleInterop": true,
    "isolatedModules": true
  },
  "include": ["main.ts", "test/**/*.ts"]
}
`;

const JEST_CONFIG = `/**
 * jest with ts-jest, transpiling only (\`isolatedModules\` in tsconfig.json): \`npm run build\` and \`npm run synth\`
 * type-check main.ts and the tests with tsc.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
`;

function cdk8sYaml(library: string): string {
  return `# \`npm run synth\` compiles main.ts to build/ (tsc), then \`cdk8s synth\` runs it: synthCluster() writes dist/ (the
# per-host trees) and keeps the PKI state in pki/ (outside dist/, which cdk8s deletes before every synth).
language: typescript
app: node build/main.js
output: dist
# \`cdk8s synth\` fails when hacp verify's checks find an error in dist/ (\`npx hacp verify dist\` lists warnings too).
validations:
  - package: ./node_modules/${library}/build/lib/verify/cdk8s-plugin.js
    version: 0.0.0
    class: HacpVerifyValidation
    properties:
      cluster: cluster.yaml
`;
}

function clusterYaml(name: string): string {
  return `# The cluster spec: main.ts (npm run synth), hacp and the validation plugin all read this file. Every field is
# documented in the README of cdk8s-ha-control-plane ("Cluster spec"); unknown keys are errors.
name: ${name}
kubernetesVersion: v1.35.4
etcdVersion: 3.6.6
masters:
  - { name: cp1, ip: 10.0.0.11 }
  - { name: cp2, ip: 10.0.0.12 }
  - { name: cp3, ip: 10.0.0.13 }
workers:
  - { name: worker1, ip: 10.0.0.21 }
apiEndpoint:
  host: 10.0.0.10          # the API load balancer's address (here: the floating IP of an Octavia load balancer)
  port: 443
networking:
  serviceCidr: 10.96.0.0/16
  podCidr: 10.244.0.0/16
  clusterDomain: cluster.local
loadBalancer:
  type: octavia
  octavia:
    subnet: ${name}-subnet
    floatingIp: 10.0.0.10
    namePrefix: ${name}-masters
    healthMonitor: HTTPS
`;
}

const MAIN_TS = `/**
 * The cluster's synth: \`npm run synth\` compiles this file and \`cdk8s synth\` runs it. synthCluster() writes
 *   dist/static-pods/<master>/   what goes to /etc/kubernetes on that master (static pods, certificates, kubeconfigs)
 *   dist/static-pods/cluster/    what \`hacp cluster apply\` applies once the API answers (with your charts)
 *   dist/bootkube/               the asset dir of a self-hosted control plane (\`hacp bootstrap\`; with your charts)
 * from cluster.yaml, and keeps the cluster's CA, keys and encryption key in pki/<cluster name>/ (back it up).
 * Deploy one of the two control planes: set the other one to \`false\` below.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { ResolvedClusterSpec, StaticControlPlaneProps } from 'cdk8s-ha-control-plane';
import { ClusterTreesProps, synthClusterMain } from 'cdk8s-ha-control-plane/synth';

/** This cluster's control-plane settings, on every master (the options of \`StaticControlPlane\`). */
export const controlPlane: Omit<StaticControlPlaneProps, 'cluster' | 'master'> = {
  apiServer: { extraArgs: { 'audit-log-maxage': '30' } },
};

/**
 * Your own objects, applied through the API once the control plane answers: every chart added to \`app\` becomes
 * one file, \`<chart id>.yaml\`, in static-pods/cluster/ and bootkube/manifests/. Any constructs will do: the
 * package's add-ons, cdk8s-plus, imported CRDs, \`ApiObject\`.
 */
export function charts(app: App, cluster: ResolvedClusterSpec): void {
  const apps = new Chart(app, 'apps');
  new ApiObject(apps, 'namespace', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'apps', labels: { 'example.com/cluster': cluster.name } },
  });
}

/** Everything the synth writes, for main below and for the tests. */
export const trees: ClusterTreesProps = {
  cluster: 'cluster.yaml',
  staticPods: { controlPlane },
  bootkube: {},
  charts,
};

if (require.main === module) void synthClusterMain(trees);
`;

const TEST_TS = `/**
 * Snapshot tests of what \`npm run synth\` writes, without your PKI: the static pods need no keys, and the
 * self-hosted control plane is built with the package's insecure test PKI (fixed keys, milliseconds, the same on
 * every run). \`npx jest -u\` rewrites the snapshots after a change you meant.
 */
import { Testing } from 'cdk8s';
import { loadClusterSpec } from 'cdk8s-ha-control-plane';
import { pemSnapshotSerializer, synthClusterFiles, synthControlPlane } from 'cdk8s-ha-control-plane/testing';
import { validateObjects } from 'cdk8s-ha-control-plane/verify';
import { charts, controlPlane, trees } from '../main';

// PEM blocks are written as <CERTIFICATE>, <RSA PRIVATE KEY>...: shorter snapshots (the test PKI is stable anyway).
expect.addSnapshotSerializer(pemSnapshotSerializer);

const cluster = loadClusterSpec({ file: 'cluster.yaml' }).spec;

test('static-pod control plane: every master\\'s pods and the cluster-scoped objects', () => {
  const files = synthControlPlane(cluster, { controlPlane });
  expect(files['cp1/kube-apiserver.yaml'].spec.containers[0].args).toContain('--audit-log-maxage=30');
  expect(files).toMatchSnapshot();
});

test('self-hosted control plane: the bootkube asset dir with the test PKI', () => {
  const files = synthClusterFiles({ ...trees, staticPods: false });
  expect(files['bootkube/manifests/kube-apiserver-secret.yaml'].mode).toBe('0600');
  expect(files['bootkube/manifests/apps.yaml'].content).toContain('name: apps');
  expect(files).toMatchSnapshot();
});

test('your charts: valid objects of the cluster\\'s Kubernetes version', () => {
  const app = Testing.app();
  charts(app, cluster);
  expect(validateObjects(app.charts.flatMap((c) => c.toJson()), cluster.kubernetesMinor)).toEqual([]);
});
`;

const GITIGNORE = `node_modules/
build/
# The synthesized trees hold private keys and kubeconfigs: \`npm run synth\` makes them again from pki/.
dist/
.dist.lock
# The PKI state: the cluster's CAs, every private key and the encryption-at-rest key. Back it up somewhere safe
# (losing it means new certificates for every node); never commit it.
pki/
`;

function readme(name: string, library: string): string {
  return `# ${name}

The ${name} cluster, built with [${library}](https://www.npmjs.com/package/${library}): \`cluster.yaml\` is
its spec, \`main.ts\` composes the control plane and your own objects, \`test/\` holds snapshot tests.

\`\`\`sh
npm ci                 # or npm install
npm run synth          # dist/ (the per-host trees), checked by hacp verify; the PKI state goes to pki/${name}/
npm test               # snapshot tests (the first run writes test/__snapshots__/: commit them)
npx hacp verify dist   # every check and warning, including the cluster's bring-up (\`--checks cluster\`)
\`\`\`

Then, per node:

\`\`\`sh
npx hacp kubelet-unit --node cp1            # host/cp1/: kubelet.service, its configuration and identity
npx hacp lb plan                            # the API load balancer (Octavia) for apiEndpoint
npx hacp cluster apply dist/static-pods     # once the API answers: static-pods/cluster/ in the bring-up order
\`\`\`

\`pki/\` holds the cluster's CAs and keys, \`dist/\` copies of them: both are in \`.gitignore\`; back up \`pki/\`.
\`npx hacp --help\` lists every command.
`;
}
