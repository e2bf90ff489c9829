/**
 * The checks of `hacp verify` as a cdk8s validation plugin, so that `cdk8s synth` fails on a bad tree. In
 * `cdk8s.yaml`:
 * ```yaml
 * validations:
 *   - package: ./build/lib/verify/cdk8s-plugin.js
 *     version: 0.0.0
 *     class: HacpVerifyValidation
 *     properties: {}        # optional: dir, cluster, example, strict, checks
 * ```
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { fileStamp, walkTree, writeFileAtomic } from '../util/files';
import type { CheckClass, Finding } from './finding';
import type { TreeSpecOptions } from './spec-resolver';
import type { VerifyReport } from './verify';

/** `properties` of the plugin entry in `cdk8s.yaml`. */
export interface HacpVerifyValidationProps extends TreeSpecOptions {
  /** Directory to check. @default - the deepest folder holding every synthesized manifest */
  readonly dir?: string;
  /** Fail on warnings too. @default false */
  readonly strict?: boolean;
  /** Check classes to run. @default all */
  readonly checks?: CheckClass[];
  /**
   * Directory where reports are cached, keyed by a hash of every file of the tree, the spec file, the properties,
   * the package version and code, and the date: re-synthesizing an unchanged tree (the common case) reuses the report instead
   * of checking again. Set to `false` to always check.
   * @default node_modules/.cache/hacp-verify
   */
  readonly cacheDir?: string | false;
}

/**
 * The part of cdk8s-cli's `ValidationContext` (`cdk8s-cli/plugins`) the plugin uses. Declared here so that the
 * package's typings do not depend on cdk8s-cli (a dev dependency); the real context satisfies it.
 */
export interface ValidationContextLike {
  /** The synthesized manifest files. */
  readonly manifests: readonly string[];
  /** Where the plugin reports. */
  readonly report: {
    /** Reports one rule's violations. */
    addViolation(violation: {
      ruleName: string;
      recommendation: string;
      fix: string;
      violatingResources: Array<{ resourceName: string; locations: string[]; manifestPath: string }>;
    }): void;
    /** Ends the report: `failure` fails the synth. */
    submit(status: 'success' | 'failure', metadata?: { readonly [key: string]: string }): void;
  };
  /** cdk8s-cli's log. */
  readonly logger: {
    /** Logs one line. */
    log(message: string): void;
  };
}

/** The deepest directory containing every path. */
export function commonDir(paths: readonly string[]): string {
  if (!paths.length) return process.cwd();
  let dir = path.dirname(path.resolve(paths[0]));
  for (const p of paths.slice(1)) {
    const abs = path.resolve(p);
    while (!(abs === dir || abs.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep))) dir = path.dirname(dir);
  }
  return dir;
}

/** cdk8s validation plugin running every `hacp verify` check over the synthesized tree. */
export class HacpVerifyValidation {
  constructor(private readonly props: HacpVerifyValidationProps = {}) {}

  /** The report of `dir`: from the cache when the same tree was checked today, else a fresh `verifyTree()`. */
  private cachedReport(dir: string): VerifyReport {
    // Loaded lazily: a cache hit needs neither ajv nor the schemas.
    const run = (): VerifyReport => {
      const { verifyTree } = require('./verify') as typeof import('./verify');
      const { treeSpecResolver } = require('./spec-resolver') as typeof import('./spec-resolver');
      return verifyTree(dir, { spec: treeSpecResolver(this.props), checks: this.props.checks });
    };
    if (this.props.cacheDir === false) return run();
    const cacheDir = path.resolve(this.props.cacheDir ?? path.join('node_modules', '.cache', 'hacp-verify'));
    const file = path.join(cacheDir, `${reportKey(dir, this.props)}.json`);
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      const report = run();
      fs.mkdirSync(cacheDir, { recursive: true });
      writeFileAtomic(file, JSON.stringify(report), 0o644);
      return report;
    }
  }

  /**
   * Runs the checks over the tree of `context.manifests` (or `dir`) and reports every error (with `strict`, every
   * warning too) as a violation, one per rule; cdk8s-cli calls it after synthesis.
   */
  public async validate(context: ValidationContextLike): Promise<void> {
    const dir = this.props.dir ?? commonDir(context.manifests);
    try {
      const report = this.cachedReport(dir);
      const failing = report.findings.filter((f) => f.severity === 'error' || this.props.strict);
      const byRule = new Map<string, Finding[]>();
      for (const f of failing) byRule.set(`${f.check}/${f.id}`, [...(byRule.get(`${f.check}/${f.id}`) ?? []), f]);
      for (const [ruleName, list] of byRule) {
        context.report.addViolation({
          ruleName,
          recommendation: list.map((f) => `${f.file ?? dir}: ${f.message}`).join('\n'),
          fix: 'see docs/verify.md',
          violatingResources: list.map((f) => ({
            resourceName: f.message.split(':')[0],
            locations: [f.message],
            manifestPath: f.file ? path.join(dir, f.file) : dir,
          })),
        });
      }
      const warnings = report.findings.filter((x) => !failing.includes(x)).length;
      // One line, not one per warning: synth runs many times a day. `hacp verify` lists them.
      if (warnings)
        context.logger.log(
          `hacp verify: ${warnings} warning(s) (Manual CIS checks, deprecations); run \`hacp verify ${path.relative(process.cwd(), dir) || '.'}\` to list them`,
        );
      context.report.submit(failing.length ? 'failure' : 'success', {
        files: String(report.files),
        objects: String(report.objects),
        errors: String(report.errors),
        warnings: String(report.warnings),
      });
    } catch (e: any) {
      context.report.addViolation({
        ruleName: 'verify/could-not-run',
        recommendation: String(e?.message ?? e),
        fix: 'check the tree and the spec',
        violatingResources: [{ resourceName: dir, locations: [], manifestPath: dir }],
      });
      context.report.submit('failure', { error: String(e?.message ?? e) });
    }
  }
}

/**
 * Hash of everything a report depends on: the tree's files (paths, modes, bytes), the spec, the options, the day, and
 * the checks' code (the package version, and a stamp of every file of the package's lib/, so that a rebuild without a
 * version bump does not reuse a report the old checks wrote). The plugin's cache file name.
 * @param codeRoot the code stamped @default - this package's lib/ (compiled or source)
 */
export function reportKey(
  dir: string,
  props: HacpVerifyValidationProps,
  codeRoot = path.resolve(__dirname, '..'),
): string {
  const hash = createHash('sha256');
  for (const e of walkTree(codeRoot)) {
    if (e.kind === 'file' && /\.(js|ts|json)$/.test(e.rel) && !e.rel.endsWith('.d.ts'))
      hash.update(`${e.rel}\0${fileStamp(e.abs)}\n`);
  }
  // The package's version, from the package.json next to its schemas/ folder (sources and compiled code alike).
  const { schemasDir } = require('./_data') as typeof import('./_data');
  const pkg = JSON.parse(fs.readFileSync(path.join(schemasDir(), '..', 'package.json'), 'utf8')).version;
  hash.update(
    JSON.stringify({ pkg, day: new Date().toISOString().slice(0, 10), props, cluster: process.env.HACP_CLUSTER ?? '' }),
  );
  const specFile = props.cluster ?? process.env.HACP_CLUSTER ?? 'cluster.yaml';
  if (fs.existsSync(specFile)) hash.update(fs.readFileSync(specFile));
  for (const e of walkTree(dir)) {
    if (e.kind === 'file') hash.update(`${e.rel}\0${fs.statSync(e.abs).mode}\0`).update(fs.readFileSync(e.abs));
  }
  return hash.digest('hex');
}
