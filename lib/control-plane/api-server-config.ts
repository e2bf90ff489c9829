import { Yaml } from 'cdk8s';
import { ResolvedClusterSpec, atLeast } from '../spec';

/**
 * The audit policy the API server logs with (CIS 1.2.16-1.2.19, 3.2.1/3.2.2): no logging of the noisy read-only
 * health, discovery and node/lease heartbeat traffic; Secrets, ConfigMaps, TokenReviews and TokenRequests logged
 * at Metadata (never their bodies); everything else at Metadata, writes to RBAC and workloads at RequestResponse.
 */
export function auditPolicy(): Record<string, unknown> {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      {
        level: 'None',
        nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version', '/openapi*', '/api*', '/metrics'],
      },
      {
        level: 'None',
        users: ['system:kube-proxy'],
        verbs: ['watch'],
        resources: [{ group: '', resources: ['endpoints', 'services', 'services/status'] }],
      },
      {
        level: 'None',
        userGroups: ['system:nodes'],
        verbs: ['get', 'update', 'patch'],
        resources: [
          { group: '', resources: ['nodes', 'nodes/status'] },
          { group: 'coordination.k8s.io', resources: ['leases'] },
        ],
      },
      {
        level: 'None',
        users: [
          'system:kube-controller-manager',
          'system:kube-scheduler',
          'system:serviceaccount:kube-system:endpoint-controller',
        ],
        verbs: ['get', 'update'],
        resources: [
          { group: 'coordination.k8s.io', resources: ['leases'] },
          { group: '', resources: ['endpoints'] },
        ],
      },
      {
        level: 'None',
        resources: [
          { group: '', resources: ['events'] },
          { group: 'events.k8s.io', resources: ['events'] },
        ],
      },
      {
        level: 'Metadata',
        resources: [
          { group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token'] },
          { group: 'authentication.k8s.io', resources: ['tokenreviews'] },
        ],
      },
      {
        level: 'RequestResponse',
        verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
        resources: [
          { group: 'rbac.authorization.k8s.io' },
          { group: 'apps' },
          {
            group: '',
            resources: [
              'pods',
              'pods/exec',
              'pods/attach',
              'pods/portforward',
              'services',
              'namespaces',
              'serviceaccounts',
            ],
          },
        ],
      },
      { level: 'Metadata' },
    ],
  };
}

/**
 * Structured authentication configuration (`--authentication-config`): anonymous requests are accepted only for
 * `/livez`, `/readyz` and `/healthz`, which kubelet probes and load balancer health checks need (they carry no
 * credentials). Everywhere else anonymous access is off, which is what CIS 1.2.1 asks for. The `apiserver.config.k8s.io`
 * version is v1 from Kubernetes 1.34, v1beta1 before.
 */
export function authenticationConfiguration(spec: ResolvedClusterSpec): Record<string, unknown> {
  return authenticationConfigurationFor(authenticationVersion(spec));
}

/** `auditPolicy()` as the file the API server reads; rendered once (every master, both topologies, same bytes). */
export function auditPolicyYaml(): string {
  return (auditPolicyText ??= Yaml.stringify(auditPolicy()));
}
let auditPolicyText: string | undefined;

/** `authenticationConfiguration(spec)` as the file the API server reads; rendered once per apiVersion. */
export function authenticationConfigurationYaml(spec: ResolvedClusterSpec): string {
  const version = authenticationVersion(spec);
  let text = authenticationText.get(version);
  if (text === undefined)
    authenticationText.set(version, (text = Yaml.stringify(authenticationConfigurationFor(version))));
  return text;
}
const authenticationText = new Map<string, string>();

function authenticationVersion(spec: ResolvedClusterSpec): 'v1' | 'v1beta1' {
  return atLeast(spec.kubernetesVersion.replace(/^v/, ''), '1.34') ? 'v1' : 'v1beta1';
}

function authenticationConfigurationFor(version: 'v1' | 'v1beta1'): Record<string, unknown> {
  return {
    apiVersion: `apiserver.config.k8s.io/${version}`,
    kind: 'AuthenticationConfiguration',
    anonymous: { enabled: true, conditions: [{ path: '/livez' }, { path: '/readyz' }, { path: '/healthz' }] },
  };
}
