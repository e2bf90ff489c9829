#!/usr/bin/env node
/**
 * Regenerates the data `lib/verify` reads at run time (shipped in the package under `schemas/`):
 *   schemas/kubernetes/v1.MM.json.gz  the Kubernetes OpenAPI definitions (cdk8s `kubernetes-schemas/v1.MM.0/_definitions.json`)
 *                                     of every supported minor, descriptions stripped, gzipped (all definitions kept: ~23 KB each)
 *   schemas/flags/<component>.json    the flag references (`*.flags.json`), copied verbatim
 * Usage: node scripts/vendor-schemas.js [REFERENCE_DIR]   (default /work/shared/reference or $HACP_REFERENCE_DIR)
 * The strict checks (additionalProperties: false) are added at run time by lib/verify/schema.ts, not here, so the
 * vendored files stay the upstream data.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const MINORS = ['1.33', '1.34', '1.35', '1.36'];
const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'etcd'];

const ref = path.resolve(process.argv[2] ?? process.env.HACP_REFERENCE_DIR ?? '/work/shared/reference');
const out = path.resolve(__dirname, '..', 'schemas');

function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (node && typeof node === 'object') {
    const res = {};
    for (const key of Object.keys(node)) if (key !== 'description') res[key] = strip(node[key]);
    return res;
  }
  return node;
}

function writeAtomic(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

for (const minor of MINORS) {
  const src = path.join(ref, 'kubernetes-schemas', `v${minor}.0`, '_definitions.json');
  const doc = strip(JSON.parse(fs.readFileSync(src, 'utf8')));
  doc.$comment = `Kubernetes v${minor}.0 definitions from cdk8s-team/cdk8s kubernetes-schemas, descriptions stripped (scripts/vendor-schemas.js)`;
  const gz = zlib.gzipSync(JSON.stringify(doc), { level: 9 });
  writeAtomic(path.join(out, 'kubernetes', `v${minor}.json.gz`), gz);
  console.log(
    `schemas/kubernetes/v${minor}.json.gz  ${Object.keys(doc.definitions).length} definitions, ${gz.length} bytes`,
  );
}
for (const component of COMPONENTS) {
  const src = path.join(ref, `${component}.flags.json`);
  JSON.parse(fs.readFileSync(src, 'utf8')); // must parse
  writeAtomic(path.join(out, 'flags', `${component}.json`), fs.readFileSync(src));
  console.log(`schemas/flags/${component}.json`);
}
