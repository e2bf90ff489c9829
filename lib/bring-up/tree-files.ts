import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object read from a tree file (only the fields the bring-up reads are typed). */
export interface TreeObject {
  /** The object's `apiVersion`, e.g. `apps/v1` (always present: a document without one is refused). */
  readonly apiVersion: string;
  /** The object's `kind`, e.g. `DaemonSet` (always present). */
  readonly kind: string;
  /** The object's metadata (only the fields the bring-up reads). */
  readonly metadata: {
    /** `metadata.name` (always present). */
    readonly name: string;
    /** `metadata.namespace`, when the file sets one (the bring-up reads an absent one as `default`). */
    readonly namespace?: string;
    /** `metadata.labels`. */
    readonly labels?: Record<string, string>;
  };
  /** The object's `spec`, untyped (the bring-up reads a workload's `spec.selector.matchLabels`). */
  readonly spec?: any;
}

/** The objects of a YAML file (every document; empty documents skipped). Throws naming the file on a parse error. */
export function readObjects(file: string): TreeObject[] {
  const text = fs.readFileSync(file, 'utf8');
  const docs = parseAllDocuments(text);
  const out: TreeObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${file}: not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    const obj = doc.toJS();
    if (obj == null) continue;
    if (typeof obj !== 'object' || !obj.kind || !obj.apiVersion || !obj.metadata?.name) {
      throw new Error(`${file}: a document without apiVersion, kind and metadata.name`);
    }
    out.push(obj);
  }
  return out;
}

/** YAML files directly in `dir` (`.yaml`, `.yml`, `.json`), sorted by name; hidden files are skipped. */
export function manifestFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && /\.(ya?ml|json)$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Where a plan file lives: relative to `root`, or, without its first folder, relative to `root` (the `cluster` check
 * names files relative to the tree it checks, e.g. `static-pods/cluster/rbac.yaml` under `dist/`, or
 * `bootkube/manifests/x.yaml` for an asset dir copied to `/opt/bootkube/assets`). Undefined when neither exists.
 * Paths that leave `root` are refused.
 */
export function resolvePlanFile(root: string, file: string): string | undefined {
  const base = path.resolve(root);
  const parts = file.split(/[\\/]+/).filter(Boolean);
  if (path.isAbsolute(file) || parts.includes('..')) return undefined;
  for (const rel of [parts, parts.slice(1)]) {
    if (!rel.length) continue;
    const abs = path.resolve(base, ...rel);
    if (!abs.startsWith(base + path.sep)) continue;
    if (fs.existsSync(abs) && fs.statSync(abs).isFile()) return abs;
  }
  return undefined;
}

/** Kinds whose rollout `kubectl rollout status` follows. */
export const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'DaemonSet', 'StatefulSet'];
