/**
 * The key-safety walk: every file under a directory whose text holds a private key (a PEM block, or base64 of one as
 * in kubeconfigs and Secrets' `data`) or one of the given secrets (encryption keys), with its mode. Shared by the
 * synth app's test and the cluster-repo (consumer) tests: wherever the package writes keys, they must be 0600.
 */
import * as fs from 'fs';
import * as path from 'path';

/** `rel mode` (octal, e.g. `pki/ca.key 600`) of every file under `root` that holds a key, sorted by path. */
export function filesHoldingKeys(root: string, secrets: readonly string[] = []): string[] {
  const holdsKey = (text: string) =>
    /PRIVATE KEY-----/.test(text) ||
    secrets.some((k) => text.includes(k)) ||
    [...text.matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g)].some(([b64]) =>
      Buffer.from(b64, 'base64').toString('latin1').includes('PRIVATE KEY-----'),
    );
  const found: string[] = [];
  for (const rel of (fs.readdirSync(root, { recursive: true }) as string[]).sort()) {
    const abs = path.join(root, rel);
    const st = fs.lstatSync(abs);
    if (!st.isFile() || !holdsKey(fs.readFileSync(abs, 'utf8'))) continue;
    found.push(`${rel.split(path.sep).join('/')} ${(st.mode & 0o777).toString(8)}`);
  }
  return found;
}
