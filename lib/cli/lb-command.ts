import * as path from 'path';
import { Command } from 'commander';
import { renderHaproxyConfig } from '../host/lb/haproxy';
import { renderKeepalivedConfig } from '../host/lb/keepalived';
import { OctaviaDriver, OctaviaError, renderOctaviaPlan } from '../host/lb/octavia';
import { writeFilesAtomic } from '../util/files';
import { ResolvedClusterSpec } from '../spec';
import {
  CLUSTER_OPTION_HELP,
  CliError,
  EXAMPLE_OPTION_HELP,
  SpecOptions,
  checkOutDir,
  loadSpecForCli,
  runCli,
} from './_common';

interface LbOptions extends SpecOptions {
  readonly out?: string;
  readonly timeout?: string;
  readonly pollInterval?: string;
}

/** The haproxy files of every master: `<master>/haproxy.cfg` and `<master>/keepalived.conf`. */
function haproxyFiles(spec: ResolvedClusterSpec): Array<[string, string]> {
  const warn = spec.apiEndpoint.port === spec.apiServerPort;
  if (warn) {
    process.stderr.write(
      `warning: HAProxy binds *:${spec.apiEndpoint.port} on the masters, the API servers' own port; give apiEndpoint.port another port (e.g. 443) or bind the API servers to their node IPs only\n`,
    );
  }
  const cfg = renderHaproxyConfig(spec);
  return spec.masters.flatMap((m): Array<[string, string]> => [
    [path.join(m.name, 'haproxy.cfg'), cfg],
    [path.join(m.name, 'keepalived.conf'), renderKeepalivedConfig(spec, { node: m.name })],
  ]);
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag}: ${JSON.stringify(value)} is not a number of seconds`);
  return n;
}

function driver(spec: ResolvedClusterSpec, opts: LbOptions): OctaviaDriver {
  return new OctaviaDriver(spec, {
    timeoutSeconds: seconds('--timeout', opts.timeout),
    pollIntervalSeconds: seconds('--poll-interval', opts.pollInterval),
    log: (line) => process.stdout.write(`${line}\n`),
  });
}

async function octaviaErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof OctaviaError) throw new CliError(e.message);
    throw e;
  }
}

function nothingToDo(spec: ResolvedClusterSpec, verb: string): string | undefined {
  switch (spec.loadBalancer.type) {
    case 'none':
      return `loadBalancer.type is "none": nothing to ${verb} (clients use ${spec.apiServerUrl} directly)`;
    case 'kube-vip':
      return `loadBalancer.type is "kube-vip": nothing to ${verb} here; kube-vip runs as a static pod on every master (kube-vip.yaml next to the other static pods, written by 'npm run synth')`;
    default:
      return undefined;
  }
}

/**
 * Registers `hacp lb plan | apply | destroy` for the API load balancer of the spec's `loadBalancer.type`:
 * octavia drives the `openstack` CLI; haproxy writes `haproxy.cfg` + `keepalived.conf` per master; kube-vip and none
 * have nothing to do here.
 */
export function registerLbCommands(program: Command): void {
  const lb = program
    .command('lb')
    .description('the load balancer in front of the API servers (loadBalancer in the spec)');
  const specOptions = (c: Command) =>
    c.option('--cluster <file>', CLUSTER_OPTION_HELP).option('--example <name>', EXAMPLE_OPTION_HELP);

  specOptions(
    lb
      .command('plan')
      .description(
        'print what apply does: the exact openstack commands (octavia) or the files (haproxy); runs nothing',
      ),
  ).action((opts: LbOptions) =>
    runCli(() => {
      const spec = loadSpecForCli(opts);
      const skip = nothingToDo(spec, 'plan');
      if (skip) return void process.stdout.write(`${skip}\n`);
      if (spec.loadBalancer.type === 'octavia') return void process.stdout.write(renderOctaviaPlan(spec));
      for (const [file, text] of haproxyFiles(spec)) process.stdout.write(`### ${file}\n${text}\n`);
    }),
  );

  specOptions(
    lb
      .command('apply')
      .description(
        'octavia: create the missing load balancer resources; haproxy: write haproxy.cfg and keepalived.conf per master',
      )
      .option('--out <dir>', 'haproxy: output directory', path.join('host', 'lb'))
      .option(
        '--timeout <seconds>',
        'octavia: wait at most this long for ACTIVE after each change (default: loadBalancer.octavia.timeoutSeconds, 300)',
      )
      .option('--poll-interval <seconds>', 'octavia: seconds between status polls', '5'),
  ).action((opts: LbOptions) =>
    runCli(async () => {
      const spec = loadSpecForCli(opts);
      const skip = nothingToDo(spec, 'apply');
      if (skip) return void process.stdout.write(`${skip}\n`);
      if (spec.loadBalancer.type === 'octavia') return void (await octaviaErrors(() => driver(spec, opts).apply()));
      const out = checkOutDir('--out', opts.out!);
      const files = haproxyFiles(spec);
      writeFilesAtomic(
        out,
        files.map(([file, content]) => ({ path: file, content, mode: 0o600 })),
      );
      process.stdout.write(
        `wrote ${files.length} files to ${out}; on each master: install -m 0600 <master>/haproxy.cfg /etc/haproxy/haproxy.cfg, <master>/keepalived.conf /etc/keepalived/keepalived.conf; haproxy -c -f /etc/haproxy/haproxy.cfg; systemctl restart haproxy keepalived\n`,
      );
    }),
  );

  specOptions(
    lb
      .command('destroy')
      .description(
        'octavia: delete the load balancer resources in reverse order (floating IP association, listener, health monitor, members, pool, load balancer)',
      )
      .option(
        '--timeout <seconds>',
        'wait at most this long for each change (default: loadBalancer.octavia.timeoutSeconds, 300)',
      )
      .option('--poll-interval <seconds>', 'seconds between status polls', '5'),
  ).action((opts: LbOptions) =>
    runCli(async () => {
      const spec = loadSpecForCli(opts);
      const skip = nothingToDo(spec, 'destroy');
      if (skip) return void process.stdout.write(`${skip}\n`);
      if (spec.loadBalancer.type === 'haproxy')
        throw new CliError(
          'loadBalancer.type is "haproxy": hacp only wrote files; stop haproxy and keepalived on the masters and remove their configs yourself',
        );
      await octaviaErrors(() => driver(spec, opts).destroy());
    }),
  );
}
