import * as fs from 'fs';
import * as path from 'path';
import { CLUSTER_SPEC_SCHEMA } from '../../lib/spec/schema';

const { generate } = require('../../scripts/compile-spec-schema.js');

test('the precompiled spec validator is up to date with schema.ts (run scripts/compile-spec-schema.js)', () => {
  const file = path.join(__dirname, '..', '..', 'lib', 'spec', '_spec-validator.ts');
  expect(fs.readFileSync(file, 'utf8')).toBe(generate(CLUSTER_SPEC_SCHEMA));
});

test('the schema knows every ClusterSpec key (the unknown-key check relies on it)', () => {
  expect(Object.keys(CLUSTER_SPEC_SCHEMA.properties).sort()).toEqual([
    'addons',
    'apiEndpoint',
    'apiServerPort',
    'cloudProvider',
    'etcd',
    'etcdVersion',
    'extraCertSans',
    'imageRegistry',
    'kubernetesVersion',
    'loadBalancer',
    'masters',
    'name',
    'namespaces',
    'networking',
    'openstack',
    'pki',
    'workers',
  ]);
});
