import { Command } from 'commander';
import { ClusterPki, PkiError, allOk, defaultPkiDir, formatStatusTable } from '../pki';
import { CliError, SpecOptions, loadSpecForCli, runCli } from './_common';

interface PkiOptions extends SpecOptions {
  readonly dir?: string;
  readonly json?: boolean;
  readonly force?: boolean;
  readonly byoCa?: string;
}

/** Registers `hacp pki status` and `hacp pki renew`. */
export function registerPkiCommands(program: Command): void {
  const pki = program.command('pki').description('the cluster PKI state (certificates, keys, kubeconfigs)');
  const common = (cmd: Command) => cmd
    .option('--cluster <file>', 'cluster spec file (default: $HACP_CLUSTER, ./cluster.yaml, else the example)')
    .option('--example <name>', 'built-in example when there is no cluster file: static or bootkube', 'static')
    .option('--dir <dir>', 'PKI state directory (default: $HACP_PKI_DIR/<cluster name>, $HACP_PKI_DIR defaults to pki)');

  common(pki.command('status'))
    .description('print every certificate: subject, SANs, issuer, expiry, and OK / expiring / mismatch / missing / invalid; exit 1 unless all are OK')
    .option('--json', 'print JSON instead of a table')
    .action((opts: PkiOptions) => runCli(() => {
      const spec = loadSpecForCli(opts);
      const dir = opts.dir ?? defaultPkiDir(spec);
      const rows = ClusterPki.status(spec, { dir });
      process.stdout.write(opts.json ? `${JSON.stringify({ dir, certificates: rows }, null, 2)}\n` : `PKI state: ${dir}\n${formatStatusTable(rows)}`);
      return allOk(rows) ? 0 : 1;
    }));

  common(pki.command('renew'))
    .description('create what is missing and re-issue leaf certificates that no longer match the spec or expire soon (CAs are never replaced)')
    .option('--force', 're-issue every leaf certificate, even valid ones')
    .option('--byo-ca <dir>', 'import ca.crt/ca.key (and front-proxy-ca.*, etcd/ca.*) from this directory into an empty state')
    .action((opts: PkiOptions) => runCli(async () => {
      const spec = loadSpecForCli(opts);
      const dir = opts.dir ?? defaultPkiDir(spec);
      let changes = 0;
      try {
        await ClusterPki.ensure(spec, {
          dir,
          force: opts.force,
          byoCaDir: opts.byoCa,
          log: (line) => {
            if (!line.startsWith('warning:')) changes++;
            process.stdout.write(`${line}\n`);
          },
        });
      } catch (e) {
        if (e instanceof PkiError) throw new CliError(e.message);
        throw e;
      }
      if (!changes) process.stdout.write(`${dir}: nothing to do, every certificate is valid\n`);
      return 0;
    }));
}
