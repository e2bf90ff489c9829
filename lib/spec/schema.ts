/**
 * JSON schema of `cluster.yaml` / `ClusterSpec`: shape, types, enums and unknown keys. Semantic checks (addresses,
 * overlaps, versions) live in `validate.ts`. Keep in sync with `cluster-spec.ts` (a test checks both).
 */
const str = { type: 'string', minLength: 1 };
const port = { type: 'integer', minimum: 1, maximum: 65535 };
const node = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'ip'],
  properties: { name: str, ip: str },
};

export const CLUSTER_SPEC_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['masters'],
  properties: {
    name: str,
    kubernetesVersion: str,
    etcdVersion: str,
    imageRegistry: str,
    masters: { type: 'array', items: node },
    workers: { type: 'array', items: node },
    apiEndpoint: {
      type: 'object',
      additionalProperties: false,
      required: ['host'],
      properties: { host: str, port },
    },
    apiServerPort: port,
    networking: {
      type: 'object',
      additionalProperties: false,
      properties: {
        serviceCidr: str,
        podCidr: str,
        clusterDomain: str,
        nodeCidrMaskSize: { type: 'integer', minimum: 1, maximum: 128 },
        podNetwork: { enum: ['flannel', 'cloud-routes', 'none'] },
      },
    },
    extraCertSans: { type: 'array', items: str },
    cloudProvider: { enum: ['none', 'external'] },
    openstack: {
      type: 'object',
      additionalProperties: false,
      required: ['authUrl', 'region', 'networkId', 'subnetId', 'routerId', 'applicationCredential'],
      properties: {
        authUrl: str,
        region: str,
        networkId: str,
        subnetId: str,
        routerId: str,
        floatingNetworkId: str,
        caFile: str,
        applicationCredential: {
          type: 'object',
          additionalProperties: false,
          required: ['id'],
          properties: { id: str, secretFile: str, secretEnv: str },
        },
      },
    },
    addons: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dns: { enum: ['coredns', 'kube-dns'] },
        metrics: { enum: ['metrics-server', 'heapster', 'none'] },
        dashboard: { type: 'boolean' },
        kubeProxyMode: { enum: ['iptables', 'nftables', 'ipvs'] },
        podCheckpointer: { type: 'boolean' },
      },
    },
    etcd: {
      type: 'object',
      additionalProperties: false,
      properties: {
        external: {
          type: 'object',
          additionalProperties: false,
          required: ['endpoints', 'caFile', 'certFile', 'keyFile'],
          properties: {
            endpoints: { type: 'array', minItems: 1, items: str },
            caFile: str,
            certFile: str,
            keyFile: str,
          },
        },
      },
    },
    loadBalancer: {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { enum: ['octavia', 'haproxy', 'kube-vip', 'none'] },
        octavia: {
          type: 'object',
          additionalProperties: false,
          required: ['subnet'],
          properties: {
            subnet: str,
            floatingIp: str,
            namePrefix: str,
            healthMonitor: { enum: ['HTTPS', 'TCP'] },
            timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
          },
        },
        haproxy: {
          type: 'object',
          additionalProperties: false,
          properties: {
            vip: str,
            interface: str,
            virtualRouterId: { type: 'integer', minimum: 1, maximum: 255 },
            subnet: str,
          },
        },
        kubeVip: {
          type: 'object',
          additionalProperties: false,
          properties: { vip: str, interface: str, image: str, subnet: str },
        },
      },
    },
    pki: {
      type: 'object',
      additionalProperties: false,
      properties: {
        keySize: { enum: [2048, 3072, 4096] },
        caValidityDays: { type: 'integer', minimum: 1, maximum: 36500 },
        validityDays: { type: 'integer', minimum: 1, maximum: 36500 },
        renewBeforeDays: { type: 'integer', minimum: 0, maximum: 36500 },
      },
    },
    namespaces: { type: 'array', items: str },
  },
} as const;
