import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { ENCRYPTION_KEY_FILE, loadOrCreateEncryptionKey, renderEncryptionConfiguration } from '../../lib/control-plane';

describe('encryption at rest', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-enc-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the key is made once (32 bytes, 0600 in a 0700 dir) and reused byte for byte', () => {
    const state = path.join(dir, 'state');
    const key = loadOrCreateEncryptionKey(state);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(fs.statSync(path.join(state, ENCRYPTION_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(state).mode & 0o777).toBe(0o700);
    expect(loadOrCreateEncryptionKey(state)).toBe(key);
  });

  test('a damaged key file is reported, never replaced', () => {
    fs.writeFileSync(path.join(dir, ENCRYPTION_KEY_FILE), 'short\n');
    expect(() => loadOrCreateEncryptionKey(dir)).toThrow(/not a base64-encoded 32-byte key; refusing to replace it/);
    expect(fs.readFileSync(path.join(dir, ENCRYPTION_KEY_FILE), 'utf8')).toBe('short\n');
  });

  test('secretbox first, identity last; a wrong-size key is refused', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const cfg = parse(renderEncryptionConfiguration(key));
    expect(cfg.resources[0].resources).toEqual(['secrets']);
    expect(cfg.resources[0].providers).toEqual([
      { secretbox: { keys: [{ name: 'key1', secret: key }] } },
      { identity: {} },
    ]);
    expect(() => renderEncryptionConfiguration(Buffer.alloc(16).toString('base64'))).toThrow(
      'encryption key: must be 32 bytes',
    );
  });
});
