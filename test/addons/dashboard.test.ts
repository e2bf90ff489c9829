import * as k8s from '../../imports/k8s';
import { Dashboard } from '../../lib/addons';
import { allProblems, find, synth } from './_checks';

describe('Dashboard (archived upstream)', () => {
  test('defaults', () => {
    const objs = synth((c) => new Dashboard(c, 'dashboard'));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    const c = find(objs, 'Deployment', 'kubernetes-dashboard').spec.template.spec.containers[0];
    expect(c.image).toBe('kubernetesui/dashboard:v2.7.0');
    // The seed declared port 9090 and probed 8443: port and probe agree now.
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([8443]);
    expect(c.livenessProbe.httpGet).toMatchObject({ port: 8443, scheme: 'HTTPS' });
    expect(find(objs, 'Service', 'kubernetes-dashboard').spec.ports[0].targetPort).toBe('https');
    expect(find(objs, 'Namespace', 'kubernetes-dashboard').metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
    expect(find(objs, 'Role', 'kubernetes-dashboard').rules.every((r: any) => r.resourceNames?.length)).toBe(true);
  });

  test('custom namespace and images', () => {
    const objs = synth(
      (c) =>
        new Dashboard(c, 'dashboard', {
          namespace: 'ui',
          image: 'kubernetesui/dashboard:v2.6.1',
          metricsScraperImage: 'kubernetesui/metrics-scraper:v1.0.7',
        }),
    );
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(find(objs, 'Deployment', 'kubernetes-dashboard').spec.template.spec.containers[0].args).toContain(
      '--namespace=ui',
    );
  });

  test("apiObject is the dashboard's Deployment; the scraper's is metricsScraper", () => {
    let d!: Dashboard;
    synth((c) => {
      d = new Dashboard(c, 'd');
    });
    expect(d.apiObject).toBeInstanceOf(k8s.KubeDeployment);
    expect(d.deployment).toBe(d.apiObject);
    expect(d.apiObject.name).toBe('kubernetes-dashboard');
    expect(d.metricsScraper).toBeInstanceOf(k8s.KubeDeployment);
    expect(d.metricsScraper.name).toBe('dashboard-metrics-scraper');
  });
});
