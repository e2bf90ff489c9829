/**
 * One shared test PKI per cluster spec, so test files do not each generate ~30 RSA keys.
 *
 * Keys are generated at test time (RSA-2048, the examples' key size) with `ClusterPki.inMemory`; nothing is
 * committed. The state files (PEM strings) are cached for the whole jest worker: jest gives every test file its own
 * module registry and globals, but Node's core modules are shared, so the cache hangs off the `os` module under a
 * global symbol. Only strings cross test files; each caller gets its own `ClusterPki` built from them (~30 ms).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import { ClusterPki } from '../../lib/pki';
import { writeFilesAtomic } from '../../lib/util';
import { ResolvedClusterSpec, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';

type Cache = Map<string, Promise<Record<string, string>>>;
const CACHE_KEY = Symbol.for('cdk8s-ha-control-plane.test.fixturePki');

/** The shared PKI for `spec` (default: the static example). Built once per jest worker per spec. */
export async function fixturePki(spec: ResolvedClusterSpec = resolveSpec(STATIC_EXAMPLE_CLUSTER)): Promise<ClusterPki> {
  const holder = os as unknown as Record<symbol, Cache | undefined>;
  const cache = (holder[CACHE_KEY] ??= new Map());
  const key = `${spec.name}:${crypto.createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16)}`;
  let files = cache.get(key);
  if (!files) {
    files = ClusterPki.inMemory(spec).then((pki) => pki.snapshot());
    files.catch(() => cache.delete(key));
    cache.set(key, files);
  }
  return ClusterPki.inMemory(spec, { files: await files });
}

/** Writes a PKI's state files into `dir` (keys 0600, the directory 0700), as `ClusterPki.ensure()` would have left them. */
export function seedPkiState(dir: string, pki: ClusterPki): void {
  writeFilesAtomic(
    dir,
    Object.entries(pki.snapshot()).map(([path, content]) => ({
      path,
      content,
      mode: path.endsWith('.key') ? 0o600 : 0o644,
    })),
  );
  fs.chmodSync(dir, 0o700); // ensure() makes (and keeps) it private; a looser one is fixed and logged
}
