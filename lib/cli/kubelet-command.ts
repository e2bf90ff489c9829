import * as path from 'path';
import { Command } from 'commander';
import { HostNode, findNode } from '../host/_nodes';
import { renderBootkubeUnit } from '../host/kubelet/bootkube-unit';
import { renderKubeletConfig, renderKubeletSysctl } from '../host/kubelet/kubelet-config';
import { renderKubeletUnit } from '../host/kubelet/kubelet-unit';
import { ClusterPki, PkiFile, defaultPkiDir, writeFilesAtomic } from '../pki';
import { HostPaths, KubeconfigPaths, KubeletPkiPaths, PkiPaths } from '../pki/paths';
import { CliError, SpecOptions, loadSpecForCli, runCli } from './_common';

interface KubeletUnitOptions extends SpecOptions {
  readonly node: string;
  readonly out?: string;
  readonly bootkube?: boolean;
  readonly kubeletPath?: string;
  readonly bootkubeDir?: string;
  /** `--no-pki` sets this to false. */
  readonly pki?: boolean;
  readonly pkiDir?: string;
}

/**
 * Registers `hacp kubelet-unit --node <name> [--out DIR] [--bootkube]`: writes the node's `kubelet.service`,
 * `kubelet-config.yaml` (its KubeletConfiguration) and `90-kubelet.conf` (sysctls), plus `bootkube.service` on the
 * first master with `--bootkube`.
 */
export function registerKubeletCommands(program: Command): void {
  program
    .command('kubelet-unit')
    .description("write a node's kubelet.service, KubeletConfiguration and sysctl file (and bootkube.service with --bootkube)")
    .requiredOption('--node <name>', 'node (master or worker) from the cluster spec')
    .option('--out <dir>', 'output directory (default: host/<node>)')
    .option('--bootkube', 'self-hosted control plane: also write bootkube.service (first master only) and the pod-checkpointer directories')
    .option('--kubelet-path <path>', 'kubelet binary on the host', '/usr/bin/kubelet')
    .option('--bootkube-dir <dir>', 'bootkube.service directory on the host (assets/, cluster.yaml, done marker)', '/opt/bootkube')
    .option('--no-pki', 'do not write the kubelet\'s certificates and kubeconfig (only the units and the configuration)')
    .option('--pki-dir <dir>', 'PKI state directory (default: $HACP_PKI_DIR/<cluster name>, else pki/<cluster name>)')
    .option('--cluster <file>', 'cluster spec file (default: $HACP_CLUSTER, ./cluster.yaml, else the example)')
    .option('--example <name>', 'built-in example when there is no cluster file: static | bootkube', 'static')
    .action((opts: KubeletUnitOptions) => runCli(async () => {
      const spec = loadSpecForCli(opts);
      let host: HostNode;
      try {
        host = findNode(spec, opts.node);
      } catch (e) {
        throw new CliError(`--node: ${(e as Error).message}`);
      }
      const role = host.role;
      const first = spec.masters[0].name;
      if (opts.bootkube && !host.first) {
        throw new CliError(`--bootkube: bootkube runs once, on the first master (${first}), not on ${opts.node}; write ${opts.node}'s units without --bootkube`);
      }
      const out = path.resolve(opts.out ?? path.join('host', opts.node));
      const files: Array<[string, string, string]> = [
        ['kubelet.service', renderKubeletUnit(spec, opts.node, { kubeletPath: opts.kubeletPath, selfHosted: opts.bootkube }), '/etc/systemd/system/kubelet.service'],
        ['kubelet-config.yaml', renderKubeletConfig(spec, opts.node), HostPaths.kubeletConfig],
        ['90-kubelet.conf', renderKubeletSysctl(), '/etc/sysctl.d/90-kubelet.conf'],
      ];
      if (opts.bootkube) files.push(['bootkube.service', renderBootkubeUnit(spec, { directory: opts.bootkubeDir }), '/etc/systemd/system/bootkube.service']);
      // The kubelet's identity from the PKI state (made on first use, like synth does): kubelet.conf, the cluster CA,
      // and its client and serving pairs, laid out under `out/` as they go on the host (`etc/...`, `var/...`).
      const pkiFiles: PkiFile[] = [];
      if (opts.pki !== false) {
        const pki = await ClusterPki.ensure(spec, { dir: opts.pkiDir ?? defaultPkiDir(spec), log: (l) => process.stderr.write(`${l}\n`) });
        const ca = pki.masterFiles(first).find((f) => f.path === 'pki/ca.crt')!;
        pkiFiles.push(
          { ...ca, path: PkiPaths.caCert.slice(1) },
          { path: KubeconfigPaths.kubelet.slice(1), content: pki.kubeconfig('kubelet', opts.node), mode: 0o600 },
          ...pki.kubeletFiles(opts.node),
        );
      }
      writeFilesAtomic(out, [...files.map(([name, content]) => ({ path: name, content, mode: 0o600 })), ...pkiFiles]);
      process.stdout.write(`wrote ${files.length + pkiFiles.length} files for ${opts.node} (${role}) to ${out}\ninstall them on ${opts.node}:\n`);
      for (const [name, , dest] of files) process.stdout.write(`  install -D -m 0600 ${name} ${dest}\n`);
      if (pkiFiles.length) process.stdout.write(`  cp -a ${['etc', 'var'].map((d) => path.join(out, d)).join(' ')} /    (kubelet.conf, the CA, the kubelet's certificates: modes kept)\n`);
      if (opts.bootkube) {
        const dir = opts.bootkubeDir!.replace(/\/+$/, '');
        process.stdout.write(`  cp -a dist/bootkube ${dir}/assets && install -m 0600 <your cluster.yaml> ${dir}/cluster.yaml   (what hacp bootstrap reads; hacp itself installed as /usr/local/bin/hacp)\n`);
      }
      process.stdout.write(`  sysctl --system && systemctl daemon-reload && systemctl enable --now kubelet${opts.bootkube ? ' && systemctl enable --now bootkube' : ''}\n`);
      if (role === 'master') {
        process.stdout.write(`node-role.kubernetes.io/control-plane= on ${opts.node} (a kubelet may not set node-role labels itself) is set through the API by ${opts.bootkube ? 'hacp bootstrap' : 'hacp cluster apply (hacp bootstrap on a self-hosted cluster)'}\n`);
      }
      if (opts.pki === false) process.stdout.write(`--no-pki: install the kubelet's serving pair ${KubeletPkiPaths.servingCert} / .key yourself (hacp pki: ClusterPki.kubeletFiles)\n`);
    }));
}
