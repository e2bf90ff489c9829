import * as fs from 'fs';
import * as path from 'path';
import { describeFsError, firstLine, isFsError, readRegularFile } from '../util/fs-errors';
import { ClusterSpec, ResolvedClusterSpec } from './cluster-spec';
import { ResolveOptions, SpecValidationError, resolveSpec, showValue } from './validate';

/** Environment variable naming the cluster spec file for the apps and the CLI. */
export const CLUSTER_FILE_ENV = 'HACP_CLUSTER';
/** File name looked up in the working directory when no path is given. */
export const DEFAULT_CLUSTER_FILE = 'cluster.yaml';
/**
 * Spec files read as code: a CommonJS module (or, for `.ts`, TypeScript compiled on the fly by ts-node) exporting
 * the `ClusterSpec` as `default`, `cluster` or `spec`. Every other name is read as YAML (JSON is YAML).
 */
export const CODE_SPEC_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];
/** The heading of errors about the spec file itself (rather than its content). */
const READ_ERROR = { heading: 'cannot read the cluster spec' };
/** At most this many aliases are expanded (an alias bomb stops here instead of exhausting memory). */
const MAX_YAML_ALIASES = 100;

/** No spec file where the loader looked, and no example to fall back to. */
export class SpecNotFoundError extends SpecValidationError {
  /** @param hint - what to do, appended to the message after the list */
  constructor(
    /** Each place the loader looked and what it found there (`$HACP_CLUSTER: not set`, ...); also `problems`. */
    readonly looked: string[],
    hint?: string,
  ) {
    super(looked, undefined, { heading: 'no cluster spec; looked at', footer: hint });
    this.name = 'SpecNotFoundError';
  }
}

/** Parses `cluster.yaml` text. Throws `SpecValidationError` for YAML errors, naming the line (and a duplicate key). */
export function parseSpecYaml(text: string, source = DEFAULT_CLUSTER_FILE): ClusterSpec {
  // Loaded only when there is a file to read: synth of the built-in examples never needs it.
  const yaml = require('yaml') as typeof import('yaml');
  const lines = new yaml.LineCounter();
  // uniqueKeys off: duplicates are found below, with the key's path and both lines (the parser names neither).
  const doc = yaml.parseDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter: lines });
  const problems = duplicateKeys(yaml, doc, lines);
  for (const e of doc.errors) problems.push(`YAML: ${firstLine(e.message)}`);
  if (problems.length) throw new SpecValidationError(problems, source);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    const message = /alias count/i.test((e as Error).message)
      ? `YAML: more than ${MAX_YAML_ALIASES} alias expansions (an alias bomb?); a cluster spec needs no deep aliases, write the values out`
      : `YAML: ${firstLine((e as Error).message)}`;
    throw new SpecValidationError([message], source);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SpecValidationError([`(root): ${showValue(value)} must be a mapping with at least "masters"`], source);
  }
  return value as ClusterSpec;
}

/** Every key that appears twice in one mapping: `loadBalancer.type: duplicate key (line 9; first at line 7)`. */
function duplicateKeys(
  yaml: typeof import('yaml'),
  doc: import('yaml').Document,
  lines: import('yaml').LineCounter,
): string[] {
  const problems: string[] = [];
  const at = (node: any) => (node?.range ? lines.linePos(node.range[0]) : undefined);
  const walk = (node: unknown, where: string) => {
    if (yaml.isMap(node)) {
      const seen = new Map<string, any>();
      for (const pair of node.items) {
        const key = yaml.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const shownKey = key.length > 60 ? showValue(key) : key;
        const field = where ? `${where}.${shownKey}` : shownKey;
        const first = seen.get(key);
        if (first !== undefined) {
          const [now, then] = [at(pair.key), at(first)];
          problems.push(
            `${field}: duplicate key${now ? ` (line ${now.line}, column ${now.col}` : ' ('}${then ? `; first at line ${then.line}, column ${then.col})` : ')'}; keep one`,
          );
        } else {
          seen.set(key, pair.key);
        }
        walk(pair.value, field);
      }
    } else if (yaml.isSeq(node)) {
      node.items.forEach((item, i) => walk(item, `${where}[${i}]`));
    }
  };
  walk(doc.contents, '');
  return problems;
}

/**
 * Reads a spec module (`.js`, or `.ts` through ts-node): its `default`, `cluster` or `spec` export. A resolved spec
 * (from `resolveSpec()`) is taken as the spec it was resolved from.
 */
function loadSpecModule(abs: string, file: string): ClusterSpec {
  try {
    const st = fs.statSync(abs);
    if (!st.isFile()) throw Object.assign(new Error(), { code: st.isDirectory() ? 'EISDIR' : 'EFTYPE', path: abs });
  } catch (e: any) {
    if (e.code === 'EFTYPE')
      throw new SpecValidationError(
        [`${file} is not a regular file; name the spec file itself`],
        undefined,
        READ_ERROR,
      );
    throw new SpecValidationError([describeFsError(e, file)], undefined, READ_ERROR);
  }
  if (/\.[cm]?ts$/i.test(abs)) registerTypeScript(abs, file);
  let mod: any;
  try {
    mod = require(abs);
  } catch (e) {
    throw new SpecValidationError(
      [
        `${file}: loading the module failed: ${firstLine((e as Error)?.message ?? String(e))} (HACP_DEBUG=1 shows where)`,
      ],
      undefined,
      { ...READ_ERROR, cause: e },
    );
  }
  const found =
    [mod?.default, mod?.cluster, mod?.spec].find((v) => v !== undefined) ??
    (mod && typeof mod === 'object' && 'masters' in mod ? mod : undefined);
  if (found === undefined || found === null || typeof found !== 'object' || Array.isArray(found)) {
    const exports = mod && typeof mod === 'object' ? Object.keys(mod) : [];
    throw new SpecValidationError(
      [
        `${file}: exports no ClusterSpec object: export it as \`export default\`, \`export const cluster\` or \`export const spec\`${exports.length ? ` (it exports: ${exports.slice(0, 10).join(', ')})` : ''}`,
      ],
      undefined,
      READ_ERROR,
    );
  }
  // A resolved spec lists every default and four derived values; without the derived ones it is a full ClusterSpec.
  if ('kubernetesMinor' in found && 'apiServerUrl' in found) {
    const { kubernetesMinor, apiServiceIp, dnsServiceIp, apiServerUrl, ...spec } = found;
    void kubernetesMinor;
    void apiServiceIp;
    void dnsServiceIp;
    void apiServerUrl;
    return JSON.parse(JSON.stringify(spec)); // drops the undefined optional sections too
  }
  return found as ClusterSpec;
}

/**
 * `.ts` specs are compiled with ts-node (the cdk8s `typescript-app` template has it), found from the spec's
 * directory or the working directory, transpile-only (types are the consumer's build's business). Without ts-node
 * the error says what to do instead: compile the spec and pass the `.js`, or write `cluster.yaml`.
 */
function registerTypeScript(abs: string, file: string): void {
  if (TS_REGISTERED.has('done')) return;
  let tsNode: any;
  try {
    const resolved = require.resolve('ts-node', { paths: [path.dirname(abs), process.cwd()] });

    tsNode = require(resolved);
  } catch {
    throw new SpecValidationError(
      [
        `${file}: a TypeScript spec is compiled with ts-node, which is not installed here: \`npm install --save-dev ts-node\` (cdk8s' typescript-app template has it), or compile the spec and pass the .js, or write cluster.yaml`,
      ],
      undefined,
      READ_ERROR,
    );
  }
  tsNode.register({
    transpileOnly: true,
    skipProject: true,
    compilerOptions: { module: 'commonjs', target: 'es2020', esModuleInterop: true },
  });
  TS_REGISTERED.add('done');
}
const TS_REGISTERED = new Set<string>();

/** True when `file` is read as code rather than YAML. */
export function isCodeSpec(file: string): boolean {
  return CODE_SPEC_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/**
 * Reads, validates and resolves a spec file: `cluster.yaml` (or JSON), or a module exporting a `ClusterSpec`
 * (`.js`; `.ts` through ts-node). A file that is a directory, a FIFO or unreadable is an error naming it.
 */
export function loadSpecFile(file: string, options: LoadSpecFileOptions = {}): ResolvedClusterSpec {
  const shown = options.display ?? file;
  const label = options.origin ? `${shown} (${options.origin})` : shown;
  if (isCodeSpec(file)) return resolveSpec(loadSpecModule(path.resolve(file), shown), { ...options, source: shown });
  let text: string;
  try {
    text = readRegularFile(file).content;
  } catch (e: any) {
    if (!isFsError(e)) throw e;
    const problem =
      e.code === 'EISDIR' || (e as any).kind === 'a directory'
        ? `${label} is a directory; name the spec file itself (e.g. ${path.join(shown, DEFAULT_CLUSTER_FILE)})`
        : describeFsError(e, label);
    throw new SpecValidationError([problem], undefined, READ_ERROR);
  }
  return resolveSpec(parseSpecYaml(text, shown), { ...options, source: shown });
}

/** Options of `loadSpecFile()`. */
export interface LoadSpecFileOptions extends ResolveOptions {
  /** Where the path came from (`--cluster`, `$HACP_CLUSTER`), for messages. */
  readonly origin?: string;
  /** The path as messages show it. @default - the path given */
  readonly display?: string;
}

/** Options for `loadClusterSpec()`. */
export interface LoadClusterSpecOptions extends ResolveOptions {
  /** Explicit spec file (the CLI's `--cluster`). @default - `$HACP_CLUSTER`, else `./cluster.yaml` */
  readonly file?: string;
  /**
   * The built-in example used when no spec file is found (the apps' `npm run synth`).
   * @default - none: no spec file is an error (`SpecNotFoundError`) naming where the loader looked
   */
  readonly example?: ClusterSpec;
  /** Directory to look for `cluster.yaml` in. @default - the working directory */
  readonly cwd?: string;
  /** The environment (`$HACP_CLUSTER`). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How the caller's explicit-file option is spelled, for messages. @default --cluster */
  readonly fileOption?: string;
  /** What to do when no spec is found, appended to the `SpecNotFoundError` message. */
  readonly notFoundHint?: string;
}

/** What `loadClusterSpec()` found. */
export interface LoadedClusterSpec {
  /** The validated spec, defaults filled in. */
  readonly spec: ResolvedClusterSpec;
  /** The file (relative to `cwd` when inside it), or `built-in example`. */
  readonly source: string;
  /** True when no spec file was found and `example` was used. */
  readonly fromExample: boolean;
}

/**
 * The spec the apps and the CLI use: an explicit file, else `$HACP_CLUSTER`, else `./cluster.yaml`; with none of
 * them, `example` when given, else a `SpecNotFoundError` naming each place looked at.
 */
export function loadClusterSpec(options: LoadClusterSpecOptions = {}): LoadedClusterSpec {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const fromEnv = env[CLUSTER_FILE_ENV] || undefined; // HACP_CLUSTER= (empty) counts as unset
  const explicit = options.file ?? fromEnv;
  const origin =
    options.file !== undefined
      ? (options.fileOption ?? '--cluster')
      : fromEnv !== undefined
        ? `$${CLUSTER_FILE_ENV}`
        : undefined;
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, DEFAULT_CLUSTER_FILE);
  const shown =
    path.relative(cwd, file) && !path.relative(cwd, file).startsWith('..') ? path.relative(cwd, file) : file;
  if (explicit || fs.existsSync(file) || isBrokenLink(file)) {
    return { spec: loadSpecFile(file, { ...options, origin, display: shown }), source: shown, fromExample: false };
  }
  if (options.example) {
    return {
      spec: resolveSpec(options.example, { ...options, source: 'built-in example' }),
      source: 'built-in example',
      fromExample: true,
    };
  }
  throw new SpecNotFoundError(
    [
      `${options.fileOption ?? '--cluster'}: not given`,
      `$${CLUSTER_FILE_ENV}: not set`,
      `./${DEFAULT_CLUSTER_FILE}: ${file} does not exist`,
    ],
    options.notFoundHint ?? `write ${DEFAULT_CLUSTER_FILE} (examples/cluster.yaml is a start) or name the spec file`,
  );
}

/** A dangling symbolic link at `file`: it is there (an error to report), although `existsSync` says no. */
function isBrokenLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}
