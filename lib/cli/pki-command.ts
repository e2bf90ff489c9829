import { Command } from 'commander';
import { CertStatus, ClusterPki, allOk, defaultPkiDir, formatStatusTable } from '../pki';
import { ResolvedClusterSpec } from '../spec';
import { CLUSTER_OPTION_HELP, CliError, EXAMPLE_OPTION_HELP, SpecOptions, loadSpecForCli, runCli } from './_common';

interface PkiOptions extends SpecOptions {
  readonly dir?: string;
  readonly json?: boolean;
  readonly force?: boolean;
  readonly byoCa?: string;
  readonly initPki?: boolean;
}

/** The state path without `.crt` (`nodes/master0/apiserver`): what `EnsurePkiOptions.reissue` takes. */
const idOf = (row: CertStatus) => row.file.replace(/\.(crt|key)$/, '');
/** `apiserver (master0)` → `apiserver`: one name for the certificate on every node. */
const baseOf = (row: CertStatus) => row.name.replace(/ \([^)]*\)$/, '');

/**
 * The leaf certificates `hacp pki renew NAME...` names. A NAME is a row of `hacp pki status` (`apiserver (master0)`,
 * `admin.conf`), its state path (`nodes/master0/apiserver`), or the name without the node (`apiserver`: every
 * master's). Unknown names, CAs and the service-account key are errors listing what can be renewed.
 */
export function selectCertificates(spec: ResolvedClusterSpec, dir: string, names: string[]): string[] {
  const rows = ClusterPki.status(spec, { dir });
  const leaves = rows.filter((r) => r.kind === 'leaf');
  const selected = new Set<string>();
  const unknown: string[] = [];
  for (const name of names) {
    const row = rows.find((r) => r.name === name || idOf(r) === name || baseOf(r) === name);
    if (row && row.kind !== 'leaf') {
      throw new CliError(
        `${JSON.stringify(name)} is ${row.kind === 'ca' ? 'a CA' : 'the service-account key pair'}: hacp never re-issues ${row.kind === 'ca' ? 'a CA (every node and kubeconfig trusts it; docs/pki.md, "CA rotation")' : 'it (every ServiceAccount token would become invalid)'}; name leaf certificates`,
      );
    }
    const matches = leaves.filter((r) => r.name === name || idOf(r) === name || baseOf(r) === name);
    if (!matches.length) unknown.push(name);
    matches.forEach((r) => selected.add(idOf(r)));
  }
  if (unknown.length) {
    const valid = [...new Set(leaves.map(baseOf))];
    throw new CliError(
      `unknown certificate${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')}; leaf certificates of cluster ${spec.name}: ${valid.join(', ')} (add the node to pick one, e.g. "apiserver (${spec.masters[0].name})", or give its state path, e.g. nodes/${spec.masters[0].name}/apiserver; \`hacp pki status\` lists them all)`,
    );
  }
  return [...selected];
}

/** Registers `hacp pki status` and `hacp pki renew`. */
export function registerPkiCommands(program: Command): void {
  const pki = program.command('pki').description('the cluster PKI state (certificates, keys, kubeconfigs)');
  const common = (cmd: Command) =>
    cmd
      .option('--cluster <file>', CLUSTER_OPTION_HELP)
      .option('--example <name>', EXAMPLE_OPTION_HELP)
      .option(
        '--dir <dir>',
        'PKI state directory (default: $HACP_PKI_DIR/<cluster name>, $HACP_PKI_DIR defaults to pki)',
      );

  common(pki.command('status'))
    .description(
      'print every certificate: subject, SANs, issuer, expiry, and OK / expiring / mismatch / missing / invalid; exit 1 unless all are OK',
    )
    .option('--json', 'print JSON instead of a table')
    .action((opts: PkiOptions) =>
      runCli(() => {
        const spec = loadSpecForCli(opts);
        const dir = opts.dir ?? defaultPkiDir(spec);
        const rows = ClusterPki.status(spec, { dir });
        process.stdout.write(
          opts.json
            ? `${JSON.stringify({ dir, certificates: rows }, null, 2)}\n`
            : `PKI state: ${dir}\n${formatStatusTable(rows)}`,
        );
        return allOk(rows) ? 0 : 1;
      }),
    );

  common(pki.command('renew'))
    .description(
      'create what is missing and re-issue leaf certificates that no longer match the spec or expire soon (CAs are never replaced); with NAMEs, also re-issue those leaves now',
    )
    .argument(
      '[names...]',
      'leaf certificates to re-issue even when valid: a NAME of `hacp pki status` ("apiserver (master0)"), its state path (nodes/master0/apiserver), or the name on every node (apiserver)',
    )
    .option('--force', 're-issue every leaf certificate, even valid ones')
    .option(
      '--byo-ca <dir>',
      'import ca.crt/ca.key (and front-proxy-ca.*, etcd/ca.*) from this directory into an empty state',
    )
    .option('--init-pki', 'make a new CA and state when the state directory has none (otherwise that is an error)')
    .action((names: string[], opts: PkiOptions) =>
      runCli(async () => {
        const spec = loadSpecForCli(opts);
        const dir = opts.dir ?? defaultPkiDir(spec);
        if (!ClusterPki.hasState(dir) && !opts.initPki && !opts.byoCa) {
          throw new CliError(
            `no PKI state in ${dir} (no ca.crt): renew works on an existing state; point --dir at it (or $HACP_PKI_DIR at its parent), import a CA with --byo-ca DIR, or pass --init-pki to make a new CA there`,
          );
        }
        const reissue = names.length ? selectCertificates(spec, dir, names) : undefined;
        let changes = 0;
        await ClusterPki.ensure(spec, {
          dir,
          force: opts.force,
          reissue,
          byoCaDir: opts.byoCa,
          log: (line) => {
            if (!line.startsWith('warning:')) changes++;
            process.stdout.write(`${line}\n`);
          },
        });
        if (!changes) process.stdout.write(`${dir}: nothing to do, every certificate is valid\n`);
        return 0;
      }),
    );
}
