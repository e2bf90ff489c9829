/**
 * Offline validation of Kubernetes objects against the Kubernetes JSON schema of a given minor (the OpenAPI
 * definitions cdk8s imports, vendored in `schemas/kubernetes/`), with unknown fields reported as errors.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { SUPPORTED_KUBERNETES_MINORS, minorOf } from '../spec/versions';
import { hasSchemaFile, readSchemaFile } from './_data';

/** Options for `validateObject()`. */
export interface ValidateObjectOptions {
  /**
   * Report fields the schema does not define (`additionalProperties: false` on every object definition).
   * @default true
   */
  readonly unknownFieldsAreErrors?: boolean;
}

interface VersionSchemas {
  readonly ajv: Ajv;
  /** `apiVersion/kind` → definition name. */
  readonly byGvk: Map<string, string>;
  readonly compiled: Map<string, ValidateFunction>;
}

const cache = new Map<string, VersionSchemas>();

/** The Kubernetes minors whose schemas ship with the package: one per supported minor (`SUPPORTED_KUBERNETES_MINORS`). */
export const SCHEMA_MINORS = SUPPORTED_KUBERNETES_MINORS;

/** `Pod kube-system/etcd`, `ClusterRoleBinding admin`, `(object without kind)`. */
export function describeObject(obj: any): string {
  const kind = typeof obj?.kind === 'string' ? obj.kind : '(no kind)';
  const name = obj?.metadata?.name ?? '(no name)';
  const ns = obj?.metadata?.namespace;
  return `${kind} ${ns ? `${ns}/` : ''}${name}`;
}

/**
 * Validates one Kubernetes object against the schema of `kubernetesMinor` (`1.35`, `v1.35` or `v1.35.4`).
 * Returns one message per problem, e.g. `Pod kube-system/etcd: /spec/containers/0/foo: unknown field "foo"`;
 * an empty array means valid. Throws when no schema ships for that minor.
 */
export function validateObject(obj: unknown, kubernetesMinor: string, options: ValidateObjectOptions = {}): string[] {
  const name = describeObject(obj);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return [`${name}: (root): must be a mapping, got ${JSON.stringify(obj)}`];
  }
  const { apiVersion, kind } = obj as any;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return [`${name}: (root): apiVersion and kind must be strings`];
  }
  const schemas = loadVersion(kubernetesMinor, options.unknownFieldsAreErrors ?? true);
  const definition = schemas.byGvk.get(`${apiVersion}/${kind}`);
  if (!definition) {
    return [
      `${name}: (root): unknown apiVersion/kind "${apiVersion}" "${kind}" in Kubernetes v${minorOf(kubernetesMinor)}`,
    ];
  }
  let validate = schemas.compiled.get(definition);
  if (!validate) {
    validate = schemas.ajv.getSchema(`k8s#/definitions/${definition}`)!;
    schemas.compiled.set(definition, validate);
  }
  if (validate(obj)) return [];
  return formatErrors(validate.errors ?? [], obj).map((m) => `${name}: ${m}`);
}

/** Validates many objects; returns every problem (each message names its object). */
export function validateObjects(
  objs: readonly unknown[],
  kubernetesMinor: string,
  options: ValidateObjectOptions = {},
): string[] {
  return objs.flatMap((o) => validateObject(o, kubernetesMinor, options));
}

/** True when `apiVersion`/`kind` is a built-in type of that Kubernetes minor. */
export function isKnownKind(apiVersion: string, kind: string, kubernetesMinor: string): boolean {
  return loadVersion(kubernetesMinor, true).byGvk.has(`${apiVersion}/${kind}`);
}

function loadVersion(version: string, strict: boolean): VersionSchemas {
  const minor = minorOf(version);
  const key = `${minor}/${strict}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const file = `kubernetes/v${minor}.json.gz`;
  if (!hasSchemaFile(file)) {
    throw new Error(`no Kubernetes schema for v${minor} (shipped: ${SCHEMA_MINORS.map((m) => `v${m}`).join(', ')})`);
  }
  const doc = readSchemaFile(file);
  const byGvk = new Map<string, string>();
  // Definitions with one group-version-kind first, so that `DeleteOptions`-style shared types never shadow a kind.
  const names = Object.keys(doc.definitions).sort(
    (a, b) => gvks(doc.definitions[a]).length - gvks(doc.definitions[b]).length,
  );
  for (const name of names) {
    const def = doc.definitions[name];
    for (const g of gvks(def)) {
      const apiVersion = g.group ? `${g.group}/${g.version}` : g.version;
      if (!byGvk.has(`${apiVersion}/${g.kind}`)) byGvk.set(`${apiVersion}/${g.kind}`, name);
    }
    if (strict) closeObjects(def);
  }
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  addKubernetesFormats(ajv);
  ajv.addSchema({ $id: 'k8s', definitions: doc.definitions });
  const entry = { ajv, byGvk, compiled: new Map<string, ValidateFunction>() };
  cache.set(key, entry);
  return entry;
}

function gvks(def: any): Array<{ group: string; version: string; kind: string }> {
  return def['x-kubernetes-group-version-kind'] ?? [];
}

/**
 * Unknown fields become errors: every object schema with `properties` and no `additionalProperties` gets
 * `additionalProperties: false`. Free-form maps (`labels`, `annotations`, `data`: they carry `additionalProperties`),
 * IntOrString / Quantity (`oneOf` of scalars) and opaque types (RawExtension, JSON, FieldsV1: no `properties`) stay
 * open. Walks nested schemas too, although the vendored definitions only declare properties at the top level.
 */
function closeObjects(schema: any): void {
  if (!schema || typeof schema !== 'object') return;
  if (Array.isArray(schema)) return schema.forEach(closeObjects);
  if (
    schema.properties &&
    schema.additionalProperties === undefined &&
    !schema['x-kubernetes-preserve-unknown-fields'] &&
    !schema['x-kubernetes-int-or-string']
  ) {
    schema.additionalProperties = false;
  }
  for (const key of ['properties', 'definitions']) {
    for (const sub of Object.values(schema[key] ?? {})) closeObjects(sub);
  }
  for (const key of ['items', 'additionalProperties', 'oneOf', 'anyOf', 'allOf']) {
    if (schema[key] && typeof schema[key] === 'object') closeObjects(schema[key]);
  }
}

function addKubernetesFormats(ajv: Ajv): void {
  const int = (bits: number) => ({
    type: 'number' as const,
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** (bits - 1)) && n < 2 ** (bits - 1),
  });
  ajv.addFormat('int32', int(32));
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i);
  // `int-or-string` appears in some OpenAPI documents (not in the vendored ones): accept both.
  ajv.addFormat('int-or-string', { type: 'string', validate: () => true });
}

function valueAt(obj: any, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce((o, k) => (o == null ? o : o[k.replace(/~1/g, '/').replace(/~0/g, '~')]), obj);
}

function typesOf(branches: any[]): string {
  return branches
    .map((b) => (b.type === 'integer' ? 'an integer' : b.type === 'number' ? 'a number' : `a ${b.type}`))
    .join(' or ');
}

/** Turns ajv errors into `/path: message` lines, folding the branch errors of `oneOf` (IntOrString, Quantity). */
function formatErrors(errors: ErrorObject[], obj: unknown): string[] {
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const out: string[] = [];
  for (const e of errors) {
    if (e.schemaPath.includes('/oneOf/') && oneOfPaths.has(e.instancePath)) continue;
    const at = e.instancePath || '(root)';
    const got = JSON.stringify(valueAt(obj, e.instancePath));
    switch (e.keyword) {
      case 'additionalProperties': {
        const field = (e.params as any).additionalProperty;
        out.push(`${e.instancePath}/${field}: unknown field "${field}"`);
        break;
      }
      case 'required':
        out.push(`${at}: missing required field "${(e.params as any).missingProperty}"`);
        break;
      case 'oneOf':
        out.push(`${at}: must be ${typesOf(e.schema as any[])}, got ${got}`);
        break;
      case 'enum':
        out.push(
          `${at}: must be one of ${(e.params as any).allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}, got ${got}`,
        );
        break;
      default:
        out.push(`${at}: ${e.message}, got ${got}`);
    }
  }
  return [...new Set(out)];
}
