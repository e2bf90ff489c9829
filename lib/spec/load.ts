import * as fs from 'fs';
import * as path from 'path';
import { ClusterSpec, ResolvedClusterSpec } from './cluster-spec';
import { ResolveOptions, SpecValidationError, resolveSpec } from './validate';

/** Environment variable naming the cluster spec file for the apps. */
export const CLUSTER_FILE_ENV = 'HACP_CLUSTER';
/** File name looked up in the working directory when no path is given. */
export const DEFAULT_CLUSTER_FILE = 'cluster.yaml';

/** Parses `cluster.yaml` text. Throws `SpecValidationError` for YAML syntax errors (with line and column). */
export function parseSpecYaml(text: string, source = DEFAULT_CLUSTER_FILE): ClusterSpec {
  // Loaded only when there is a file to read: synth of the built-in examples never needs it.
  const { parseDocument } = require('yaml') as typeof import('yaml');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new SpecValidationError(doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`), source);
  }
  const value = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SpecValidationError([`(root): ${JSON.stringify(value)} must be a mapping with at least "masters"`], source);
  }
  return value as ClusterSpec;
}

/** Reads, validates and resolves a `cluster.yaml`. */
export function loadSpecFile(file: string, options: ResolveOptions = {}): ResolvedClusterSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new SpecValidationError([`cannot read ${file}: ${e.code ?? e.message}`], file);
  }
  return resolveSpec(parseSpecYaml(text, file), { ...options, source: file });
}

/** Options for `loadClusterSpec()`. */
export interface LoadClusterSpecOptions extends ResolveOptions {
  /** Explicit spec file. @default - `$HACP_CLUSTER`, else `./cluster.yaml` when it exists, else the example */
  readonly file?: string;
  /** The built-in example used when there is no file. */
  readonly example: ClusterSpec;
  /** Directory to look for `cluster.yaml` in. @default - the working directory */
  readonly cwd?: string;
}

/** The spec the apps and the CLI use: an explicit file, `$HACP_CLUSTER`, `./cluster.yaml`, or the example. */
export function loadClusterSpec(options: LoadClusterSpecOptions): { spec: ResolvedClusterSpec; source: string } {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? process.env[CLUSTER_FILE_ENV];
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, DEFAULT_CLUSTER_FILE);
  if (explicit || fs.existsSync(file)) {
    return { spec: loadSpecFile(file, options), source: path.relative(cwd, file) || file };
  }
  return { spec: resolveSpec(options.example, { ...options, source: 'built-in example' }), source: 'built-in example' };
}
