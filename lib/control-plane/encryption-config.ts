// YAML through cdk8s's bundled copy: the same library and options as the manifests, loaded once.
import { Yaml } from 'cdk8s';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ensureDir, writeFileAtomic } from '../util/files';

/** File name of the encryption key in the PKI state directory. */
export const ENCRYPTION_KEY_FILE = 'encryption-key';

/**
 * The API server's encryption-at-rest configuration (CIS 1.2.27/1.2.28): Secrets encrypted with secretbox
 * (XSalsa20-Poly1305) under `key` (32 bytes, base64); `identity` last, so data written before encryption was
 * turned on stays readable. Every master must use the same key.
 */
export function encryptionConfiguration(key: string): Record<string, unknown> {
  if (Buffer.from(key, 'base64').length !== 32) throw new Error('encryption key: must be 32 bytes, base64-encoded');
  return {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [
      {
        resources: ['secrets'],
        providers: [{ secretbox: { keys: [{ name: 'key1', secret: key }] } }, { identity: {} }],
      },
    ],
  };
}

/** `encryptionConfiguration()` as the YAML file the API server reads. */
export function renderEncryptionConfiguration(key: string): string {
  return Yaml.stringify(encryptionConfiguration(key));
}

/**
 * Reads the cluster's encryption key from the state directory, creating it (0600, atomically) on first use. It is
 * never replaced: a new key would make every encrypted Secret unreadable.
 */
export function loadOrCreateEncryptionKey(stateDir: string): string {
  const file = path.join(stateDir, ENCRYPTION_KEY_FILE);
  if (fs.existsSync(file)) {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (Buffer.from(key, 'base64').length !== 32) {
      throw new Error(
        `${file}: not a base64-encoded 32-byte key; refusing to replace it (encrypted Secrets would become unreadable)`,
      );
    }
    return key;
  }
  ensureDir(stateDir, true, true);
  const key = randomBytes(32).toString('base64');
  // noClobber: a concurrent run that created the key first wins; this one then fails instead of replacing it.
  writeFileAtomic(file, key + '\n', 0o600, { noClobber: true });
  return key;
}
