/**
 * Cluster specs of the static-pod tree's pod network modes, for the synth, verify and app tests: the static example's
 * network with `masters` masters (10.180.0.10...) and `workers` workers (10.180.0.20...), in `flannel`, `cloud-routes`
 * (an `openstack:` section whose application credential is read from an environment variable or a file) or `none`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterSpec, OpenStackSpec, PodNetwork, STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';

/** A made-up application credential secret: tests check where it ends up (only in the cloud-config Secret). */
export const TEST_OS_SECRET = 'tEsT-aPpCrEd-SeCrEt-9f8e7d6c5b4a';
/** The environment variable `cloudRoutesInput()` reads the secret from by default. */
export const TEST_OS_SECRET_ENV = 'HACP_TEST_OS_APP_CRED_SECRET';

/** The `openstack:` section of the tests (seed 000's router id). */
export function testOpenStack(
  secret: { secretEnv: string } | { secretFile: string } = { secretEnv: TEST_OS_SECRET_ENV },
): OpenStackSpec {
  return {
    authUrl: 'https://keystone.example.com:5000/v3',
    region: 'RegionOne',
    networkId: '3c0b2c4e-5b87-4a5e-9f1c-0c8a1d0e7d11',
    subnetId: '83aab941-87f4-4372-9fbc-9f702092e3cf',
    routerId: '29635b60-d79f-4536-8144-b2271031461d',
    floatingNetworkId: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b',
    applicationCredential: { id: '0d9f1c2b3a4e5f60718293a4b5c6d7e8', ...secret },
  };
}

/** The static example with `masters` masters and `workers` workers, in pod network `podNetwork`. */
export function staticModeInput(
  podNetwork: PodNetwork,
  masters = 3,
  workers = 2,
  extra: Partial<ClusterSpec> = {},
): ClusterSpec {
  return {
    ...STATIC_EXAMPLE_CLUSTER,
    masters: Array.from({ length: masters }, (_, i) => ({ name: `master${i}`, ip: `10.180.0.${10 + i}` })),
    workers: Array.from({ length: workers }, (_, i) => ({ name: `worker${i}`, ip: `10.180.0.${20 + i}` })),
    networking: { ...STATIC_EXAMPLE_CLUSTER.networking, podNetwork },
    ...(podNetwork === 'cloud-routes' ? { openstack: testOpenStack() } : {}),
    ...extra,
  };
}

/** The environment the tests' credential is read from. */
export function credentialEnv(secret = TEST_OS_SECRET): NodeJS.ProcessEnv {
  return { [TEST_OS_SECRET_ENV]: secret };
}

/** Writes the secret into a new 0600 file in a new temp dir; returns the file and a remover. */
export function credentialFile(secret = TEST_OS_SECRET, mode = 0o600): { file: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-os-cred-'));
  const file = path.join(dir, 'app-credential.secret');
  fs.writeFileSync(file, `${secret}\n`, { mode });
  fs.chmodSync(file, mode);
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
