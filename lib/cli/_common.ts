import { EXAMPLE_CLUSTERS, ResolvedClusterSpec, SpecValidationError, loadClusterSpec } from '../spec';

/** Raised for user errors the CLI reports as a readable message with exit code 1 (no stack trace). */
export class CliError extends Error {
  constructor(message: string, public readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** The options every command that reads the cluster spec accepts. */
export interface SpecOptions {
  /** `--cluster FILE` */
  readonly cluster?: string;
  /** `--example static|bootkube`: which built-in example to use when there is no cluster file. */
  readonly example?: string;
}

/** Loads the spec the way the apps do; warnings go to stderr. */
export function loadSpecForCli(options: SpecOptions): ResolvedClusterSpec {
  const example = EXAMPLE_CLUSTERS[options.example ?? 'static'];
  if (!example) throw new CliError(`--example: '${options.example}' is not one of ${Object.keys(EXAMPLE_CLUSTERS).join(', ')}`);
  return loadClusterSpec({ file: options.cluster, example, onWarning: (w) => process.stderr.write(`warning: ${w}\n`) }).spec;
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

/** Prints an error for a human; returns the exit code. Stack traces only for bugs (not user errors). */
export function reportError(e: unknown): number {
  if (e instanceof SpecValidationError) {
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  if (e instanceof CliError) {
    process.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 2;
}
