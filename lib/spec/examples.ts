import { ClusterSpec } from './cluster-spec';

/**
 * The built-in example for the static-pod control plane (`--example static`; `npm run synth` builds `static-pods/`
 * from it when there is no cluster spec file): three masters master0..master2 on 10.180.0.10-12, service range
 * 10.180.1.0/24, pod range 10.180.128.0/17, the API reached through an OpenStack Octavia load balancer's floating IP
 * 10.47.40.33 on port 443, every API server serving 6443.
 */
export const STATIC_EXAMPLE_CLUSTER: ClusterSpec = {
  name: 'kubernetes',
  masters: [
    { name: 'master0', ip: '10.180.0.10' },
    { name: 'master1', ip: '10.180.0.11' },
    { name: 'master2', ip: '10.180.0.12' },
  ],
  apiEndpoint: { host: '10.47.40.33', port: 443 },
  apiServerPort: 6443,
  networking: { serviceCidr: '10.180.1.0/24', podCidr: '10.180.128.0/17', clusterDomain: 'cluster.local' },
  loadBalancer: {
    type: 'octavia',
    octavia: { subnet: 'kthw-subnet', floatingIp: '10.47.40.33', namePrefix: 'masters' },
  },
};

/**
 * The built-in example for the self-hosted (bootkube) control plane (`--example bootkube`; `npm run synth` builds
 * `bootkube/` from it when there is no cluster spec file): masters master01..master03 on 172.17.5.101-103 (a private
 * network on `eth1`), one worker on 172.17.5.201, service range 10.3.0.0/24, pod range 10.2.0.0/16, the `tds-cloud`
 * application namespace and the Kubernetes Dashboard (`addons.dashboard`). kube-vip keeps the VIP 172.17.5.100 in
 * front of all three masters; the API servers serve 443, the endpoint's port, because kube-vip moves the address
 * without forwarding ports.
 */
export const BOOTKUBE_EXAMPLE_CLUSTER: ClusterSpec = {
  name: 'vagrant',
  masters: [
    { name: 'master01', ip: '172.17.5.101' },
    { name: 'master02', ip: '172.17.5.102' },
    { name: 'master03', ip: '172.17.5.103' },
  ],
  workers: [{ name: 'worker01', ip: '172.17.5.201' }],
  apiEndpoint: { host: '172.17.5.100', port: 443 },
  apiServerPort: 443,
  networking: { serviceCidr: '10.3.0.0/24', podCidr: '10.2.0.0/16', clusterDomain: 'cluster.local' },
  loadBalancer: { type: 'kube-vip', kubeVip: { vip: '172.17.5.100', interface: 'eth1' } },
  namespaces: ['tds-cloud'],
  addons: { dashboard: true },
};

/** The built-in examples by the name `--example` takes (`static`, `bootkube`), for the CLI and `hacp verify`. */
export const EXAMPLE_CLUSTERS: Readonly<Record<string, ClusterSpec>> = {
  static: STATIC_EXAMPLE_CLUSTER,
  bootkube: BOOTKUBE_EXAMPLE_CLUSTER,
};
