/**
 * The synth reports construct errors before it generates a single key: on a cold state, the constructs are built once
 * with stand-in PEMs first (`ClusterPki.ensure`'s `beforeKeyGeneration`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthAll } from '../../apps/main';
import { BOOTKUBE_EXAMPLE_CLUSTER } from '../../lib/spec';

const nodeCrypto: typeof import('crypto') = require('crypto');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-synth-early-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

test('a spec only a construct rejects (kube-vip interface name): the error comes first, no key is generated', async () => {
  const spy = jest.spyOn(nodeCrypto, 'generateKeyPair').mockImplementation((() => {
    throw new Error('a key was generated');
  }) as any);
  const spec = {
    ...BOOTKUBE_EXAMPLE_CLUSTER,
    loadBalancer: { type: 'kube-vip', kubeVip: { vip: '172.17.5.100', interface: 'an-interface-name-too-long' } },
  };
  fs.writeFileSync(path.join(tmp, 'cluster.yaml'), JSON.stringify(spec));
  const stateRoot = path.join(tmp, 'pki');
  await expect(
    synthAll({ cwd: tmp, outdir: path.join(tmp, 'dist'), stateRoot, cache: false, log: () => {} }),
  ).rejects.toThrow(/interface: "an-interface-name-too-long" is not a network interface name/);
  expect(spy).not.toHaveBeenCalled();
  // Nothing of the PKI: at most the encryption key, read (made) before it (the spec check now rejects this value
  // before even that).
  const state = path.join(stateRoot, 'vagrant');
  expect(fs.existsSync(state) ? fs.readdirSync(state).filter((f) => f !== 'encryption-key') : []).toEqual([]);
  expect(fs.existsSync(path.join(tmp, 'dist'))).toBe(false);
});
