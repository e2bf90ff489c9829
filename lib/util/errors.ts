/**
 * How hacp and a cluster repo's synth report an error to a person: one message and an exit code (1: the user has
 * something to fix, 2: it could not run), the stack only with `HACP_DEBUG=1`.
 */
import { describeFsError, firstLine, isFsError, isUserFsError } from './fs-errors';

/** Raised for user errors the CLI reports as a readable message with exit code 1 (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    /** The process exit code: 1 for what the user has to fix, 2 when the command could not run. */
    public readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Environment variable: `1` adds stack traces to error messages. */
export const DEBUG_ENV = 'HACP_DEBUG';

/** The errors that mean "the user has something to fix" (exit code 1), by class name. */
const USER_ERRORS = ['SpecValidationError', 'PkiError', 'OctaviaError', 'SynthClusterError'];

/** The error's `name` and the names of the classes it is an instance of (its prototype chain, up to Error). */
function classNames(e: unknown): Set<string> {
  const names = new Set<string>();
  if (typeof e !== 'object' || e === null) return names;
  if (typeof (e as Error).name === 'string') names.add((e as Error).name);
  for (
    let proto = Object.getPrototypeOf(e);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    if (typeof proto.constructor?.name === 'string') names.add(proto.constructor.name);
  }
  return names;
}

/**
 * Prints an error for a human and returns the exit code: 1 for what the user has to fix (a bad spec, a damaged PKI
 * state, a path that is wrong), 2 for "could not run" (a full disk, an I/O error, a bug). One message naming the file
 * and what to do; stack traces only with `HACP_DEBUG=1`.
 */
export function reportError(e: unknown, env: NodeJS.ProcessEnv = process.env): number {
  const debug = /^(1|true|yes|on)$/i.test(env[DEBUG_ENV] ?? '');
  const print = (message: string) => {
    process.stderr.write(`error: ${message}\n`);
    if (debug) process.stderr.write(`${stackOf(e)}\n`);
  };
  if (e instanceof CliError) {
    print(e.message);
    return e.exitCode;
  }
  // Known by class name, not imported: this module stays below the spec, the PKI and the drivers (and loads none of
  // them). Subclasses count (SpecNotFoundError is a SpecValidationError).
  const names = classNames(e);
  if (USER_ERRORS.some((n) => names.has(n))) {
    print((e as Error).message);
    return 1;
  }
  if (names.has('OutputLockBusyError')) {
    print((e as Error).message);
    return 2;
  }
  if (isFsError(e)) {
    print(describeFsError(e));
    return isUserFsError(e) ? 1 : 2;
  }
  const message =
    typeof (e as Error | undefined)?.message === 'string' ? firstLine((e as Error).message) : firstLine(String(e));
  print(debug ? message : `${message}\n(an internal error: ${DEBUG_ENV}=1 shows where; please report it)`);
  return 2;
}

function stackOf(e: unknown): string {
  const parts: string[] = [];
  for (let cur: any = e, depth = 0; cur && depth < 5; cur = cur.cause, depth++) parts.push(cur?.stack ?? String(cur));
  return parts.join('\ncaused by: ');
}
