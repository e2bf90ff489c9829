/**
 * Checks of a synth's inputs shared by the synth apps (apps/) and `synthCluster()`: the PKI state root, each
 * cluster's encryption-at-rest key, and stand-in PEMs to build the constructs before the PKI exists. Light: no cdk8s,
 * so that `npm run synth`'s pre-check (apps/_synth-inputs.ts) can load it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BOOTKUBE_ASSET_PATHS, type BootkubeTlsAssets } from '../pki/bootkube-assets';
import { PkiError } from '../pki/errors';
import { describeFsError, isFsError, readRegularFile } from '../util/fs-errors';

/**
 * The encryption key's file name in each cluster's state directory (`ENCRYPTION_KEY_FILE` of
 * lib/control-plane/encryption-config.ts, repeated here so that the check does not load cdk8s; a test compares them).
 */
export const ENCRYPTION_KEY_FILE = 'encryption-key';

/**
 * Checks a cluster's encryption key without changing it: absent (it is made on first use), or a regular file holding
 * a base64-encoded 32-byte key. Returns its mode (undefined when absent). Throws `PkiError` naming the file.
 */
export function checkEncryptionKey(stateDir: string): number | undefined {
  const file = path.join(stateDir, ENCRYPTION_KEY_FILE);
  let read: { content: string; mode: number };
  try {
    if (!fs.statSync(file, { throwIfNoEntry: false })) return undefined;
    read = readRegularFile(file);
  } catch (e) {
    if (!isFsError(e)) throw e;
    throw new PkiError([describeFsError(e, file)]);
  }
  const key = read.content.trim();
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== key) {
    throw new PkiError([
      `${file} is not a base64-encoded 32-byte key (${key.length} characters); restore it from your backup: a new key would make every Secret the API servers encrypted unreadable, so it is never replaced`,
    ]);
  }
  return read.mode;
}

/** The state root must be a directory or not exist yet (a file there is named, with what to do). */
export function checkStateRoot(stateRoot: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(stateRoot, { throwIfNoEntry: false });
  } catch (e) {
    if (!isFsError(e)) throw e;
    throw new PkiError([
      `${describeFsError(e, stateRoot)}; the PKI state root ($HACP_PKI_DIR, default pki) must be a directory`,
    ]);
  }
  if (st && !st.isDirectory()) {
    throw new PkiError([
      `${stateRoot} is not a directory: the PKI state root ($HACP_PKI_DIR, default ./pki) holds one directory per cluster; move the file away or set $HACP_PKI_DIR to a directory`,
    ]);
  }
}

/**
 * The cluster's encryption key (made on first use): checked first, so that a damaged key is a `PkiError` naming the
 * state directory, and made private (0600) if it was not, which is logged.
 */
export function encryptionKeyOf(dir: string, log: (line: string) => void): string {
  let mode: number | undefined;
  try {
    mode = checkEncryptionKey(dir);
  } catch (e) {
    throw e instanceof PkiError ? new PkiError(e.problems, dir) : e;
  }
  // Loaded here: it renders YAML with cdk8s, which the pre-check above must not load.
  const { loadOrCreateEncryptionKey } =
    require('../control-plane/encryption-config') as typeof import('../control-plane/encryption-config');
  const key = loadOrCreateEncryptionKey(dir);
  if (mode !== undefined && mode !== 0o600) {
    fs.chmodSync(path.join(dir, ENCRYPTION_KEY_FILE), 0o600);
    log(`changed the mode of ${path.join(dir, ENCRYPTION_KEY_FILE)} from 0${mode.toString(8)} to 0600 (it is a key)`);
  }
  return key;
}

/** Stand-ins for the PEMs (the constructs only copy them), to build the constructs before the PKI exists. */
export function placeholderTls(): BootkubeTlsAssets {
  const pem = '-----BEGIN PLACEHOLDER-----\n-----END PLACEHOLDER-----\n';
  return Object.fromEntries(Object.keys(BOOTKUBE_ASSET_PATHS).map((k) => [k, pem])) as unknown as BootkubeTlsAssets;
}

/** A stand-in encryption key (32 zero bytes) to build the constructs before the real key is read or made. */
export const PLACEHOLDER_ENCRYPTION_KEY = Buffer.alloc(32).toString('base64');
