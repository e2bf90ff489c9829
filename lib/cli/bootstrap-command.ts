import { Command } from 'commander';
import { CLUSTER_OPTION_HELP, CliError, EXAMPLE_OPTION_HELP, SpecOptions, loadSpecForCli, runCli } from './_common';

interface BootstrapCommandOptions extends SpecOptions {
  readonly assetDir: string;
  readonly podManifestPath: string;
  readonly kubeconfig?: string;
  readonly doneMarker?: string;
  readonly root: string;
  readonly timeout: string;
  readonly pollInterval: string;
  readonly masterServer?: string;
  readonly kubectl?: string;
  readonly dryRun?: boolean;
}

/** Registers `hacp bootstrap`: the self-hosted control plane's bring-up on the first master (replaces `bootkube start`). */
export function registerBootstrapCommands(program: Command): void {
  program
    .command('bootstrap')
    .description(
      'bring up the self-hosted control plane on the first master, in place of the retired `bootkube start` (run by bootkube.service); resumable, every wait bounded',
    )
    .option('--asset-dir <dir>', 'the asset dir: dist/bootkube/ copied to the host', '/opt/bootkube/assets')
    .option('--pod-manifest-path <dir>', "the kubelet's static pod directory", '/etc/kubernetes/manifests')
    .option(
      '--kubeconfig <file>',
      "kubeconfig of every kubectl call (default: <asset-dir>/auth/kubeconfig, the super-admin one: admin.conf's group gets its rights only from manifests/control-plane-rbac.yaml)",
    )
    .option(
      '--done-marker <file>',
      'written when the bootstrap finished (default: <parent of asset-dir>/init_bootkube.done)',
    )
    .option('--root <dir>', 'prefix for every host path above (tests, or a host mounted elsewhere)', '/')
    .option('--timeout <duration>', 'bound of each wait (seconds, or 300s, 20m, 1h)', '20m')
    .option('--poll-interval <duration>', 'seconds between two polls (/readyz, pods)', '5s')
    .option(
      '--master-server <url>',
      "this master's own API server, for plan steps that must not use the API endpoint (default: https://<first master IP>:<apiServerPort>)",
    )
    .option('--kubectl <path>', 'kubectl binary (default: $HACP_KUBECTL, else kubectl from PATH)')
    .option('--dry-run', 'print the file operations and kubectl command lines, change nothing')
    .option('--cluster <file>', CLUSTER_OPTION_HELP)
    .option('--example <name>', EXAMPLE_OPTION_HELP)
    // A function: the engine (which holds the step texts) is loaded only when the help is shown.
    .addHelpText('after', () =>
      [
        '',
        'Steps, in order (each can run again; progress is kept in <asset-dir>/.hacp-bootstrap.json, so a run killed at any',
        'step resumes at that step and ends in the same state; every wait is bounded by --timeout and says what it waits for):',
        (require('../bring-up/bootstrap') as typeof import('../bring-up/bootstrap')).bootstrapStepsHelp(),
        '',
        'With the done marker present it does nothing (exit 0). On an error: one message naming the step, the kubectl',
        'command and the tail of its stderr; exit code 1; run it again (systemctl start bootkube) to resume.',
      ].join('\n'),
    )
    .action((opts: BootstrapCommandOptions) =>
      runCli(async () => {
        // Loaded here, not at the top: the other hacp commands do not pay for the engine and the YAML parser.
        const bringUp = require('../bring-up') as typeof import('../bring-up');
        const spec = loadSpecForCli(opts);
        let timeoutSeconds: number;
        let pollSeconds: number;
        try {
          timeoutSeconds = bringUp.parseDuration('--timeout', opts.timeout);
          pollSeconds = bringUp.parseDuration('--poll-interval', opts.pollInterval);
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        const log = (line: string) => process.stdout.write(`${line}\n`);
        if (opts.dryRun)
          log('# hacp bootstrap (dry run): the file operations and commands, in order; nothing was changed');
        try {
          await bringUp.runBootstrap({
            spec,
            assetDir: opts.assetDir,
            root: opts.root,
            podManifestPath: opts.podManifestPath,
            kubeconfig: opts.kubeconfig,
            doneMarker: opts.doneMarker,
            timeoutSeconds,
            pollSeconds,
            masterServer: opts.masterServer,
            kubectlBin: opts.kubectl,
            dryRun: opts.dryRun,
            log,
          });
        } catch (e) {
          if (e instanceof bringUp.BringUpError) throw new CliError(e.message);
          throw e;
        }
      }),
    );
}
