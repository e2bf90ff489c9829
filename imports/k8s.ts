// Kubernetes L1 constructs (Kube* classes).
//
// `cdk8s import k8s` downloads the schema from the network, which this project must never need. cdk8s-plus-25
// ships the very same generated module (identical class set, diffed), so this file re-exports it. It only emits
// stable API versions, which are valid for every Kubernetes release this library supports (v1.33 to v1.36);
// the synthesized objects are validated against the schema of the target version in the tests and in `hacp verify`.
export * from 'cdk8s-plus-25/lib/imports/k8s';
