import * as fs from 'fs';
import * as path from 'path';
import { EXAMPLE_CLUSTERS, ResolvedClusterSpec, loadClusterSpec, resolveSpec } from '../spec';
import { CliError, reportError } from '../util/errors';
import { describeFsError, fileKind, isFsError } from '../util/fs-errors';

export { CliError, DEBUG_ENV, reportError } from '../util/errors';

/** The options every command that reads the cluster spec accepts. */
export interface SpecOptions {
  /** `--cluster FILE` */
  readonly cluster?: string;
  /** `--example static|bootkube`: use a built-in example instead of a spec file. */
  readonly example?: string;
}

/** Help text of `--cluster`. */
export const CLUSTER_OPTION_HELP =
  'cluster spec: cluster.yaml, or a .js/.ts module exporting a ClusterSpec (default: $HACP_CLUSTER, else ./cluster.yaml)';
/** Help text of `--example`. */
export const EXAMPLE_OPTION_HELP = `use a built-in example cluster instead of a spec file: ${Object.keys(EXAMPLE_CLUSTERS).join(' | ')}`;
/** What to do when there is no spec, for the not-found message. */
const NOT_FOUND_HINT = `write ./cluster.yaml (\`hacp init\` scaffolds a cluster repo with one), pass --cluster FILE (cluster.yaml, or a .js/.ts module exporting the spec), or use a built-in example with --example ${Object.keys(EXAMPLE_CLUSTERS).join('|')}`;

/**
 * The spec of a command: `--example NAME` when given (and only then a built-in example), else `--cluster FILE`,
 * `$HACP_CLUSTER` or `./cluster.yaml`; none of them is an error naming each place looked at. Warnings go to stderr.
 */
export function loadSpecForCli(options: SpecOptions): ResolvedClusterSpec {
  const onWarning = (w: string) => process.stderr.write(`warning: ${w}\n`);
  if (options.example !== undefined) {
    const example = EXAMPLE_CLUSTERS[options.example];
    if (!example)
      throw new CliError(
        `--example: ${JSON.stringify(options.example)} is not one of ${Object.keys(EXAMPLE_CLUSTERS).join(', ')}`,
      );
    if (options.cluster !== undefined)
      throw new CliError('--cluster and --example: give one of them (a spec file, or a built-in example)');
    return resolveSpec(example, { source: `built-in example ${options.example}`, onWarning });
  }
  return loadClusterSpec({ file: options.cluster, onWarning, notFoundHint: NOT_FOUND_HINT }).spec;
}

/**
 * Checks an output directory option: it may exist as a directory or not exist yet; anything else (a file, a FIFO)
 * is an error naming the option.
 */
export function checkOutDir(option: string, dir: string): string {
  const abs = path.resolve(dir);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs, { throwIfNoEntry: false });
  } catch (e) {
    if (isFsError(e)) throw new CliError(`${option}: ${describeFsError(e, dir)}`);
    throw e;
  }
  if (st && !st.isDirectory())
    throw new CliError(
      `${option}: ${dir} is ${fileKind(st)}, not a directory; name a directory (it is created if missing)`,
    );
  return abs;
}

/** Runs a command body, turning user errors into a message on stderr and a non-zero exit code. */
export async function runCli(body: () => Promise<number | void> | number | void): Promise<void> {
  try {
    const code = await body();
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    process.exitCode = reportError(e);
  }
}
