/**
 * Snapshot tests of what `npm run synth` writes, without your PKI: the static pods need no keys, and the
 * self-hosted control plane is built with the package's insecure test PKI (fixed keys, milliseconds, the same on
 * every run). `npx jest -u` rewrites the snapshots after a change you meant.
 */
import { Testing } from 'cdk8s';
import { loadClusterSpec } from 'cdk8s-ha-control-plane';
import { pemSnapshotSerializer, synthClusterFiles, synthControlPlane } from 'cdk8s-ha-control-plane/testing';
import { validateObjects } from 'cdk8s-ha-control-plane/verify';
import { charts, controlPlane, trees } from '../main';

// PEM blocks are written as <CERTIFICATE>, <RSA PRIVATE KEY>...: shorter snapshots (the test PKI is stable anyway).
expect.addSnapshotSerializer(pemSnapshotSerializer);

const cluster = loadClusterSpec({ file: 'cluster.yaml' }).spec;

test('static-pod control plane: every master\'s pods and the cluster-scoped objects', () => {
  const files = synthControlPlane(cluster, { controlPlane });
  expect(files['cp1/kube-apiserver.yaml'].spec.containers[0].args).toContain('--audit-log-maxage=30');
  expect(files).toMatchSnapshot();
});

test('self-hosted control plane: the bootkube asset dir with the test PKI', () => {
  const files = synthClusterFiles({ ...trees, staticPods: false });
  expect(files['bootkube/manifests/kube-apiserver-secret.yaml'].mode).toBe('0600');
  expect(files['bootkube/manifests/apps.yaml'].content).toContain('name: apps');
  expect(files).toMatchSnapshot();
});

test('your charts: valid objects of the cluster\'s Kubernetes version', () => {
  const app = Testing.app();
  charts(app, cluster);
  expect(validateObjects(app.charts.flatMap((c) => c.toJson()), cluster.kubernetesMinor)).toEqual([]);
});
