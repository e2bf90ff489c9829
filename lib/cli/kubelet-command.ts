import * as path from 'path';
import { Command } from 'commander';
import { HostNode, findNode } from '../spec';
import { CniPaths, nodePodNetworkFiles } from '../host/cni/bridge-cni';
import { renderCheckpointerUnit } from '../host/checkpointer/checkpointer-unit';
import { renderBootkubeUnit } from '../host/kubelet/bootkube-unit';
import { renderKubeletConfig, renderKubeletSysctl } from '../host/kubelet/kubelet-config';
import { renderKubeletUnit } from '../host/kubelet/kubelet-unit';
import { ClusterPki, defaultPkiDir } from '../pki';
import { OutputFile, writeFilesAtomic } from '../util';
import type { SelfHostedMasterPki } from '../synth/self-hosted-masters';
import { HostPaths, KubeconfigPaths, KubeletPkiPaths, PkiPaths } from '../pki/paths';
import {
  CLUSTER_OPTION_HELP,
  CliError,
  EXAMPLE_OPTION_HELP,
  SpecOptions,
  checkOutDir,
  loadSpecForCli,
  runCli,
} from './_common';

interface KubeletUnitOptions extends SpecOptions {
  readonly node: string;
  readonly out?: string;
  readonly bootkube?: boolean;
  readonly selfHosted?: boolean;
  readonly kubeletPath?: string;
  readonly bootkubeDir?: string;
  /** `--no-pki` sets this to false. */
  readonly pki?: boolean;
  readonly pkiDir?: string;
  /**
   * `--cloud-routes`: the node's CNI config template, containerd drop-in and masquerade unit also when
   * `networking.podNetwork` is `none` (with `cloud-routes` they are always written).
   */
  readonly cloudRoutes?: boolean;
  readonly podMtu?: string;
  readonly initPki?: boolean;
}

/**
 * Registers `hacp kubelet-unit --node <name> [--out DIR] [--bootkube | --self-hosted]`: writes the node's
 * `kubelet.service`, `kubelet-config.yaml` (its KubeletConfiguration) and `90-kubelet.conf` (sysctls), plus
 * `bootkube.service` on the first master with `--bootkube`, and on every master of a self-hosted control plane
 * (`--self-hosted`; `--bootkube` implies it) `hacp-checkpointer.service` and what the master runs by itself from its
 * first boot: its etcd member and kube-vip as static pods with their certificates and kube-vip.conf (the same bytes as
 * `dist/bootkube/masters/<master>/`), under `out/etc/kubernetes/`.
 */
export function registerKubeletCommands(program: Command): void {
  program
    .command('kubelet-unit')
    .description(
      "write a node's kubelet.service, KubeletConfiguration and sysctl file (and bootkube.service with --bootkube)",
    )
    .requiredOption('--node <name>', 'node (master or worker) from the cluster spec')
    .option('--out <dir>', 'output directory (default: host/<node>)')
    .option(
      '--bootkube',
      'self-hosted control plane, first master: also write bootkube.service (implies --self-hosted)',
    )
    .option(
      '--self-hosted',
      "self-hosted control plane, any master: also write hacp-checkpointer.service (full-reboot recovery of the API server) and the master's static pods (etcd member; kube-vip with loadBalancer.type kube-vip) with their certificates and kube-vip.conf, as dist/bootkube/masters/<master>/",
    )
    .option('--kubelet-path <path>', 'kubelet binary on the host', '/usr/bin/kubelet')
    .option(
      '--bootkube-dir <dir>',
      'bootkube.service directory on the host (assets/, cluster.yaml, done marker)',
      '/opt/bootkube',
    )
    .option('--no-pki', "do not write the kubelet's certificates and kubeconfig (only the units and the configuration)")
    .option(
      '--cloud-routes',
      "write the cloud-routes pod network files (the CNI config template containerd renders with the node's pod CIDR, its containerd drop-in, pod-masquerade.service) also when networking.podNetwork is none; with cloud-routes they are always written",
    )
    .option('--pod-mtu <bytes>', "cloud-routes pod network: MTU of the pods' interfaces (the node network's MTU)")
    .option('--pki-dir <dir>', 'PKI state directory (default: $HACP_PKI_DIR/<cluster name>, else pki/<cluster name>)')
    .option(
      '--init-pki',
      'make a new CA and PKI state in the state directory when it has none (otherwise that is an error)',
    )
    .option('--cluster <file>', CLUSTER_OPTION_HELP)
    .option('--example <name>', EXAMPLE_OPTION_HELP)
    .action((opts: KubeletUnitOptions) =>
      runCli(async () => {
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
          throw new CliError(
            `--bootkube: bootkube runs once, on the first master (${first}), not on ${opts.node}; write ${opts.node}'s units with --self-hosted instead`,
          );
        }
        const selfHosted = Boolean(opts.bootkube || opts.selfHosted);
        if (opts.selfHosted && role !== 'master') {
          throw new CliError(
            `--self-hosted: ${opts.node} is a worker; the API server and its checkpointer run on masters only`,
          );
        }
        const out = checkOutDir('--out', opts.out ?? path.join('host', opts.node));
        const files: Array<[string, string, string]> = [
          [
            'kubelet.service',
            renderKubeletUnit(spec, opts.node, { kubeletPath: opts.kubeletPath, selfHosted }),
            '/etc/systemd/system/kubelet.service',
          ],
          ['kubelet-config.yaml', renderKubeletConfig(spec, opts.node), HostPaths.kubeletConfig],
          ['90-kubelet.conf', renderKubeletSysctl(), '/etc/sysctl.d/90-kubelet.conf'],
        ];
        if (opts.bootkube)
          files.push([
            'bootkube.service',
            renderBootkubeUnit(spec, { directory: opts.bootkubeDir }),
            '/etc/systemd/system/bootkube.service',
          ]);
        // The pod network's host files: with networking.podNetwork cloud-routes on every node (what the `cluster` check
        // models), with --cloud-routes also for podNetwork none.
        if (opts.cloudRoutes && spec.networking.podNetwork === 'flannel') {
          throw new CliError(
            '--cloud-routes: networking.podNetwork is "flannel", whose DaemonSet writes its own CNI config (containerd renders the cloud-routes template only while /etc/cni/net.d holds none); set networking.podNetwork: cloud-routes in the cluster spec instead',
          );
        }
        const cloudRoutes = Boolean(opts.cloudRoutes) || spec.networking.podNetwork === 'cloud-routes';
        if (opts.podMtu !== undefined && !cloudRoutes)
          throw new CliError(
            '--pod-mtu: only with the cloud-routes pod network (networking.podNetwork: cloud-routes, or --cloud-routes)',
          );
        if (cloudRoutes) {
          const mtu = opts.podMtu === undefined ? undefined : Number(opts.podMtu);
          if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 576 && mtu <= 9216))
            throw new CliError(`--pod-mtu: '${opts.podMtu}' must be an integer from 576 to 9216`);
          files.push(
            ...nodePodNetworkFiles(spec, { mtu, force: opts.cloudRoutes }).map((f): [string, string, string] => [
              f.name,
              f.content,
              f.dest,
            ]),
          );
        }
        if (selfHosted)
          files.push([
            'hacp-checkpointer.service',
            renderCheckpointerUnit(spec, opts.node),
            '/etc/systemd/system/hacp-checkpointer.service',
          ]);
        // The kubelet's identity from the PKI state (made on first use, like synth does): kubelet.conf, the cluster CA,
        // and its client and serving pairs, laid out under `out/` as they go on the host (`etc/...`, `var/...`). On a
        // self-hosted master also its own static pods (etcd, kube-vip) and their certificates and kube-vip.conf.
        const pkiFiles: OutputFile[] = [];
        // Loaded here: only self-hosted masters need the constructs (cdk8s).
        const masters = selfHosted
          ? (require('../synth/self-hosted-masters') as typeof import('../synth/self-hosted-masters'))
          : undefined;
        const masterPods = masters?.buildSelfHostedMasters(spec, { masters: [opts.node] })[0];
        if (masterPods && opts.pki === false) {
          const noPki: SelfHostedMasterPki = { masterFiles: () => [], kubeVipFiles: () => [] };
          pkiFiles.push(
            ...masters!
              .selfHostedMasterFiles(spec, noPki, masterPods)
              .map((f) => ({ ...f, path: masters!.selfHostedMasterHostPath(f.path) })),
          );
        }
        if (opts.pki !== false) {
          const dir = opts.pkiDir ?? defaultPkiDir(spec);
          if (!ClusterPki.hasState(dir) && !opts.initPki) {
            throw new CliError(
              `${opts.pkiDir ? '--pki-dir: ' : ''}no PKI state in ${dir} (no ca.crt): the kubelet's identity comes from the cluster's state; run \`npm run synth\` first (it makes the state), point --pki-dir at the state, or pass --init-pki to make a new CA there (its nodes trust only that CA)`,
            );
          }
          const pki = await ClusterPki.ensure(spec, { dir, log: (l) => process.stderr.write(`${l}\n`) });
          const ca = pki.masterFiles(first).find((f) => f.path === 'pki/ca.crt')!;
          pkiFiles.push(
            { ...ca, path: PkiPaths.caCert.slice(1) },
            { path: KubeconfigPaths.kubelet.slice(1), content: pki.kubeconfig('kubelet', opts.node), mode: 0o600 },
            ...pki.kubeletFiles(opts.node),
          );
          if (masterPods)
            pkiFiles.push(
              ...masters!
                .selfHostedMasterFiles(spec, pki, masterPods)
                .map((f) => ({ ...f, path: masters!.selfHostedMasterHostPath(f.path) })),
            );
        }
        writeFilesAtomic(out, [...files.map(([name, content]) => ({ path: name, content, mode: 0o600 })), ...pkiFiles]);
        process.stdout.write(
          `wrote ${files.length + pkiFiles.length} files for ${opts.node} (${role}) to ${out}\ninstall them on ${opts.node}:\n`,
        );
        for (const [name, , dest] of files) process.stdout.write(`  install -D -m 0600 ${name} ${dest}\n`);
        const own = masterPods?.objects.length
          ? `; ${masterPods.objects.map((o) => `${o.metadata.name}.yaml`).join(', ')} into /etc/kubernetes/manifests${opts.pki !== false ? ' with their certificates' : ''}`
          : '';
        if (pkiFiles.length)
          process.stdout.write(
            `  cp -a ${[...new Set(pkiFiles.map((f) => f.path.split('/')[0]))]
              .sort()
              .map((d) => path.join(out, d))
              .join(
                ' ',
              )} /    (${opts.pki !== false ? "kubelet.conf, the CA, the kubelet's certificates" : 'the static pods'}${own}: modes kept)\n`,
          );
        if (cloudRoutes) {
          process.stdout.write(
            `  containerd ≥ 2.0: /etc/containerd/config.toml needs version = 3 and imports = ['${CniPaths.containerdImports}'];\n` +
              `  the bridge, host-local, loopback and portmap plugins in ${CniPaths.binDir}; no other file in ${CniPaths.confDir}\n` +
              `  (containerd renders ${CniPaths.renderedConf} from the template only while none exists)\n`,
          );
        }
        const cni = cloudRoutes ? ' && systemctl enable --now pod-masquerade && systemctl restart containerd' : '';
        if (opts.bootkube) {
          const dir = opts.bootkubeDir!.replace(/\/+$/, '');
          process.stdout.write(
            `  cp -a dist/bootkube ${dir}/assets && install -m 0600 <your cluster.yaml> ${dir}/cluster.yaml   (what hacp bootstrap reads; hacp itself installed as /usr/local/bin/hacp)\n`,
          );
        }
        process.stdout.write(
          `  sysctl --system && systemctl daemon-reload${cni} && systemctl enable --now kubelet${selfHosted ? ' hacp-checkpointer' : ''}${opts.bootkube ? ' && systemctl enable --now bootkube' : ''}\n`,
        );
        if (selfHosted)
          process.stdout.write(
            `hacp-checkpointer.service runs /usr/local/bin/hacp and /usr/bin/crictl: install both on ${opts.node} (docs/self-hosted.md, "Checkpointing")\n`,
          );

        if (role === 'master') {
          process.stdout.write(
            `node-role.kubernetes.io/control-plane= on ${opts.node} (a kubelet may not set node-role labels itself) is set through the API by ${opts.bootkube ? 'hacp bootstrap' : 'hacp cluster apply (hacp bootstrap on a self-hosted cluster)'}\n`,
          );
        }
        if (opts.pki === false)
          process.stdout.write(
            `--no-pki: install the kubelet's serving pair ${KubeletPkiPaths.servingCert} / .key yourself (hacp pki: ClusterPki.kubeletFiles)\n`,
          );
        if (opts.pki === false && masterPods?.objects.length)
          process.stdout.write(
            `--no-pki: the static pods need ${spec.etcd.external ? '' : '/etc/kubernetes/pki/etcd/* '}${spec.loadBalancer.type === 'kube-vip' ? '/etc/kubernetes/kube-vip.conf ' : ''}from dist/bootkube/masters/${opts.node}/\n`,
          );
      }),
    );
}
