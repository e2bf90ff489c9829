import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

let dataDir: string | undefined;

/**
 * The package's `schemas/` folder (written by `scripts/vendor-schemas.js`): the Kubernetes JSON schemas and the flag
 * references. Found by walking up from this file, so it works from the TypeScript sources (`lib/common/`) and from the
 * compiled package (`build/lib/common/`).
 */
export function schemasDir(): string {
  if (dataDir) return dataDir;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'schemas');
    if (fs.existsSync(path.join(candidate, 'kubernetes')) && fs.existsSync(path.join(candidate, 'flags'))) {
      return (dataDir = candidate);
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the schemas/ folder above ${__dirname}`);
  }
}

/** Reads `schemas/<rel>` as JSON (gunzipping `.gz` files). */
export function readSchemaFile(rel: string): any {
  const file = path.join(schemasDir(), rel);
  const raw = fs.readFileSync(file);
  return JSON.parse((file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8'));
}

/** True when `schemas/<rel>` exists. */
export function hasSchemaFile(rel: string): boolean {
  return fs.existsSync(path.join(schemasDir(), rel));
}
