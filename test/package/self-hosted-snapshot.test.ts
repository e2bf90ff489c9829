/**
 * A cluster repo's snapshot test of a full self-hosted chart (the control plane with its Secrets, and the add-ons),
 * written as a consumer writes it: against the compiled package (`build/lib`, as from node_modules), with the fast
 * test PKI (`testClusterPki`) instead of generating keys. Its two snapshots must hold on every run and every machine:
 * the masked objects, and the digest of the unmasked ones (so the PEMs themselves are stable, not only their masks).
 * Expects a fresh `build/` (`npm test` and `npm run pack:check` build first).
 */
import * as crypto from 'crypto';
import { App, Chart } from 'cdk8s';
import {
  AppNamespace,
  BOOTKUBE_EXAMPLE_CLUSTER,
  Dashboard,
  Dns,
  Flannel,
  KubeProxy,
  MetricsServer,
  SelfHostedControlPlane,
  renderEncryptionConfiguration,
  resolveSpec,
} from '../../build/lib';
import { pemSnapshotSerializer, testClusterPki } from '../../build/lib/testing';

expect.addSnapshotSerializer(pemSnapshotSerializer);

const cluster = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
/** A fixed encryption-at-rest key: the test's output must not depend on a random one. */
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** What a cluster repo's main.ts composes for a self-hosted cluster. */
function selfHostedChart(): any[] {
  const chart = new Chart(new App({ outdir: '.' }), 'cluster');
  const pki = testClusterPki(cluster);
  new SelfHostedControlPlane(chart, 'control-plane', {
    cluster,
    tls: pki.bootkubeAssets(),
    apiServer: { encryptionConfiguration: renderEncryptionConfiguration(ENCRYPTION_KEY) },
  });
  const net = cluster.networking;
  new KubeProxy(chart, 'kube-proxy', {
    podCidr: net.podCidr,
    apiServerUrl: cluster.apiServerUrl,
    kubernetesVersion: cluster.kubernetesVersion,
  });
  new Flannel(chart, 'flannel', { podCidr: net.podCidr });
  new Dns(chart, 'dns', { clusterIp: cluster.dnsServiceIp, clusterDomain: net.clusterDomain });
  new MetricsServer(chart, 'metrics-server');
  new Dashboard(chart, 'dashboard');
  for (const ns of cluster.namespaces) new AppNamespace(chart, `namespace-${ns}`, { name: ns });
  return chart.toJson();
}

test('a full self-hosted chart: snapshot with masked PEMs, and the digest of the unmasked output', () => {
  const objects = selfHostedChart();
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'kube-apiserver');
  expect(new crypto.X509Certificate(secret.stringData['apiserver.crt']).subject).toMatch(/OU=hacp-insecure-test-pki/);
  expect(objects).toMatchSnapshot();
  expect(crypto.createHash('sha256').update(JSON.stringify(objects)).digest('hex')).toMatchSnapshot();
});

test('the same output when built again', () => {
  expect(JSON.stringify(selfHostedChart())).toBe(JSON.stringify(selfHostedChart()));
});
