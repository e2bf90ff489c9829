import { App } from 'cdk8s';
import { synthControlPlane, synthManifests } from 'cdk8s-ha-control-plane/testing';
import { validateObjects } from 'cdk8s-ha-control-plane/verify';
import { addons, buildApp, cluster, controlPlaneOptions } from '../main';

const args = (pod: any): string[] => pod.spec.containers[0].args;

describe('control plane', () => {
  // One master is enough for the snapshot: the others differ only in their addresses.
  const files = synthControlPlane(cluster, { controlPlane: controlPlaneOptions, masters: ['cp1'] });

  test('snapshot', () => {
    expect(files).toMatchSnapshot();
  });

  test('our API server and scheduler settings are applied', () => {
    const apiServer = args(files['cp1/kube-apiserver.yaml']);
    expect(apiServer).toEqual(expect.arrayContaining(['--audit-log-maxage=90', '--event-ttl=4h', '--advertise-address=10.20.0.11']));
    expect(apiServer.find((a) => a.startsWith('--enable-admission-plugins='))).toBe('--enable-admission-plugins=NodeRestriction,AlwaysPullImages');
    expect(args(files['cp1/kube-scheduler.yaml'])).toContain('--v=2');
  });

  test('valid Kubernetes 1.35 objects', () => {
    const objects = Object.entries(files).filter(([file]) => !file.includes('/apiserver/')).flatMap(([, o]) => o);
    expect(validateObjects(objects, '1.35')).toEqual([]);
  });
});

describe('add-ons', () => {
  const objects = synthManifests(addons);

  test('snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('CoreDNS: 3 replicas behind the tenth service address; kube-proxy in nftables mode', () => {
    expect(objects['Deployment kube-system/coredns'].spec.replicas).toBe(3);
    expect(objects['Service kube-system/kube-dns'].spec.clusterIP).toBe('10.21.0.10');
    expect(JSON.stringify(objects)).toContain('nftables');
    expect(validateObjects(Object.values(objects), '1.35')).toEqual([]);
  });
});

test('the app: one chart per master and one for the add-ons', () => {
  const app = buildApp(new App());
  expect(app.charts.map((c) => c.node.id)).toEqual(['cp1', 'cp2', 'cp3', 'addons']);
  expect(app.charts[1].toJson().map((o: any) => o.metadata.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
});
