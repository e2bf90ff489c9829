import * as fs from 'fs';
import { Command } from 'commander';
import type { CheckClass } from '../verify/finding';
import { CliError, runCli } from './_common';

const CHECKS: CheckClass[] = ['schema', 'flags', 'security', 'consistency', 'cluster'];

/** Registers `hacp verify [DIR]`: offline checks of a synthesized tree (exit 0 clean, 1 findings, 2 could not run). */
export function registerVerifyCommands(program: Command): void {
  program
    .command('verify')
    .description('check a synthesized tree offline: schema, flags, CIS benchmark, consistency, cluster bring-up (exit 0 clean, 1 findings, 2 could not run)')
    .argument('[dir]', 'the tree to check', 'dist')
    .option('--cluster <file>', 'cluster spec file (default: $HACP_CLUSTER, ./cluster.yaml, else the example of each folder)')
    .option('--example <name>', 'built-in example for the whole tree when there is no spec file: static | bootkube')
    .option('--json', 'print the report as JSON')
    .option('--strict', 'warnings fail too (exit 1)')
    .option('--checks <list>', `comma-separated check classes (${CHECKS.join(',')})`)
    .option('--plan', 'also print the bring-up plan of each cluster of the tree, phase by phase and node by node (in --json: "plans")')
    .action((dir: string, opts: { cluster?: string; example?: string; json?: boolean; strict?: boolean; checks?: string; plan?: boolean }) => runCli(() => {
      const checks = opts.checks?.split(',').map((c) => c.trim()) as CheckClass[] | undefined;
      const bad = checks?.find((c) => !CHECKS.includes(c));
      if (bad) throw new CliError(`--checks: '${bad}' is not one of ${CHECKS.join(', ')}`, 2);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`${dir}: no such directory (run \`npm run synth\` first?)`, 2);
      // Loaded here, not at the top: every other hacp command would pay for loading ajv, yaml and the checks.
      const { exitCodeOf, formatReport, verifyTree } = require('../verify/verify') as typeof import('../verify/verify');
      const { treeSpecResolver } = require('../verify/spec-resolver') as typeof import('../verify/spec-resolver');
      let report;
      try {
        report = verifyTree(dir, { spec: treeSpecResolver({ cluster: opts.cluster, example: opts.example }), checks, plan: opts.plan });
      } catch (e: any) {
        throw new CliError(e?.message ?? String(e), 2);
      }
      if (opts.plan && !opts.json) {
        const { formatPlan } = require('../verify/cluster/plan') as typeof import('../verify/cluster/plan');
        for (const { plan } of report.plans ?? []) process.stdout.write(`${formatPlan(plan)}\n`);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      return exitCodeOf(report, opts.strict);
    }));
}
