/**
 * Reading the user's files (the spec, the PKI state, credential files) without surprises: a FIFO or a device is
 * refused instead of read (a read would block or never end), and file-system errors become one readable sentence.
 */
import * as fs from 'fs';

/** A path that must be a regular file is something else: a directory, a FIFO, a socket or a device. */
export class NotARegularFileError extends Error {
  /** `ENOTREG`-like code, for callers that switch on `code` as for file-system errors. */
  readonly code = 'EFTYPE';
  constructor(
    /** The path that is not a regular file. */
    readonly path: string,
    /** What it is instead, for messages: `a directory`, `a FIFO (named pipe)`, `a socket`, ... (`fileKind()`). */
    readonly kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file`);
    this.name = 'NotARegularFileError';
  }
}

/** What a non-regular file is, for messages. */
export function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return st.isFile() ? 'a regular file' : 'not a regular file';
}

/**
 * Reads a regular file as UTF-8. The file is opened non-blocking and checked with fstat before anything is read, so
 * a FIFO with no writer, a device or a directory fails at once with `NotARegularFileError` instead of blocking.
 * File-system errors (ENOENT, EACCES, ...) are thrown as they are.
 */
export function readRegularFile(file: string): {
  /** The file's content, decoded as UTF-8. */
  content: string;
  /** The file's permission bits (`0o600`), without the file type. */
  mode: number;
} {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new NotARegularFileError(file, fileKind(st));
    return { content: fs.readFileSync(fd, 'utf8'), mode: st.mode & 0o777 };
  } finally {
    fs.closeSync(fd);
  }
}

/** File-system error codes that mean "fix this path" (exit 1), not "could not run" (exit 2). */
const USER_CODES = new Set([
  'ENOENT',
  'EACCES',
  'EPERM',
  'EISDIR',
  'ENOTDIR',
  'EEXIST',
  'ELOOP',
  'ENAMETOOLONG',
  'EROFS',
  'EFTYPE',
  'ENOTEMPTY',
]);

/** A Node file-system error that carries its code. */
export interface FsError extends NodeJS.ErrnoException {
  /** The error code, like `ENOENT` or `EACCES`. */
  readonly code: string;
}

/**
 * A file-system error (`e.code` like `ENOENT`), as Node's `fs` throws them. Duck-typed: errors made in another realm
 * (a VM context, as jest runs tests in) are not `instanceof Error` here.
 */
export function isFsError(e: unknown): e is FsError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as Error).message === 'string' &&
    typeof code === 'string' &&
    /^E[A-Z]+$/.test(code)
  );
}

/** True when a file-system error is the user's to fix (a missing file, a permission, a file where a directory goes). */
export function isUserFsError(e: unknown): boolean {
  return isFsError(e) && USER_CODES.has(e.code);
}

/**
 * A file-system error as one sentence naming the path and what to do, e.g.
 * `pki/kubernetes/ca.key: permission denied (EACCES): the user running hacp (uid 1000) cannot read it; fix its owner or mode`.
 * `file` overrides the error's own path (Node's messages name only one of two paths).
 */
export function describeFsError(e: NodeJS.ErrnoException, file?: string): string {
  if (e instanceof NotARegularFileError)
    return `${file ?? e.path} is ${e.kind}, not a regular file; replace it with the file or remove it`;
  const where = file ?? e.path ?? (e as { dest?: string }).dest ?? '(unknown path)';
  const uid = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
  const what: Record<string, string> = {
    ENOENT: 'does not exist',
    EACCES: `permission denied (EACCES): the user running hacp${uid} may not use it; fix its owner or mode`,
    EPERM: `operation not permitted (EPERM): the user running hacp${uid} may not change it; fix its owner or mode`,
    EISDIR: 'is a directory, where a file was expected',
    ENOTDIR:
      'is not a directory, or a part of the path is a file (ENOTDIR); move that file away or choose another path',
    EEXIST: 'already exists (EEXIST)',
    ELOOP: 'is a loop of symbolic links (ELOOP)',
    ENAMETOOLONG: 'is too long a path (ENAMETOOLONG)',
    EROFS: 'is on a read-only file system (EROFS)',
    ENOSPC: 'no space left on the device (ENOSPC); free some space and run again',
    EDQUOT: 'disk quota exceeded (EDQUOT); free some space and run again',
    EIO: 'input/output error (EIO): the disk or file system failed',
    EMFILE: 'too many open files (EMFILE)',
    ENOTEMPTY: 'is a directory that is not empty (ENOTEMPTY)',
  };
  return `${where}: ${what[e.code ?? ''] ?? `${e.code}: ${firstLine(e.message)}`}`;
}

/** The first line of a message, at most 300 characters. */
export function firstLine(message: string): string {
  const line = String(message).split('\n')[0];
  return line.length > 300 ? `${line.slice(0, 300)}... (${line.length} characters)` : line;
}
