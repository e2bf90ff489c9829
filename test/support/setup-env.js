// Environment variables that change cdk8s output (see research/cdk8s.md, "Determinism pitfalls").
delete process.env.CDK8S_DISABLE_SORT;
delete process.env.CDK8S_OUTDIR;
delete process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
delete process.env.HACP_CLUSTER;
