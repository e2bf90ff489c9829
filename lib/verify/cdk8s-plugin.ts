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
import * as path from 'path';
import { CheckClass, Finding } from './finding';
import { TreeSpecOptions, treeSpecResolver } from './spec-resolver';
import { verifyTree } from './verify';

/** `properties` of the plugin entry in `cdk8s.yaml`. */
export interface HacpVerifyValidationProps extends TreeSpecOptions {
  /** Directory to check. @default - the deepest folder holding every synthesized manifest */
  readonly dir?: string;
  /** Fail on warnings too. @default false */
  readonly strict?: boolean;
  /** Check classes to run. @default all */
  readonly checks?: CheckClass[];
}

/**
 * The part of cdk8s-cli's `ValidationContext` (`cdk8s-cli/plugins`) the plugin uses. Declared here so that the
 * package's typings do not depend on cdk8s-cli (a dev dependency); the real context satisfies it.
 */
export interface ValidationContextLike {
  readonly manifests: readonly string[];
  readonly report: {
    addViolation(violation: {
      ruleName: string;
      recommendation: string;
      fix: string;
      violatingResources: Array<{ resourceName: string; locations: string[]; manifestPath: string }>;
    }): void;
    submit(status: 'success' | 'failure', metadata?: { readonly [key: string]: string }): void;
  };
  readonly logger: { log(message: string): void };
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

  public async validate(context: ValidationContextLike): Promise<void> {
    const dir = this.props.dir ?? commonDir(context.manifests);
    try {
      const report = verifyTree(dir, { spec: treeSpecResolver(this.props), checks: this.props.checks });
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
      for (const f of report.findings.filter((x) => !failing.includes(x))) context.logger.log(`warning ${f.check}/${f.id} ${f.file}: ${f.message}`);
      context.report.submit(failing.length ? 'failure' : 'success', {
        files: String(report.files), objects: String(report.objects), errors: String(report.errors), warnings: String(report.warnings),
      });
    } catch (e: any) {
      context.report.addViolation({
        ruleName: 'verify/could-not-run', recommendation: String(e?.message ?? e), fix: 'check the tree and the spec',
        violatingResources: [{ resourceName: dir, locations: [], manifestPath: dir }],
      });
      context.report.submit('failure', { error: String(e?.message ?? e) });
    }
  }
}
