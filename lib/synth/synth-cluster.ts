/**
 * `synthCluster()`: the synth of a cluster repo. It writes what this package's own `npm run synth` writes, for one
 * cluster, with the same writers (`synthStaticPods`, `synthBootkube`) and so the same layout and file modes:
 *
 *   <outdir>/static-pods/<master>/...   mirrors /etc/kubernetes on that master (static pods, PKI, kubeconfigs)
 *   <outdir>/static-pods/cluster/...    applied through the API once it answers (`hacp cluster apply`)
 *   <outdir>/bootkube/...               the self-hosted control plane's asset dir (`hacp bootstrap`)
 *
 * plus the repo's own charts, one file per chart, in `static-pods/cluster/` and `bootkube/manifests/` (the bring-up
 * plan applies every file there). The PKI state and the encryption-at-rest key live in `<stateRoot>/<cluster name>`,
 * outside the output directory (`cdk8s synth` deletes that one). Construct and spec errors come before any key is
 * generated (`ClusterPki.ensure`'s `beforeKeyGeneration`); one synth at a time writes an output directory (the output
 * lock of output-lock.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Yaml } from 'cdk8s';
import { validateTree } from '../common';
import { ClusterPki } from '../pki/cluster-pki';
import { ClusterSpec, ResolvedClusterSpec, loadClusterSpec, readExternalEtcd, resolveSpec } from '../spec';
import { reportError } from '../util/errors';
import { OutputFile, walkTree, writeFilesAtomic } from '../util/files';
import { BootkubeOptions, buildBootkube, synthBootkube } from './bootkube';
import {
  PLACEHOLDER_ENCRYPTION_KEY,
  checkEncryptionKey,
  checkStateRoot,
  encryptionKeyOf,
  placeholderTls,
} from './inputs';
import { acquireOutputLock } from './output-lock';
import { synthStaticPods } from './static-pods';
import { StaticPodsTreeOptions, buildStaticPodsTree } from './static-pods-tree';

/** The self-hosted tree's options (`synthBootkube()`'s, but the encryption key, which `synthCluster()` keeps). */
export type BootkubeTreeOptions = Omit<BootkubeOptions, 'encryptionKey'>;

/** Adds a cluster repo's own charts to `app`: each chart is written as one file `<chart id>.yaml`. */
export type ClusterCharts = (app: App, cluster: ResolvedClusterSpec) => void;

/** What `synthCluster()` composes: the spec, the trees and your own objects (see `SynthClusterProps`). */
export interface ClusterTreesProps {
  /**
   * The cluster spec: a `ClusterSpec` (validated here) or a resolved one, or the path of a spec file (`cluster.yaml`,
   * or a `.js`/`.ts` module exporting the spec; relative to the working directory). `hacp` and the validation plugin
   * read `./cluster.yaml` (or `--cluster FILE`): keep the spec in that file so that it is written once.
   * @default - `$HACP_CLUSTER`, else `./cluster.yaml`; neither is an error (no built-in example is ever used)
   */
  readonly cluster?: ClusterSpec | ResolvedClusterSpec | string;
  /**
   * The static-pod control plane (`static-pods/`): every master's `/etc/kubernetes` and `cluster/`. `controlPlane`
   * sets the components' options on every master, `extend` adds your own static pods to each master, `masters`
   * limits the masters written. `false`: not written.
   * @default {} (written, with the defaults)
   */
  readonly staticPods?: StaticPodsTreeOptions | false;
  /**
   * The self-hosted (bootkube) control plane (`bootkube/`): DNS provider, dashboard, bootstrap master... `false`:
   * not written.
   * @default {} (written, with the defaults)
   */
  readonly bootkube?: BootkubeTreeOptions | false;
  /**
   * Your own charts, applied through the API once the control plane answers: add them to the `App` given (any
   * constructs: this package's, cdk8s-plus's, your own). Each chart becomes `<chart id>.yaml` in
   * `static-pods/cluster/` and in `bootkube/manifests/` (0600 when it holds a Secret with data, else 0644). Chart ids
   * are file names: lowercase letters, digits, `-` and `.`, none taken by the trees' own files.
   * @default - none
   */
  readonly charts?: ClusterCharts;
}

/** Options of `synthCluster()`. */
export interface SynthClusterProps extends ClusterTreesProps {
  /** Output directory. @default - `$CDK8S_OUTDIR` (set by `cdk8s synth`), else `dist` */
  readonly outdir?: string;
  /**
   * PKI state root: the cluster's certificates, keys and encryption key are kept in `<stateRoot>/<cluster name>`
   * (0700; back it up, never commit it). Must be outside `outdir`.
   * @default - `$HACP_PKI_DIR`, else `pki`
   */
  readonly stateRoot?: string;
  /** Progress lines and warnings. @default - stderr */
  readonly log?: (line: string) => void;
  /** The current time (certificate issuing and renewal windows). @default - now */
  readonly now?: Date;
}

/** What `synthCluster()` wrote. */
export interface SynthClusterResult {
  /** The resolved spec. */
  readonly cluster: ResolvedClusterSpec;
  /** The output directory (absolute). */
  readonly outdir: string;
  /** The cluster's PKI state directory (absolute). */
  readonly stateDir: string;
  /** Every file written, relative to `outdir`. */
  readonly files: string[];
}

/**
 * A problem with what `synthCluster()` was given: its props, a construct's settings, your charts. Nothing was
 * written. `hacp` and `synthClusterMain()` report it as one message with exit code 1.
 */
export class SynthClusterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'SynthClusterError';
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** A chart of the repo's own, synthesized: its file name and objects. */
interface ChartFile {
  readonly file: string;
  readonly objects: any[];
}

/** Folders of the trees that hold what is applied through the API (where the repo's charts go). */
const STATIC_APPLY_DIR = path.join('static-pods', 'cluster');
const BOOTKUBE_APPLY_DIR = path.join('bootkube', 'manifests');
const CHART_FILE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/**
 * Synthesizes a cluster repo's trees into `outdir` (see the file comment): loads the spec, builds every construct
 * (their errors come first, with the construct path), makes or reuses the PKI state (keys are generated only on the
 * first synth, or for renewals), and writes the trees holding the output lock. Use it as the `app` of `cdk8s.yaml`
 * through `synthClusterMain()`, or await it in your own code.
 *
 * @example
 * // main.ts, run by `cdk8s synth` (cdk8s.yaml: `app: node build/main.js`)
 * synthClusterMain({
 *   cluster: 'cluster.yaml',
 *   staticPods: { controlPlane: { apiServer: { extraArgs: { 'audit-log-maxage': '90' } } } },
 *   charts: (app, cluster) => { new MonitoringChart(app, 'monitoring', { cluster }); },
 * });
 */
export async function synthCluster(props: SynthClusterProps = {}): Promise<SynthClusterResult> {
  const log = props.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = props.now ?? new Date();
  const outdir = path.resolve(props.outdir ?? (process.env.CDK8S_OUTDIR || 'dist'));
  const stateRoot = path.resolve(props.stateRoot ?? (process.env.HACP_PKI_DIR || 'pki'));
  if (stateRoot === outdir || stateRoot.startsWith(outdir + path.sep)) {
    throw new SynthClusterError(
      `stateRoot: ${stateRoot} is inside the output directory ${outdir}, which \`cdk8s synth\` deletes before every synth: keep the PKI state outside it (the default is ./pki)`,
    );
  }
  const { spec, staticPods, bootkube, charts } = composeClusterTrees(props, log);
  const stateDir = path.join(stateRoot, spec.name);

  // The control planes are built once with stand-in PEMs before anything is written: on a cold state before any key
  // is generated (`beforeKeyGeneration`), on a warm one before the writers run.
  let validated = false;
  const validate = () => {
    if (validated) return;
    validated = true;
    buildTrees(spec, staticPods, bootkube, charts);
  };
  const lock = await acquireOutputLock(outdir, { log });
  try {
    checkStateRoot(stateRoot);
    checkEncryptionKey(stateDir); // read only: a damaged key is reported before anything is made
    const pki = await ClusterPki.ensure(spec, { dir: stateDir, log, now, beforeKeyGeneration: validate });
    const encryptionKey = encryptionKeyOf(stateDir, log);
    if (!validated) buildTrees(spec, staticPods, bootkube, charts);
    const files = writeClusterTrees({ spec, pki, encryptionKey, outdir, staticPods, bootkube, charts });
    return { cluster: spec, outdir, stateDir, files };
  } finally {
    lock.release();
  }
}

/**
 * Runs `synthCluster()` as a program's main (the `app` of `cdk8s.yaml`): an error is printed as one message
 * (`error: ...`; the stack only with `HACP_DEBUG=1`) and sets the exit code: 1 for what you have to fix (the spec,
 * the PKI state, a construct's settings, your charts), 2 when the synth could not run. Resolves to the exit code.
 */
export async function synthClusterMain(props: SynthClusterProps = {}): Promise<number> {
  let code = 0;
  try {
    await synthCluster(props);
  } catch (e) {
    code = reportError(e);
  }
  process.exitCode = code;
  // `hacp synth` (like this repo's scripts/synth.js) collects the code: cdk8s reports every failure as its own 1.
  const status = process.env.HACP_SYNTH_STATUS;
  if (status) fs.writeFileSync(status, `${code}\n`);
  return code;
}

/** The inputs of the trees, resolved and checked: the spec, each tree's options, the repo's charts synthesized. */
function composeClusterTrees(
  props: ClusterTreesProps,
  log: (line: string) => void,
): {
  spec: ResolvedClusterSpec;
  staticPods?: StaticPodsTreeOptions;
  bootkube?: BootkubeTreeOptions;
  charts: ChartFile[];
} {
  const staticPods = props.staticPods === false ? undefined : (props.staticPods ?? {});
  const bootkube = props.bootkube === false ? undefined : (props.bootkube ?? {});
  if (!staticPods && !bootkube) {
    throw new SynthClusterError(
      'staticPods and bootkube are both false: nothing to synthesize; leave out the one whose tree you deploy',
    );
  }
  const onWarning = (w: string) => log(`warning: ${w}`);
  const spec =
    typeof props.cluster === 'object' && props.cluster !== null
      ? resolveSpec(props.cluster, { onWarning })
      : loadClusterSpec({
          file: props.cluster,
          fileOption: 'cluster',
          onWarning,
          notFoundHint:
            'write ./cluster.yaml (`hacp init` writes one), or pass synthCluster() the spec or its file as `cluster`',
        }).spec;
  // An external etcd's CA and client pair (etcd.external, files relative to the working directory) go into the
  // self-hosted tree, read and checked here unless given.
  const withEtcd =
    bootkube && spec.etcd.external && !bootkube.externalEtcd
      ? { ...bootkube, externalEtcd: readExternalEtcd(spec, { onWarning }) }
      : bootkube;
  return { spec, staticPods, bootkube: withEtcd, charts: synthCharts(props.charts, spec) };
}

/** Synthesizes the repo's charts (validated as `App.synth()` does). */
function synthCharts(charts: ClusterCharts | undefined, spec: ResolvedClusterSpec): ChartFile[] {
  if (!charts) return [];
  const app = new App({ outdir: '.' });
  try {
    charts(app, spec);
    validateTree(app);
  } catch (e) {
    throw new SynthClusterError(`charts: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  const out: ChartFile[] = [];
  for (const chart of app.charts) {
    const id = chart.node.id;
    if (!CHART_FILE.test(id)) {
      throw new SynthClusterError(
        `charts: chart id '${id}' (${chart.node.path}) is not a file name: use lowercase letters, digits, '-' and '.' (it becomes ${id}.yaml)`,
      );
    }
    const objects = chart.toJson();
    if (objects.length) out.push({ file: `${id}.yaml`, objects });
  }
  return out;
}

/**
 * Builds both control planes without the PKI (stand-in PEMs and key) and checks the repo's objects against them:
 * every construct error, a static pod of `extend` named like another one of its master, a chart named like a file of
 * the trees. Throws `SynthClusterError`.
 */
function buildTrees(
  spec: ResolvedClusterSpec,
  staticPods: StaticPodsTreeOptions | undefined,
  bootkube: BootkubeTreeOptions | undefined,
  charts: ChartFile[],
): void {
  const problems: string[] = [];
  try {
    if (staticPods) {
      const tree = buildStaticPodsTree(spec, staticPods);
      for (const { master, objects } of tree.masters) {
        const seen = new Set<string>();
        for (const name of objects.map((o) => o.metadata?.name)) {
          if (seen.has(name))
            problems.push(
              `staticPods: two static pods named '${name}' on ${master} (one file ${master}/${name}.yaml each): rename yours`,
            );
          seen.add(name);
        }
      }
      for (const { file } of charts)
        if (file === 'rbac.yaml')
          problems.push(`charts: '${file}' is a file of ${STATIC_APPLY_DIR}/: give the chart another id`);
    }
    if (bootkube) {
      const manifests = buildBootkube(spec, placeholderTls(), {
        ...bootkube,
        encryptionKey: PLACEHOLDER_ENCRYPTION_KEY,
      });
      for (const { file } of charts) {
        if (manifests[`manifests/${file}`])
          problems.push(`charts: '${file}' is a file of ${BOOTKUBE_APPLY_DIR}/: give the chart another id`);
      }
    }
  } catch (e) {
    if (e instanceof SynthClusterError) throw e;
    throw new SynthClusterError((e as Error)?.message ?? String(e), { cause: e });
  }
  if (problems.length) throw new SynthClusterError(problems.join('\n'));
}

/** Inputs of `writeClusterTrees()`. */
interface WriteClusterTreesInput {
  readonly spec: ResolvedClusterSpec;
  readonly pki: ClusterPki;
  readonly encryptionKey: string;
  readonly outdir: string;
  readonly staticPods?: StaticPodsTreeOptions;
  readonly bootkube?: BootkubeTreeOptions;
  readonly charts: readonly ChartFile[];
}

/** Writes the trees with the package's writers, then the repo's charts. Returns the files, relative to `outdir`. */
function writeClusterTrees(input: WriteClusterTreesInput): string[] {
  const { spec, pki, encryptionKey, outdir } = input;
  const written: string[] = [];
  const applyDirs: string[] = [];
  if (input.staticPods) {
    written.push(...synthStaticPods({ spec, pki, outdir, encryptionKey, tree: input.staticPods }));
    applyDirs.push(STATIC_APPLY_DIR);
  }
  if (input.bootkube) {
    written.push(...synthBootkube(spec, pki, outdir, { ...input.bootkube, encryptionKey }));
    applyDirs.push(BOOTKUBE_APPLY_DIR);
  }
  const files: OutputFile[] = input.charts.map(({ file, objects }) => ({
    path: file,
    content: Yaml.stringify(...objects),
    mode: objects.some((o) => o.kind === 'Secret' && (o.data || o.stringData)) ? 0o600 : 0o644,
  }));
  // The writers may have gained files since buildTrees() checked the names: checked again before writing any.
  const taken = applyDirs.flatMap((dir) =>
    files.filter((f) => written.includes(path.join(dir, f.path))).map((f) => `${dir}/${f.path}`),
  );
  if (taken.length)
    throw new SynthClusterError(
      `charts: ${taken.join(', ')} already written by the package's trees: give the chart another id`,
    );
  for (const dir of applyDirs) {
    if (!files.length) break;
    writeFilesAtomic(path.join(outdir, dir), files);
    written.push(...files.map((f) => path.join(dir, f.path)));
  }
  return written;
}

/** One file of `synthClusterFiles()`: its mode (`0600`) and text. */
export interface ClusterTreeFile {
  /** The file's permission bits as four octal digits, as written to disk: `0600` (keys, secrets), `0644`. */
  readonly mode: string;
  /** The file's text (UTF-8), as written to disk. */
  readonly content: string;
}

/**
 * What `synthCluster(props)` writes, in memory, keyed by path relative to the output directory: built with the
 * insecure test PKI (`ClusterPki.forTesting()`, so only inside a test runner) and a fixed encryption key, so that the
 * result is the same on every run and machine and costs no key generation. Behind `synthClusterFiles()` of
 * `cdk8s-ha-control-plane/testing`.
 */
export function synthClusterFilesForTesting(
  props: ClusterTreesProps,
  encryptionKey: string,
): Record<string, ClusterTreeFile> {
  // No separate validation pass (it would build every construct twice): the writers raise the constructs' errors, and
  // a chart named like a file of the trees is refused before any chart is written.
  const { spec, staticPods, bootkube, charts } = composeClusterTrees(props, () => undefined);
  const pki = ClusterPki.forTesting(spec);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-test-trees-'));
  try {
    writeClusterTrees({ spec, pki, encryptionKey, outdir: tmp, staticPods, bootkube, charts });
    const out: Record<string, ClusterTreeFile> = {};
    for (const e of walkTree(tmp)) {
      if (e.kind !== 'file') continue;
      const mode = (fs.statSync(e.abs).mode & 0o777).toString(8).padStart(4, '0');
      out[e.rel.split(path.sep).join('/')] = { mode, content: fs.readFileSync(e.abs, 'utf8') };
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
