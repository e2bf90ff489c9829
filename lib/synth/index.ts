// Public API of lib/synth: the tree writers. They compose the constructs for a spec and write what goes on the hosts
// (`static-pods/<master>/` mirroring /etc/kubernetes, `static-pods/cluster/`) and the bootkube asset tree, with the
// PKI's files and exact modes. The synth app (apps/) and cluster repos that import the library both use them.
export * from './cluster-addons';
export * from './static-pods-tree';
export * from './static-pods';
export * from './bootkube';
