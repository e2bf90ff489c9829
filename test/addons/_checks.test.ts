// The shared checks must be able to fail: each is fed a broken object.
import {
  allProblems,
  clusterAdminGrants,
  mastersWithoutToleration,
  missingNamespaces,
  schemaErrors,
  selectorProblems,
  unpinnedImages,
} from './_checks';

const deployment = (labels: Record<string, string>, selector: Record<string, string>, extra: any = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'kube-system' },
  spec: {
    selector: { matchLabels: selector },
    template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'x:1' }], ...extra } },
  },
});

test('each check reports a broken input', () => {
  expect(schemaErrors([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, bogus: 1 }])).not.toEqual([]);
  expect(selectorProblems([deployment({ a: '1' }, { a: '2' })])).toEqual([
    'Deployment d: selector does not match its pod labels',
  ]);
  expect(
    selectorProblems([
      {
        kind: 'PodDisruptionBudget',
        metadata: { name: 'p', namespace: 'kube-system' },
        spec: { selector: { matchLabels: { a: '1' } } },
      },
    ]),
  ).toHaveLength(1);
  expect(
    selectorProblems([
      { kind: 'Service', metadata: { name: 's', namespace: 'kube-system' }, spec: { selector: { a: '1' } } },
    ]),
  ).toHaveLength(1);
  expect(missingNamespaces([{ kind: 'ConfigMap', metadata: { name: 'c', namespace: 'nope' } }])).toHaveLength(1);
  expect(
    clusterAdminGrants([
      {
        kind: 'ClusterRoleBinding',
        metadata: { name: 'b' },
        roleRef: { name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'kube-system' }],
      },
    ]),
  ).toHaveLength(1);
  expect(unpinnedImages([deployment({ a: '1' }, { a: '1' }, { containers: [{ name: 'c', image: 'nginx' }] })])).toEqual(
    ['nginx'],
  );
  expect(
    mastersWithoutToleration([
      deployment({ a: '1' }, { a: '1' }, { nodeSelector: { 'node-role.kubernetes.io/control-plane': '' } }),
    ]),
  ).toHaveLength(1);
  expect(allProblems([deployment({ a: '1' }, { a: '1' })])).toEqual([]);
});
