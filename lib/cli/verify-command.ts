import * as fs from 'fs';
import { Command } from 'commander';
import type { CheckClass } from '../verify/finding';
import { EXAMPLE_CLUSTERS, SpecValidationError, loadClusterSpec } from '../spec';
import { CLUSTER_OPTION_HELP, CliError, runCli } from './_common';

/** `--example builtin`: each folder against the example `npm run synth` made it from. */
const BUILTIN = 'builtin';

const CHECKS: CheckClass[] = ['schema', 'flags', 'security', 'consistency', 'cluster'];

/** Registers `hacp verify [DIR]`: offline checks of a synthesized tree (exit 0 clean, 1 findings, 2 could not run). */
export function registerVerifyCommands(program: Command): void {
  program
    .command('verify')
    .description(
      'check a synthesized tree offline: schema, flags, CIS benchmark, consistency, cluster bring-up (exit 0 clean, 1 findings, 2 could not run)',
    )
    .argument('[dir]', 'the tree to check', 'dist')
    .option('--cluster <file>', CLUSTER_OPTION_HELP)
    .option(
      '--example <name>',
      `built-in example instead of a spec file: static | bootkube for the whole tree, or ${BUILTIN} for what \`npm run synth\` writes without a spec (static-pods/ from static, bootkube/ from bootkube)`,
    )
    .option('--json', 'print the report as JSON')
    .option('--strict', 'warnings fail too (exit 1)')
    .option('--checks <list>', `comma-separated check classes (${CHECKS.join(',')})`)
    .option(
      '--plan',
      'also print the bring-up plan of each cluster of the tree, phase by phase and node by node (in --json: "plans")',
    )
    .action(
      (
        dir: string,
        opts: { cluster?: string; example?: string; json?: boolean; strict?: boolean; checks?: string; plan?: boolean },
      ) =>
        runCli(() => {
          const checks = opts.checks?.split(',').map((c) => c.trim()) as CheckClass[] | undefined;
          const bad = checks?.find((c) => !CHECKS.includes(c));
          if (bad) throw new CliError(`--checks: '${bad}' is not one of ${CHECKS.join(', ')}`, 2);
          if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
            throw new CliError(`${dir}: no such directory (run \`npm run synth\` first?)`, 2);
          if (opts.example !== undefined && opts.example !== BUILTIN && !EXAMPLE_CLUSTERS[opts.example]) {
            throw new CliError(
              `--example: ${JSON.stringify(opts.example)} is not one of ${[...Object.keys(EXAMPLE_CLUSTERS), BUILTIN].join(', ')}`,
              2,
            );
          }
          if (opts.example !== undefined && opts.cluster !== undefined)
            throw new CliError('--cluster and --example: give one of them (a spec file, or a built-in example)', 2);
          if (opts.example === undefined) {
            // No silent example: without --example the spec file must exist (the error names where it looked).
            try {
              loadClusterSpec({
                file: opts.cluster,
                notFoundHint: `pass --cluster FILE, or --example ${BUILTIN} for a tree \`npm run synth\` made from the built-in examples (or --example static|bootkube)`,
              });
            } catch (e) {
              throw e instanceof SpecValidationError ? new CliError(e.message, 2) : e;
            }
          }
          const example = opts.example === BUILTIN ? undefined : opts.example;
          const cluster = opts.example === BUILTIN ? undefined : opts.cluster;
          // Loaded here, not at the top: every other hacp command would pay for loading ajv, yaml and the checks.
          const { exitCodeOf, formatReport, verifyTree } =
            require('../verify/verify') as typeof import('../verify/verify');
          const { treeSpecResolver } = require('../verify/spec-resolver') as typeof import('../verify/spec-resolver');
          let report;
          try {
            report = verifyTree(dir, { spec: treeSpecResolver({ cluster, example }), checks, plan: opts.plan });
          } catch (e: any) {
            throw new CliError(e?.message ?? String(e), 2);
          }
          if (opts.plan && !opts.json) {
            const { formatPlan } = require('../verify/cluster/plan') as typeof import('../verify/cluster/plan');
            for (const { plan } of report.plans ?? []) process.stdout.write(`${formatPlan(plan)}\n`);
          }
          process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
          return exitCodeOf(report, opts.strict);
        }),
    );
}
