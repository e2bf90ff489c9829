/**
 * Silent repairs are told (issue #17): keys and state directories with loose modes are fixed and the fix is logged;
 * certificates not yet valid (the clock moved back past their notBefore) are a warning.
 */
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthAll } from '../../apps/main';
import { ENCRYPTION_KEY_FILE as INPUTS_KEY_FILE } from '../../apps/_synth-inputs';
import { ENCRYPTION_KEY_FILE } from '../../lib/control-plane/encryption-config';
import { ClusterPki } from '../../lib/pki';
import { STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki, seedPkiState } from '../support/fixture-pki';
import { hacp } from '../support/hacp';
import { makeBaseWorkspace, sharedTmp } from './_workspace';

jest.setTimeout(300_000);

const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-repairs-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function state(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  seedPkiState(dir, await fixturePki(spec));
  return dir;
}
const mode = (f: string) => fs.statSync(f).mode & 0o777;

test('keys and the state directory with loose modes are fixed, and each fix is logged', async () => {
  const dir = await state('modes');
  fs.chmodSync(path.join(dir, 'ca.key'), 0o644);
  fs.chmodSync(path.join(dir, 'nodes', 'master1', 'apiserver.key'), 0o640);
  fs.chmodSync(dir, 0o755);
  const r = await hacp(['pki', 'renew', '--example', 'static', '--dir', dir]);
  expect(r.code).toBe(0);
  expect(r.out.trim().split('\n').sort()).toEqual([
    `changed the mode of ${dir} from 0755 to 0700 (it holds private keys)`,
    'changed the mode of ca.key from 0644 to 0600',
    'changed the mode of nodes/master1/apiserver.key from 0640 to 0600',
  ]);
  expect([
    mode(dir),
    mode(path.join(dir, 'ca.key')),
    mode(path.join(dir, 'nodes', 'master1', 'apiserver.key')),
  ]).toEqual([0o700, 0o600, 0o600]);
  expect((await hacp(['pki', 'renew', '--example', 'static', '--dir', dir])).out).toBe(
    `${dir}: nothing to do, every certificate is valid\n`,
  );
});

test('synth fixes a loose encryption key mode and says so', async () => {
  const ws = sharedTmp('hacp-repairs-synth-');
  try {
    await makeBaseWorkspace(ws);
    const key = path.join(ws, 'pki', 'kubernetes', ENCRYPTION_KEY_FILE);
    fs.chmodSync(key, 0o644);
    const lines: string[] = [];
    await synthAll({
      cwd: ws,
      outdir: path.join(ws, 'dist'),
      stateRoot: path.join(ws, 'pki'),
      cache: false,
      log: (l) => lines.push(l),
    });
    expect(lines).toContain(`changed the mode of ${key} from 0644 to 0600 (it is a key)`);
    expect(mode(key)).toBe(0o600);
    expect(INPUTS_KEY_FILE).toBe(ENCRYPTION_KEY_FILE); // apps/_synth-inputs.ts repeats the name (it must not load cdk8s)
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
});

test("a clock moved back past the certificates' notBefore is a warning, from check() and ensure() alike", async () => {
  const dir = await state('clock');
  const issued = new Date(new X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).validFrom);
  const past = new Date(issued.getTime() - 2 * 86_400_000);
  const checked: string[] = [];
  expect(ClusterPki.check(spec, { dir, now: past, log: (l) => checked.push(l) })).toEqual([]);
  const ca = checked.find((l) => l.startsWith('warning: ca: ca.crt is not valid before'));
  expect(ca).toMatch(/the clock says .*: the clock moved back .* fix the clock \(NTP\); a CA is never re-issued$/);
  expect(checked.find((l) => l.startsWith('warning: apiserver (master0):'))).toMatch(
    /hacp pki renew "nodes\/master0\/apiserver"$/,
  );
  const ensured: string[] = [];
  await ClusterPki.ensure(spec, { dir, now: past, log: (l) => ensured.push(l) });
  expect(ensured.filter((l) => l.includes('the clock moved back')).length).toBe(
    checked.filter((l) => l.includes('the clock moved back')).length,
  );
  // On the right clock: nothing to say.
  const now: string[] = [];
  ClusterPki.check(spec, { dir, log: (l) => now.push(l) });
  expect(now).toEqual([]);
});
