import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { walkTree } from '../util/files';
import type { X509Certificate } from '../util/x509';

/** One file of a synthesized tree. */
export interface AssetFile {
  /** Path relative to the tree root, with `/` separators. */
  readonly rel: string;
  /** Absolute path on this machine. */
  readonly abs: string;
  /** Permission bits (`0o600`). */
  readonly mode: number;
  /** The file's text (undefined for binary or large files). */
  readonly text?: string;
  /** YAML documents that are mappings (Kubernetes objects, kubeconfigs, component configs). */
  readonly docs: any[];
  /** YAML syntax error, when the file looked like YAML and did not parse. */
  readonly parseError?: string;
  /** Parsed PEM certificate(s) (`.crt`, `.pem` files). */
  readonly certs: X509Certificate[];
  /** True for private-key files (`.key`, `-key.pem`). */
  readonly isKey: boolean;
}

/** A synthesized tree on disk. */
export interface AssetTree {
  /** The directory that was read. */
  readonly root: string;
  /** Every file under it (symlinks not followed). */
  readonly files: AssetFile[];
  /** Relative paths of the directories. */
  readonly dirs: Set<string>;
}

const YAML_EXT = /\.(ya?ml|conf|kubeconfig|json)$/;
const MAX_TEXT = 4 * 1024 * 1024;

/** Reads every file under `root` (symlinks are not followed). Throws when `root` is not a directory. */
export function loadTree(root: string): AssetTree {
  const stat = fs.statSync(root);
  if (!stat.isDirectory()) throw new Error(`${root} is not a directory`);
  const files: AssetFile[] = [];
  const dirs = new Set<string>(['.']);
  for (const entry of walkTree(root)) {
    if (entry.kind === 'directory') dirs.add(entry.rel);
    else if (entry.kind === 'file') files.push(readAsset(entry.abs, entry.rel));
  }
  return { root, files, dirs };
}

function readAsset(abs: string, rel: string): AssetFile {
  const st = fs.statSync(abs);
  const mode = st.mode & 0o777;
  const base = path.basename(rel);
  const isKey = /\.key$|-key\.pem$/.test(base);
  const raw = st.size <= MAX_TEXT ? fs.readFileSync(abs) : undefined;
  const text = raw && !raw.includes(0) ? raw.toString('utf8') : undefined;
  const certs: crypto.X509Certificate[] = [];
  if (text && !isKey && /-----BEGIN CERTIFICATE-----/.test(text)) {
    for (const block of text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
      try {
        certs.push(new crypto.X509Certificate(block));
      } catch {
        // reported by the certificate checks as unreadable
      }
    }
  }
  let docs: any[] = [];
  let parseError: string | undefined;
  // Kubeconfigs without an extension (bootkube's auth/kubeconfig) are YAML too.
  if (text && !isKey && !certs.length && (YAML_EXT.test(base) || !base.includes('.'))) {
    const parsed = parseAllDocuments(text, { prettyErrors: false });
    const list = Array.isArray(parsed) ? parsed : [parsed];
    const errors = list.flatMap((d: any) => d.errors ?? []);
    if (errors.length && YAML_EXT.test(base)) parseError = String(errors[0].message).split('\n')[0];
    if (!errors.length) docs = list.map((d) => d.toJS()).filter((d) => d && typeof d === 'object' && !Array.isArray(d));
  }
  return { rel, abs, mode, text, docs, parseError, certs, isKey };
}

/** The file at a relative path, if any. */
export function fileAt(tree: AssetTree, rel: string): AssetFile | undefined {
  const norm = path.posix.normalize(rel);
  return tree.files.find((f) => f.rel === norm);
}

/** True when `rel` is a file or directory of the tree. */
export function existsInTree(tree: AssetTree, rel: string): boolean {
  const norm = path.posix.normalize(rel);
  return tree.dirs.has(norm) || tree.files.some((f) => f.rel === norm);
}

/** Kubernetes objects (`apiVersion` + `kind`) of a file. */
export function objectsOf(file: AssetFile): any[] {
  return file.docs.filter((d) => typeof d.apiVersion === 'string' && typeof d.kind === 'string');
}
