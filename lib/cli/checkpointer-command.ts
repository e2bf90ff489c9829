import * as os from 'os';
import { Command } from 'commander';
import { CheckpointStore, acquireCheckpointerLock } from '../host/checkpointer/store';
import { HostLayout } from '../host/checkpointer/layout';
import { Checkpointer } from '../host/checkpointer/runner';
import { CrictlRuntime } from '../host/checkpointer/runtime';
import { CONTAINERD_ENDPOINT } from '../host/kubelet/kubelet-config';
import { CliError, runCli } from './_common';

interface RunOptions {
  readonly node: string;
  readonly nodeIp?: string;
  readonly port: string;
  readonly peer: string[];
  readonly interval: string;
  readonly once?: boolean;
  readonly root: string;
  readonly namespace: string;
  readonly daemonset: string;
  readonly activateAfter: string;
  readonly handoverAfter: string;
  readonly handoverTimeout: string;
  readonly parentGrace: string;
  readonly requestTimeout: string;
  readonly crictl: string;
  readonly runtimeEndpoint: string;
}

interface StatusOptions {
  readonly root: string;
  readonly namespace: string;
  readonly daemonset: string;
  readonly json?: boolean;
}

/** A non-negative number of seconds from a flag, in milliseconds. */
function ms(flag: string, value: string, min = 0): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min)
    throw new CliError(`${flag}: ${JSON.stringify(value)} is not a number of seconds${min ? ` >= ${min}` : ''}`);
  return Math.round(n * 1000);
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * Registers `hacp checkpointer run` (the host service of self-hosted masters, see docs/self-hosted.md) and
 * `hacp checkpointer status`.
 */
export function registerCheckpointerCommands(program: Command): void {
  const cmd = program
    .command('checkpointer')
    .description(
      'full-reboot recovery of a self-hosted API server: a host service on every master (hacp-checkpointer.service)',
    );
  const where = (c: Command) =>
    c
      .option('--root <dir>', 'directory standing for / (tests)', '/')
      .option('--namespace <ns>', 'namespace of the API server DaemonSet', 'kube-system')
      .option('--daemonset <name>', 'the DaemonSet whose pod on this node is checkpointed', 'kube-apiserver');

  where(
    cmd
      .command('run')
      .description(
        [
          "keep the last good copy of this master's API server pod and the Secrets and ConfigMaps it mounts under",
          "/etc/kubernetes/checkpoints (read with the kubelet's credentials while the API answers); when no API server answers",
          "and none runs here, start it as the static pod kube-apiserver-checkpoint; remove it once the DaemonSet's pod runs again",
        ].join(' '),
      )
      .option(
        '--node <name>',
        "this node's name, as its kubelet registers it (the host name)",
        os.hostname().toLowerCase(),
      )
      .option('--node-ip <ip>', "this node's IP: its API server is asked there too")
      .option('--port <port>', "the API servers' port (spec.apiServerPort)", '6443')
      .option('--peer <url>', "another master's API server, https://<ip>:<port> (repeat for each)", collect, [])
      .option('--interval <seconds>', 'seconds between rounds', '10')
      .option('--once', 'one round, then exit (1 if it had an error)')
      .option(
        '--activate-after <seconds>',
        'seconds without any API server answering before the checkpoint starts',
        '30',
      )
      .option(
        '--handover-after <seconds>',
        'seconds the handover conditions must hold before the checkpoint stops',
        '30',
      )
      .option('--handover-timeout <seconds>', 'seconds after a handover before the checkpoint may start again', '360')
      .option(
        '--parent-grace <seconds>',
        'seconds the API must list no pod of the DaemonSet here before the checkpoints are deleted',
        '300',
      )
      .option('--request-timeout <seconds>', 'timeout of each API request', '5')
      .option('--crictl <path>', 'crictl binary', 'crictl')
      .option('--runtime-endpoint <endpoint>', 'CRI endpoint', CONTAINERD_ENDPOINT),
  ).action((opts: RunOptions) =>
    runCli(async () => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new CliError(`--port: ${JSON.stringify(opts.port)} is not a TCP port`);
      const interval = ms('--interval', opts.interval, 1);
      let checkpointer: Checkpointer;
      try {
        checkpointer = new Checkpointer({
          node: opts.node,
          nodeIp: opts.nodeIp,
          port,
          peers: opts.peer,
          root: opts.root,
          namespace: opts.namespace,
          daemonSet: opts.daemonset,
          requestTimeoutMs: ms('--request-timeout', opts.requestTimeout, 1),
          runtime: new CrictlRuntime({ crictl: opts.crictl, endpoint: opts.runtimeEndpoint }),
          timings: {
            activateAfterMs: ms('--activate-after', opts.activateAfter),
            handoverAfterMs: ms('--handover-after', opts.handoverAfter),
            handoverTimeoutMs: ms('--handover-timeout', opts.handoverTimeout),
            parentGraceMs: ms('--parent-grace', opts.parentGrace),
          },
        });
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError(`--${(e as Error).message}`);
      }
      let release: () => void;
      try {
        release = acquireCheckpointerLock(checkpointer.layout);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      try {
        if (opts.once) {
          await checkpointer.tick();
          return checkpointer.lastRoundErrors ? 1 : 0;
        }
        process.stdout.write(
          `checkpointer for ${opts.node} (${checkpointer.namespace}/${checkpointer.daemonSet}): round every ${interval / 1000}s, ${opts.peer.length} peer(s)\n`,
        );
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
        try {
          await checkpointer.run(interval, stop.signal);
        } finally {
          process.removeListener('SIGTERM', onSignal);
          process.removeListener('SIGINT', onSignal);
        }
        return 0;
      } finally {
        release();
      }
    }),
  );

  where(
    cmd
      .command('status')
      .description(
        'print the checkpoints on this node: generations (verified against their digests) and the active one; exit 1 when there is no good checkpoint',
      )
      .option('--json', 'print JSON'),
  ).action((opts: StatusOptions) =>
    runCli(() => {
      const store = new CheckpointStore(new HostLayout(opts.root), opts.namespace, opts.daemonset);
      const s = store.inspect();
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify(
            {
              dir: store.hostDir,
              good: s.good,
              active: s.active,
              generations: s.generations.map((g) => ({
                generation: g.generation,
                ok: !g.problem,
                problem: g.problem,
                createdAt: g.meta?.createdAt,
                parent: g.meta?.parent,
                digest: g.meta?.digest,
              })),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        process.stdout.write(`checkpoints of ${opts.namespace}/${opts.daemonset} in ${store.hostDir}:\n`);
        if (!s.generations.length) process.stdout.write('  none\n');
        for (const g of s.generations) {
          process.stdout.write(
            `  ${g.generation}  ${g.problem ? `CORRUPT: ${g.problem}` : `ok  ${g.meta!.createdAt}  from ${g.meta!.parent.name}`}${g.generation === s.good?.generation ? '  (newest good)' : ''}\n`,
          );
        }
        process.stdout.write(
          s.active
            ? `active: ${s.active.generation ?? 'unreadable manifest'}${s.active.intact ? '' : ' (DAMAGED)'}: the checkpoint is this node's API server\n`
            : "active: no (the DaemonSet's pod serves, or nothing to serve yet)\n",
        );
      }
      return s.good ? 0 : 1;
    }),
  );
}
