/**
 * File helpers shared by every part that writes or reads trees on disk: the PKI state, the synthesized trees, the
 * `hacp` host files, verify and the caches. Writes are atomic (temp file + rename) and keep exact modes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readRegularFile } from './fs-errors';

/** A file to write: a manifest, certificate, key, kubeconfig or configuration file. */
export interface OutputFile {
  /** POSIX path relative to the directory it is written under (e.g. `pki/ca.crt` under `/etc/kubernetes`). */
  readonly path: string;
  /** The file's text, written as UTF-8 exactly as given. */
  readonly content: string;
  /** File mode: 0o600 for keys and kubeconfigs, 0o644 for certificates and public keys. */
  readonly mode: number;
}

/** Options for `writeFileAtomic()`. */
export interface WriteFileOptions {
  /**
   * Refuse to replace an existing file whose content differs (used for CA files: a CA is never overwritten).
   * @default false
   */
  readonly noClobber?: boolean;
  /**
   * fsync the file before it replaces the old one (durable across power loss, not only process death).
   * @default false
   */
  readonly fsync?: boolean;
}

/** True when `mode` gives nobody but the owner access: such files make their directory private (0700). */
export function isPrivateMode(mode: number): boolean {
  return (mode & 0o077) === 0;
}

/** Numbers the temp files of this process. */
let tmpCounter = 0;

/**
 * Writes one file atomically: a temp file in the same directory, then rename (or, with `noClobber`, a hard link
 * that fails if the target appeared meanwhile). A reader sees the old content or the new, never a partial file.
 * Returns false when the file already had this content (its mode is still corrected).
 */
export function writeFileAtomic(file: string, content: string, mode: number, options: WriteFileOptions = {}): boolean {
  const existing = readIfExists(file);
  if (existing !== undefined) {
    if (existing === content) {
      if ((fs.statSync(file).mode & 0o777) !== mode) fs.chmodSync(file, mode);
      return false;
    }
    if (options.noClobber) throw new Error(`${file} exists with different content; refusing to overwrite it`);
  }
  // pid + counter: unique within this run; the random part keeps a stale file of a crashed run with a reused pid from
  // colliding ('wx' would refuse it). Not a secret: no CSPRNG call needed.
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.tmp-${process.pid}-${++tmpCounter}-${Math.random().toString(36).slice(2, 8)}`,
  );
  try {
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.writeSync(fd, content);
      fs.fchmodSync(fd, mode); // the umask may have masked bits off
      if (options.fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (options.noClobber) {
      try {
        fs.linkSync(tmp, file);
      } catch (e: any) {
        if (e.code !== 'EEXIST' || readIfExists(file) !== content) {
          throw e.code === 'EEXIST'
            ? new Error(`${file} appeared meanwhile with different content; refusing to overwrite it`)
            : e;
        }
      }
      fs.unlinkSync(tmp);
    } else {
      fs.renameSync(tmp, file);
    }
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw e;
  }
  return true;
}

/**
 * Creates a directory (and its parents) if needed. `isPrivate` makes it 0700; parents it creates are 0755, or 0700
 * with `privateParents` (inside the PKI state directory everything is private).
 */
export function ensureDir(dir: string, isPrivate: boolean, privateParents = false): void {
  fs.mkdirSync(dir, { recursive: true, mode: privateParents ? 0o700 : 0o755 });
  if (isPrivate && (fs.statSync(dir).mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

/**
 * Writes files under `root` (created if needed): each atomically (temp file + rename) with its mode. A directory
 * that directly holds a private file (mode 0600: keys, kubeconfigs) is made 0700, other directories it creates are
 * 0755; `root` itself is left as it is when it exists. Paths must stay inside `root`.
 */
export function writeFilesAtomic(root: string, files: OutputFile[]): void {
  const rootAbs = path.resolve(root);
  fs.mkdirSync(rootAbs, { recursive: true, mode: 0o755 });
  const privateDirs = new Set(
    files.filter((f) => isPrivateMode(f.mode)).map((f) => path.dirname(resolveInside(rootAbs, f.path))),
  );
  const ready = new Set<string>();
  for (const f of files) {
    const file = resolveInside(rootAbs, f.path);
    const dir = path.dirname(file);
    if (!ready.has(dir)) {
      ensureDir(dir, dir !== rootAbs && privateDirs.has(dir));
      ready.add(dir);
    }
    writeFileAtomic(file, f.content, f.mode);
  }
}

function resolveInside(root: string, rel: string): string {
  const file = path.resolve(root, rel);
  if (path.isAbsolute(rel) || !file.startsWith(root + path.sep)) {
    throw new Error(`file path '${rel}' must be relative and stay inside ${root}`);
  }
  return file;
}

/** One entry of `walkTree()`. */
export interface TreeEntry {
  /** Path relative to the root, with `/` separators. */
  readonly rel: string;
  /** Absolute path (`root` joined with `rel`; absolute when `root` is). */
  readonly abs: string;
  /** `other`: a symlink, socket, device... (never followed). */
  readonly kind: 'directory' | 'file' | 'other';
}

/**
 * Every entry under `root`, depth first, each directory's entries sorted by name (a directory before its contents;
 * symlinks are listed as `other`, not followed). None when `root` does not exist.
 */
export function walkTree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (dir: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e: any) {
      if (e.code === 'ENOENT' && dir === root) return;
      throw e;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = prefix + entry.name;
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        out.push({ rel, abs, kind: 'directory' });
        walk(abs, `${rel}/`);
      } else {
        out.push({ rel, abs, kind: entry.isFile() ? 'file' : 'other' });
      }
    }
  };
  walk(root, '');
  return out;
}

/** Size, mtime, ctime and inode of a file: a rewrite (a build, an install) changes it without reading the bytes. */
export function fileStamp(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  return [st.size, st.mtimeNs, st.ctimeNs, st.ino].join('\0');
}

/** The file's text, or undefined when it does not exist. */
export function readIfExists(file: string): string | undefined {
  return readWithMode(file)?.content;
}

/**
 * The file's text and permission bits, or undefined when it does not exist. A directory, FIFO, socket or device at
 * the path throws `NotARegularFileError` at once (a FIFO is never opened for a blocking read).
 */
export function readWithMode(file: string):
  | {
      /** The file's text, decoded as UTF-8. */
      content: string;
      /** The file's permission bits (e.g. `0o600`), without the file type. */
      mode: number;
    }
  | undefined {
  // One stat, no ENOENT exception for the common case (synth writes a whole tree into a dist/ the CLI just deleted,
  // and an exception per missing file is costly).
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) return undefined;
  try {
    return readRegularFile(file);
  } catch (e: any) {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
}
