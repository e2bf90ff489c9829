/**
 * `verifyTree()`: every offline check of `hacp verify` over a synthesized tree, and the report.
 */
import coerce = require('semver/functions/coerce');
import valid = require('semver/functions/valid');
import { DEFAULT_ETCD_VERSION, DEFAULT_KUBERNETES_VERSION, ResolvedClusterSpec, minorOf } from '../spec';
import { componentContainers, podTemplates } from './_workloads';
import { cisFindings } from './cis';
import { ConsistencyOptions, consistencyFindings } from './consistency';
import type { BringUpPlan } from './cluster/plan';
import { CheckClass, Finding } from './finding';
import { checkEtcdSettings, checkFlags } from './flags';
import { SCHEMA_MINORS, validateObject } from './schema';
import { AssetTree, loadTree, objectsOf } from './tree';

/** Options of `verifyTree()`. */
export interface VerifyOptions extends ConsistencyOptions {
  /**
   * The spec each file was synthesized from (by path relative to the tree), or one spec for the whole tree. Gives
   * the Kubernetes version of the schemas and flags, and the values the consistency checks expect.
   * @default - no spec: versions from the image tags, consistency only between the files
   */
  readonly spec?: ResolvedClusterSpec | ((rel: string) => ResolvedClusterSpec | undefined);
  /** Which check classes to run. @default all */
  readonly checks?: readonly CheckClass[];
  /** Put each cluster's bring-up plan (the `cluster` check's) into the report. @default false */
  readonly plan?: boolean;
}

/** The outcome of `verifyTree()`. */
export interface VerifyReport {
  /** The checked directory. */
  readonly root: string;
  /** Number of files read. */
  readonly files: number;
  /** Number of Kubernetes objects read. */
  readonly objects: number;
  /** Every finding, sorted by file. */
  readonly findings: Finding[];
  /** Number of findings with severity `error`. */
  readonly errors: number;
  /** Number of findings with severity `warning`. */
  readonly warnings: number;
  /** With `plan: true`: the bring-up plan of each cluster of the tree (by its folder). */
  readonly plans?: Array<{
    /** The cluster's folder. */
    readonly root: string;
    /** Its bring-up plan. */
    readonly plan: BringUpPlan;
  }>;
}

/** API groups of component configuration files (not served by the API server: no schema check). */
const CONFIG_GROUPS =
  /^(kubelet|kubeproxy|kubescheduler|kubecontrollermanager|apiserver|audit|kubeadm)\.(config\.)?k8s\.io\//;

/** Runs the checks over a directory (default layout: `hacp verify dist/`). Throws when the tree cannot be read. */
export function verifyTree(dir: string, options: VerifyOptions = {}): VerifyReport {
  return verifyLoadedTree(loadTree(dir), options);
}

/** `verifyTree()` for a tree already in memory. */
export function verifyLoadedTree(tree: AssetTree, options: VerifyOptions = {}): VerifyReport {
  const specFor =
    typeof options.spec === 'function' ? options.spec : () => options.spec as ResolvedClusterSpec | undefined;
  const run = (c: CheckClass) => !options.checks || options.checks.includes(c);
  const pods = podTemplates(tree);
  const containers = componentContainers(tree, pods);
  const findings: Finding[] = [];
  const k8sVersion = (rel: string): string => {
    const spec = specFor(rel);
    if (spec) return spec.kubernetesVersion;
    const api = containers.find((c) => c.component === 'kube-apiserver' && valid(coerce(c.imageTag ?? '')));
    return api?.imageTag ?? DEFAULT_KUBERNETES_VERSION;
  };

  let objects = 0;
  for (const file of tree.files) {
    if (file.parseError)
      findings.push({
        severity: 'error',
        check: 'schema',
        id: 'yaml',
        file: file.rel,
        message: `YAML: ${file.parseError}`,
      });
    for (const obj of objectsOf(file)) {
      objects++;
      if (!run('schema') || CONFIG_GROUPS.test(obj.apiVersion) || (obj.apiVersion === 'v1' && obj.kind === 'Config'))
        continue;
      const version = k8sVersion(file.rel);
      if (!SCHEMA_MINORS.includes(minorOf(version))) {
        throw new Error(`${file.rel}: no Kubernetes schema for ${version} (shipped: ${SCHEMA_MINORS.join(', ')})`);
      }
      for (const message of validateObject(obj, version))
        findings.push({ severity: 'error', check: 'schema', id: 'schema', file: file.rel, message });
    }
  }
  if (run('flags')) {
    for (const c of containers) {
      const spec = specFor(c.pod.file.rel);
      const tag = valid(coerce(c.imageTag ?? '')) ? c.imageTag : undefined;
      const own =
        c.component === 'etcd'
          ? (tag ?? spec?.etcdVersion ?? DEFAULT_ETCD_VERSION)
          : (tag ?? k8sVersion(c.pod.file.rel));
      const found =
        c.component === 'etcd'
          ? checkEtcdSettings(c.tokens, c.container.env ?? [], own)
          : checkFlags(c.component, c.tokens, own);
      const where = `${c.pod.object.kind} ${c.pod.object.metadata?.name}`;
      findings.push(...found.map((f) => ({ ...f, file: c.pod.file.rel, message: `${where}: ${f.message}` })));
    }
  }
  if (run('security')) findings.push(...cisFindings(tree, containers));
  if (run('consistency')) findings.push(...consistencyFindings(tree, containers, { ...options, specFor }, pods));
  let plans: VerifyReport['plans'];
  if (run('cluster') || options.plan) {
    // Loaded here: the other checks do not need the cluster model's code.
    const { clusterCheck } = require('./cluster') as typeof import('./cluster');
    const result = clusterCheck(tree, { specFor });
    if (run('cluster')) findings.push(...result.findings);
    if (options.plan) plans = result.plans;
  }

  findings.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? ''));
  return {
    root: tree.root,
    files: tree.files.length,
    objects,
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    ...(plans ? { plans } : {}),
  };
}

/** The report for a human: findings grouped by file, then a summary line. */
export function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of report.findings) byFile.set(f.file ?? '(tree)', [...(byFile.get(f.file ?? '(tree)') ?? []), f]);
  for (const [file, list] of byFile) {
    lines.push(file);
    for (const f of list)
      lines.push(`  ${f.severity === 'error' ? 'error  ' : 'warning'} ${f.check}/${f.id}: ${f.message}`);
  }
  lines.push(
    `${report.root}: ${report.files} files, ${report.objects} objects: ${report.errors} errors, ${report.warnings} warnings`,
  );
  return `${lines.join('\n')}\n`;
}

/** 0 when there is no error (warnings too with `strict`), else 1. */
export function exitCodeOf(report: VerifyReport, strict = false): number {
  return report.errors || (strict && report.warnings) ? 1 : 0;
}
