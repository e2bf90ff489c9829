import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { describeFsError, isFsError } from '../util/fs-errors';
import { CliError, runCli } from './_common';
import { scaffoldFiles } from './_scaffold';

/** Entries a directory may hold and still count as empty for `hacp init` (a fresh `git init`). */
const IGNORED_ENTRIES = new Set(['.git']);

/** A DNS label from a directory name (`My Cluster` → `my-cluster`): the default cluster and package name. */
export function labelFrom(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63)
      .replace(/-+$/, '') || 'my-cluster'
  );
}

/**
 * Registers `hacp init [dir]`: scaffolds a cluster repo (package.json with the peers, tsconfig.json, cdk8s.yaml with
 * the validation plugin, cluster.yaml, main.ts composing the control plane through `synthCluster()`, a jest snapshot
 * test with the test PKI, .gitignore, README.md). Writes into a new or empty directory only and never overwrites.
 */
export function registerInitCommands(program: Command): void {
  program
    .command('init')
    .description(
      'scaffold a cluster repo: cdk8s app, cluster.yaml, snapshot test, .gitignore (into a new or empty directory)',
    )
    .argument('[dir]', 'the directory to create or fill (it must be empty)', '.')
    .option(
      '--name <name>',
      'cluster name (name: in cluster.yaml; the PKI state goes to pki/<name>) (default: from the directory name)',
    )
    .option(
      '--library <spec>',
      'dependency spec of cdk8s-ha-control-plane in package.json, e.g. a packed tarball file:../cdk8s-ha-control-plane-0.1.0.tgz (default: ^<this version>)',
    )
    .action((dir: string, opts: { name?: string; library?: string }) =>
      runCli(() => {
        const abs = path.resolve(dir);
        const base = path.basename(abs);
        const clusterName = opts.name ?? labelFrom(base);
        if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(clusterName)) {
          throw new CliError(
            `--name: '${clusterName}' is not a DNS label (lowercase letters, digits and '-', at most 63)`,
          );
        }
        checkEmpty(dir, abs);
        const files = scaffoldFiles({ packageName: labelFrom(base), clusterName, library: opts.library });
        const written: string[] = [];
        try {
          for (const [rel, content] of Object.entries(files)) {
            const file = path.join(abs, rel);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            // 'wx': never replaces a file, even one that appeared since the check above.
            fs.writeFileSync(file, content, { flag: 'wx', mode: 0o644 });
            written.push(rel);
          }
        } catch (e) {
          if (isFsError(e))
            throw new CliError(
              `${describeFsError(e)}${written.length ? ` (written before it: ${written.join(', ')})` : ''}`,
            );
          throw e;
        }
        const rel = path.relative(process.cwd(), abs);
        const shown = rel.startsWith('..') ? abs : rel || '.';
        process.stdout.write(`wrote a cluster repo for '${clusterName}' in ${shown}/: ${written.join(', ')}\nnext:\n`);
        if (shown !== '.') process.stdout.write(`  cd ${shown}\n`);
        process.stdout.write(
          '  edit cluster.yaml (masters, addresses, load balancer)\n' +
            '  npm install && npm run synth && npm test\n' +
            '  npx hacp verify dist\n' +
            `pki/ (the cluster's CA and keys) and dist/ are in .gitignore: back up pki/, never commit it\n`,
        );
      }),
    );
}

/** `dir` must not exist, or be an empty directory (or hold only `.git`); anything else is an error naming it. */
function checkEmpty(dir: string, abs: string): void {
  let entries: string[];
  try {
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    if (!st.isDirectory())
      throw new CliError(`${dir} is not a directory: hacp init writes a new repo into a new or empty directory`);
    entries = fs.readdirSync(abs).filter((e) => !IGNORED_ENTRIES.has(e));
  } catch (e) {
    if (isFsError(e)) throw new CliError(describeFsError(e, dir));
    throw e;
  }
  if (entries.length) {
    const shown =
      entries.sort().slice(0, 5).join(', ') + (entries.length > 5 ? `, ... (${entries.length} entries)` : '');
    throw new CliError(
      `${dir} is not empty (${shown}): hacp init writes into a new or empty directory and never overwrites a file; pick another directory`,
    );
  }
}
