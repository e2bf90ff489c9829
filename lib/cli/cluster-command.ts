import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { urlHost } from '../spec/network';
import { CLUSTER_OPTION_HELP, CliError, EXAMPLE_OPTION_HELP, SpecOptions, loadSpecForCli, runCli } from './_common';

interface ClusterApplyOptions extends SpecOptions {
  readonly kubeconfig?: string;
  readonly dryRun?: boolean;
  readonly timeout: string;
  readonly pollInterval: string;
  readonly masterServer?: string;
  readonly kubectl?: string;
}

/**
 * The admin kubeconfig `hacp cluster apply` uses by default. For a static-pod tree: the first master's
 * `super-admin.conf` (group `system:masters`), because `admin.conf`'s group `kubeadm:cluster-admins` gets its rights
 * only from the `kubeadm-cluster-admins` binding that `cluster/rbac.yaml` itself creates (kubeadm init uses
 * super-admin.conf for the same reason); `admin.conf` when the tree has no super-admin.conf. For a bootkube asset
 * dir: `auth/kubeconfig` (the super-admin one bootkube used).
 */
export function defaultAdminKubeconfig(
  dir: string,
  layout: 'static-pods' | 'bootkube',
  firstMaster: string,
): {
  /** The kubeconfig to use. */
  file: string;
  /** Why it is a second choice (no super-admin.conf), for the user; undefined for the first choice. */
  warning?: string;
} {
  if (layout === 'bootkube') return { file: path.join(dir, 'auth', 'kubeconfig') };
  const superAdmin = path.join(dir, firstMaster, 'super-admin.conf');
  if (fs.existsSync(superAdmin)) return { file: superAdmin };
  const admin = path.join(dir, firstMaster, 'admin.conf');
  return {
    file: admin,
    warning: `${superAdmin} not found; using ${admin}, whose group kubeadm:cluster-admins has rights only once the kubeadm-cluster-admins binding of cluster/rbac.yaml exists (the first apply needs super-admin.conf, or --kubeconfig)`,
  };
}

/** Registers `hacp cluster apply [DIR]`: applies a synthesized tree to a running API in the bring-up plan's order. */
export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('the cluster objects of a synthesized tree, on a running API server');
  cluster
    .command('apply')
    .description(
      'apply the cluster objects of a static-pod tree (cluster/) in the bring-up order with kubectl apply --server-side, wait for each phase (bounded), label the masters; idempotent',
    )
    .argument('[dir]', 'the static-pod tree (or a bootkube asset dir)', path.join('dist', 'static-pods'))
    .option(
      '--kubeconfig <file>',
      'admin kubeconfig (default: <dir>/<first master>/super-admin.conf, else admin.conf; <dir>/auth/kubeconfig for a bootkube asset dir)',
    )
    .option('--dry-run', 'print the kubectl command lines, run nothing')
    .option('--timeout <duration>', 'bound of each wait (seconds, or 300s, 5m, 1h)', '5m')
    .option('--poll-interval <duration>', 'seconds between two polls of /readyz', '5s')
    .option(
      '--master-server <url>',
      "the first master's own API server, for steps that must not go through the API endpoint (default: https://<first master IP>:<apiServerPort>)",
    )
    .option('--kubectl <path>', 'kubectl binary (default: $HACP_KUBECTL, else kubectl from PATH)')
    .option('--cluster <file>', CLUSTER_OPTION_HELP)
    .option('--example <name>', EXAMPLE_OPTION_HELP)
    .addHelpText(
      'after',
      [
        '',
        'What it runs, step by step (the bring-up plan of the tree; --dry-run prints the exact command lines):',
        '  static-pods / external steps: nothing to apply; only their own waits: `kubectl get --raw=/readyz/etcd` through a',
        "                master's own API server for etcd, `/readyz` for the API servers and through the API address it serves",
        '                for the load balancer (controller managers and schedulers: the later rollouts show they work)',
        '  CRDs:         applied in their own step first, then `kubectl wait --for=condition=Established crd/<name>`',
        "  apply steps:  kubectl apply --server-side --field-manager=hacp --force-conflicts -f <files in the plan's order>",
        '                then `kubectl rollout status <kind>/<name> -n <ns> --timeout=...` for each workload (none for',
        '                OnDelete DaemonSets/StatefulSets or images marked unable to run; the plan notes why)',
        '  label steps:  `kubectl wait --for=create node/<n> --timeout=...`, then `kubectl label node <n> k=v --overwrite`',
        'Every wait is bounded by --timeout. Running it again converges to the same state (server-side apply).',
        'On an error: one message naming the step, the kubectl command and the tail of its stderr; exit code 1.',
      ].join('\n'),
    )
    .action((dir: string, opts: ClusterApplyOptions) =>
      runCli(async () => {
        // Loaded here, not at the top: the other hacp commands do not pay for the engine and the YAML parser.
        const bringUp = require('../bring-up') as typeof import('../bring-up');
        const spec = loadSpecForCli(opts);
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
          throw new CliError(`${dir}: no such directory (run \`npm run synth\` first?)`);
        const root = path.resolve(dir);
        let timeoutSeconds: number;
        let pollSeconds: number;
        let layout: 'static-pods' | 'bootkube';
        try {
          timeoutSeconds = bringUp.parseDuration('--timeout', opts.timeout);
          pollSeconds = bringUp.parseDuration('--poll-interval', opts.pollInterval);
          layout = bringUp.treeLayout(root);
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        let kubeconfig = opts.kubeconfig ? path.resolve(opts.kubeconfig) : undefined;
        if (!kubeconfig) {
          const chosen = defaultAdminKubeconfig(root, layout, spec.masters[0].name);
          if (chosen.warning) process.stderr.write(`warning: ${chosen.warning}\n`);
          kubeconfig = chosen.file;
        }
        if (!fs.existsSync(kubeconfig)) throw new CliError(`--kubeconfig: ${kubeconfig}: no such file`);
        const masterServer = opts.masterServer ?? `https://${urlHost(spec.masters[0].ip)}:${spec.apiServerPort}`;
        const log = (line: string) => process.stdout.write(`${line}\n`);
        let plan;
        try {
          plan = bringUp.planForTree(root, spec);
        } catch (e) {
          throw new CliError((e as Error).message); // the tree's files: a layout or YAML problem, named by file
        }
        try {
          if (opts.dryRun)
            log(
              `# hacp cluster apply ${dir} (dry run): the commands, in order; nothing was run\n# admin kubeconfig: ${kubeconfig}`,
            );
          const kubectl = new bringUp.Kubectl({
            kubeconfig,
            bin: opts.kubectl,
            dryRun: opts.dryRun,
            log: (l) => log(opts.dryRun ? l : `    ${l}`),
          });
          const result = await bringUp.executePlan(plan, {
            kubectl,
            root,
            timeoutSeconds,
            pollSeconds,
            masterServer,
            log,
          });
          if (!opts.dryRun) log(`cluster ${spec.name}: ${result.steps.length} steps done (${result.steps.join(', ')})`);
        } catch (e) {
          if (e instanceof bringUp.BringUpError) throw new CliError(e.message);
          throw e;
        }
      }),
    );
}
