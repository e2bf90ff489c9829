/**
 * The CIS Kubernetes Benchmark v1.12 checks `hacp verify` decides (ids and titles as in the benchmark, cross-checked
 * with kube-bench's cis-1.12 config), and the part of them decided by a component's flags alone. One source for both
 * users: `hacp verify` (lib/verify/cis.ts adds the checks of files, modes and other containers) and the constructs,
 * which warn when a user's `extraArgs` / `removeArgs` make a check fail that passes with the defaults.
 *
 * Light on purpose: no ajv, no commander, no file access.
 */

/** How bad a failed check is: `error` for the benchmark's Automated checks, `warning` for its Manual ones. */
export type CisSeverity = 'error' | 'warning';

/** One CIS check this tool decides. */
export interface CisCheck {
  /** The benchmark's id (`1.2.15`). */
  readonly id: string;
  /** The benchmark's recommendation, shortened (`--profiling is set to false`). */
  readonly title: string;
  /** `error` for the benchmark's Automated checks, `warning` for Manual ones. */
  readonly severity: CisSeverity;
  /** How the check is decided from the tree. */
  readonly how: string;
}

/** Automated checks fail with an error. */
const AUTOMATED: CisSeverity = 'error';
/** Manual checks fail with a warning. */
const MANUAL: CisSeverity = 'warning';

/** Every CIS check `hacp verify` decides (docs/verify.md has the same table). */
export const CIS_CHECKS: readonly CisCheck[] = [
  {
    id: '1.1.1',
    title: 'API server pod specification file permissions are 600 or more restrictive',
    severity: AUTOMATED,
    how: 'mode of the kube-apiserver static pod file',
  },
  {
    id: '1.1.3',
    title: 'Controller manager pod specification file permissions are 600 or more restrictive',
    severity: AUTOMATED,
    how: 'mode of the kube-controller-manager static pod file',
  },
  {
    id: '1.1.5',
    title: 'Scheduler pod specification file permissions are 600 or more restrictive',
    severity: AUTOMATED,
    how: 'mode of the kube-scheduler static pod file',
  },
  {
    id: '1.1.7',
    title: 'etcd pod specification file permissions are 600 or more restrictive',
    severity: AUTOMATED,
    how: 'mode of the etcd static pod file',
  },
  {
    id: '1.1.13',
    title: 'Default administrative credential file permissions are 600',
    severity: AUTOMATED,
    how: 'mode of admin.conf, super-admin.conf, bootkube auth/kubeconfig',
  },
  {
    id: '1.1.15',
    title: 'scheduler.conf file permissions are 600 or more restrictive',
    severity: AUTOMATED,
    how: 'mode of scheduler.conf',
  },
  {
    id: '1.1.17',
    title: 'controller-manager.conf file permissions are 600 or more restrictive',
    severity: AUTOMATED,
    how: 'mode of controller-manager.conf',
  },
  {
    id: '1.1.20',
    title: 'Kubernetes PKI certificate file permissions are 644 or more restrictive',
    severity: MANUAL,
    how: 'mode of every *.crt in the tree',
  },
  {
    id: '1.1.21',
    title: 'Kubernetes PKI key file permissions are 600',
    severity: MANUAL,
    how: 'mode of every *.key in the tree',
  },
  {
    id: '1.2.1',
    title: '--anonymous-auth is set to false',
    severity: MANUAL,
    how: 'flag, or the --authentication-config file: anonymous off or limited to /livez, /readyz, /healthz',
  },
  { id: '1.2.2', title: '--token-auth-file is not set', severity: AUTOMATED, how: 'flag' },
  {
    id: '1.2.3',
    title: 'DenyServiceExternalIPs admission plugin is set',
    severity: MANUAL,
    how: '--enable-admission-plugins',
  },
  {
    id: '1.2.4',
    title: '--kubelet-client-certificate and --kubelet-client-key are set',
    severity: AUTOMATED,
    how: 'flags',
  },
  { id: '1.2.5', title: '--kubelet-certificate-authority is set', severity: AUTOMATED, how: 'flag' },
  {
    id: '1.2.6',
    title: '--authorization-mode is not AlwaysAllow',
    severity: AUTOMATED,
    how: 'flag, or the --authorization-config file',
  },
  {
    id: '1.2.7',
    title: '--authorization-mode includes Node',
    severity: AUTOMATED,
    how: 'flag, or the --authorization-config file',
  },
  {
    id: '1.2.8',
    title: '--authorization-mode includes RBAC',
    severity: AUTOMATED,
    how: 'flag, or the --authorization-config file',
  },
  { id: '1.2.9', title: 'EventRateLimit admission plugin is set', severity: MANUAL, how: '--enable-admission-plugins' },
  {
    id: '1.2.10',
    title: 'AlwaysAdmit admission plugin is not set',
    severity: AUTOMATED,
    how: '--enable-admission-plugins',
  },
  {
    id: '1.2.11',
    title: 'AlwaysPullImages admission plugin is set',
    severity: MANUAL,
    how: '--enable-admission-plugins',
  },
  {
    id: '1.2.12',
    title: 'ServiceAccount admission plugin is set',
    severity: AUTOMATED,
    how: 'not in --disable-admission-plugins',
  },
  {
    id: '1.2.13',
    title: 'NamespaceLifecycle admission plugin is set',
    severity: AUTOMATED,
    how: 'not in --disable-admission-plugins',
  },
  {
    id: '1.2.14',
    title: 'NodeRestriction admission plugin is set',
    severity: AUTOMATED,
    how: '--enable-admission-plugins',
  },
  { id: '1.2.15', title: '--profiling is set to false', severity: AUTOMATED, how: 'flag' },
  { id: '1.2.16', title: '--audit-log-path is set', severity: AUTOMATED, how: 'flag' },
  { id: '1.2.17', title: '--audit-log-maxage is 30 or as appropriate', severity: AUTOMATED, how: 'flag >= 30' },
  { id: '1.2.18', title: '--audit-log-maxbackup is 10 or as appropriate', severity: AUTOMATED, how: 'flag >= 10' },
  { id: '1.2.19', title: '--audit-log-maxsize is 100 or as appropriate', severity: AUTOMATED, how: 'flag >= 100' },
  { id: '1.2.21', title: '--service-account-lookup is true', severity: AUTOMATED, how: 'flag unset or true' },
  { id: '1.2.22', title: '--service-account-key-file is set', severity: AUTOMATED, how: 'flag' },
  { id: '1.2.23', title: '--etcd-certfile and --etcd-keyfile are set', severity: AUTOMATED, how: 'flags' },
  { id: '1.2.24', title: '--tls-cert-file and --tls-private-key-file are set', severity: AUTOMATED, how: 'flags' },
  { id: '1.2.25', title: '--client-ca-file is set', severity: AUTOMATED, how: 'flag' },
  { id: '1.2.26', title: '--etcd-cafile is set', severity: AUTOMATED, how: 'flag' },
  { id: '1.2.27', title: '--encryption-provider-config is set', severity: MANUAL, how: 'flag' },
  {
    id: '1.2.28',
    title: 'Encryption providers are appropriately configured',
    severity: MANUAL,
    how: 'first provider of each resource in the encryption config file is aescbc, kms or secretbox',
  },
  {
    id: '1.2.29',
    title: 'API server only uses strong cryptographic ciphers',
    severity: MANUAL,
    how: '--tls-cipher-suites set and within the benchmark list',
  },
  { id: '1.2.30', title: '--service-account-extend-token-expiration is false', severity: AUTOMATED, how: 'flag' },
  { id: '1.3.1', title: '--terminated-pod-gc-threshold is set', severity: MANUAL, how: 'flag' },
  { id: '1.3.2', title: 'controller manager --profiling is false', severity: AUTOMATED, how: 'flag' },
  { id: '1.3.3', title: '--use-service-account-credentials is true', severity: AUTOMATED, how: 'flag' },
  { id: '1.3.4', title: '--service-account-private-key-file is set', severity: AUTOMATED, how: 'flag' },
  { id: '1.3.5', title: '--root-ca-file is set', severity: AUTOMATED, how: 'flag' },
  { id: '1.3.6', title: 'RotateKubeletServerCertificate is not disabled', severity: AUTOMATED, how: '--feature-gates' },
  {
    id: '1.3.7',
    title: 'controller manager --bind-address is 127.0.0.1',
    severity: AUTOMATED,
    how: 'flag unset or 127.0.0.1',
  },
  { id: '1.4.1', title: 'scheduler --profiling is false', severity: AUTOMATED, how: 'flag' },
  { id: '1.4.2', title: 'scheduler --bind-address is 127.0.0.1', severity: AUTOMATED, how: 'flag unset or 127.0.0.1' },
  { id: '2.1', title: 'etcd --cert-file and --key-file are set', severity: AUTOMATED, how: 'flag or ETCD_* variable' },
  { id: '2.2', title: 'etcd --client-cert-auth is true', severity: AUTOMATED, how: 'flag or ETCD_* variable' },
  { id: '2.3', title: 'etcd --auto-tls is not true', severity: AUTOMATED, how: 'flag or ETCD_* variable' },
  {
    id: '2.4',
    title: 'etcd --peer-cert-file and --peer-key-file are set',
    severity: AUTOMATED,
    how: 'flag or ETCD_* variable',
  },
  { id: '2.5', title: 'etcd --peer-client-cert-auth is true', severity: AUTOMATED, how: 'flag or ETCD_* variable' },
  { id: '2.6', title: 'etcd --peer-auto-tls is not true', severity: AUTOMATED, how: 'flag or ETCD_* variable' },
  {
    id: '2.7',
    title: 'A unique certificate authority is used for etcd',
    severity: MANUAL,
    how: 'etcd --trusted-ca-file differs from the API server --client-ca-file (path and content)',
  },
  {
    id: '4.2.1',
    title: 'kubelet anonymous auth is disabled',
    severity: AUTOMATED,
    how: 'KubeletConfiguration authentication.anonymous.enabled',
  },
  {
    id: '4.2.2',
    title: 'kubelet authorization mode is not AlwaysAllow',
    severity: AUTOMATED,
    how: 'KubeletConfiguration authorization.mode',
  },
  {
    id: '4.2.3',
    title: 'kubelet client CA file is set',
    severity: AUTOMATED,
    how: 'KubeletConfiguration authentication.x509.clientCAFile',
  },
  { id: '4.2.4', title: 'kubelet read-only port is 0', severity: MANUAL, how: 'KubeletConfiguration readOnlyPort' },
  {
    id: '4.2.5',
    title: 'kubelet streaming connection idle timeout is not 0',
    severity: MANUAL,
    how: 'KubeletConfiguration streamingConnectionIdleTimeout',
  },
  {
    id: '4.2.6',
    title: 'kubelet makeIPTablesUtilChains is true',
    severity: AUTOMATED,
    how: 'KubeletConfiguration makeIPTablesUtilChains',
  },
  {
    id: '4.2.8',
    title: 'kubelet eventRecordQPS is set appropriately',
    severity: MANUAL,
    how: 'KubeletConfiguration eventRecordQPS is not 0 (unlimited)',
  },
  {
    id: '4.2.9',
    title: 'kubelet TLS certificate and key are set',
    severity: MANUAL,
    how: 'tlsCertFile and tlsPrivateKeyFile, or serverTLSBootstrap',
  },
  {
    id: '4.2.10',
    title: 'kubelet rotateCertificates is not false',
    severity: AUTOMATED,
    how: 'KubeletConfiguration rotateCertificates',
  },
  {
    id: '4.2.11',
    title: 'kubelet RotateKubeletServerCertificate is not disabled',
    severity: MANUAL,
    how: 'KubeletConfiguration featureGates',
  },
  {
    id: '4.2.12',
    title: 'kubelet only uses strong cryptographic ciphers',
    severity: MANUAL,
    how: 'KubeletConfiguration tlsCipherSuites within the benchmark list',
  },
  { id: '4.2.13', title: 'A limit is set on pod PIDs', severity: MANUAL, how: 'KubeletConfiguration podPidsLimit' },
  {
    id: '4.2.14',
    title: 'kubelet seccompDefault is true',
    severity: MANUAL,
    how: 'KubeletConfiguration seccompDefault',
  },
  {
    id: '4.3.1',
    title: 'kube-proxy metrics service is bound to localhost',
    severity: AUTOMATED,
    how: '--metrics-bind-address flag or KubeProxyConfiguration metricsBindAddress',
  },
];

/** Strong ciphers of CIS 1.2.29 (API server). */
export const STRONG_CIPHERS_APISERVER = new Set([
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
]);
/** One failed check. */
export interface CisFailure {
  /** CIS id (`1.2.15`). */
  readonly id: string;
  /** What is wrong, naming the container and the flag. */
  readonly message: string;
  /** Overrides the check's own severity. @default - the check's severity */
  readonly severity?: CisSeverity;
}

/** Checks of the files a component's flags point at (only `hacp verify` has the files). */
export interface CisFileChecks {
  /** CIS 1.2.1 with `--authentication-config`: the file's anonymous section. */
  anonymousAuthentication(): CisFailure[];
  /** The authorizer types of the `--authorization-config` file, or the failure when it cannot be read. */
  authorizationModes(): string[] | CisFailure;
  /** CIS 1.2.28: the providers of the `--encryption-provider-config` file. */
  encryptionProviders(): CisFailure[];
  /** kube-proxy's `metricsBindAddress` from its `--config` file, if any. */
  proxyMetricsBindAddress(): string | undefined;
}

/** What the flag checks read from one container. */
export interface CisFlagInput {
  /** The component (`kube-apiserver`, `kube-controller-manager`, `kube-scheduler`, `etcd`, `kube-proxy`). */
  readonly component: string;
  /** Names the container in the messages (`kube-apiserver in Pod kube-system/kube-apiserver`). */
  readonly who: string;
  /** A flag's value by name without dashes (etcd: the flag or its `ETCD_*` variable); undefined when unset. */
  readonly flag: (name: string) => string | undefined;
  /** Whether a flag is given at all (with or without a value). */
  readonly has: (name: string) => boolean;
  /** Whether the pod uses the host's network (a pod-IP bind address is then a host address). */
  readonly hostNetwork: boolean;
  /**
   * Checks of the files the flags point at.
   * @default - none: a check that needs a file passes
   */
  readonly files?: CisFileChecks;
}

/** Failed CIS checks decided by a container's flags (and, with `files`, by the files they point at), in check order. */
export function cisFlagFailures(input: CisFlagInput): CisFailure[] {
  const out: CisFailure[] = [];
  const { who, flag, has } = input;
  const fail = (id: string, message: string, severity?: CisSeverity) =>
    out.push(severity ? { id, message, severity } : { id, message });
  const list = (name: string) =>
    (flag(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const requireFlags = (id: string, ...names: string[]) => {
    const missing = names.filter((name) => !flag(name));
    if (missing.length) fail(id, `${who}: ${missing.map((name) => `--${name}`).join(', ')} not set`);
  };
  const requireValue = (id: string, name: string, want: string, unsetOk = false) => {
    const value = flag(name);
    if (value === undefined ? !unsetOk : value !== want)
      fail(id, `${who}: --${name} is ${value === undefined ? 'not set' : `"${value}"`}, want ${want}`);
  };
  // 1.3.7 / 1.4.2: loopback only. A pod-network (self-hosted) pod binding its own pod IP listens on no other
  // interface, and its loopback is out of the kubelet probe's reach: a warning, not an error.
  const loopbackBind = (id: string) => {
    const bindAddress = flag('bind-address');
    if (bindAddress === '$(POD_IP)' && !input.hostNetwork)
      fail(id, `${who}: --bind-address is the pod IP (pod network, not the host's interfaces)`, 'warning');
    else requireValue(id, 'bind-address', '127.0.0.1', true);
  };
  const atLeast = (id: string, name: string, min: number) => {
    const value = Number(flag(name));
    if (!(value >= min)) fail(id, `${who}: --${name} is ${flag(name) ?? 'not set'}, want >= ${min}`);
  };
  switch (input.component) {
    case 'kube-apiserver': {
      anonymousAuth(input, out, fail);
      if (has('token-auth-file')) fail('1.2.2', `${who}: --token-auth-file is set`);
      const enabled = list('enable-admission-plugins');
      const disabled = list('disable-admission-plugins');
      if (!enabled.includes('DenyServiceExternalIPs'))
        fail('1.2.3', `${who}: DenyServiceExternalIPs not in --enable-admission-plugins`);
      requireFlags('1.2.4', 'kubelet-client-certificate', 'kubelet-client-key');
      requireFlags('1.2.5', 'kubelet-certificate-authority');
      authorization(input, out, fail);
      if (!enabled.includes('EventRateLimit'))
        fail('1.2.9', `${who}: EventRateLimit not in --enable-admission-plugins`);
      if (enabled.includes('AlwaysAdmit')) fail('1.2.10', `${who}: AlwaysAdmit is in --enable-admission-plugins`);
      if (!enabled.includes('AlwaysPullImages'))
        fail('1.2.11', `${who}: AlwaysPullImages not in --enable-admission-plugins`);
      if (disabled.includes('ServiceAccount'))
        fail('1.2.12', `${who}: ServiceAccount is in --disable-admission-plugins`);
      if (disabled.includes('NamespaceLifecycle'))
        fail('1.2.13', `${who}: NamespaceLifecycle is in --disable-admission-plugins`);
      if (!enabled.includes('NodeRestriction'))
        fail('1.2.14', `${who}: NodeRestriction not in --enable-admission-plugins`);
      requireValue('1.2.15', 'profiling', 'false');
      requireFlags('1.2.16', 'audit-log-path');
      atLeast('1.2.17', 'audit-log-maxage', 30);
      atLeast('1.2.18', 'audit-log-maxbackup', 10);
      atLeast('1.2.19', 'audit-log-maxsize', 100);
      requireValue('1.2.21', 'service-account-lookup', 'true', true);
      requireFlags('1.2.22', 'service-account-key-file');
      requireFlags('1.2.23', 'etcd-certfile', 'etcd-keyfile');
      requireFlags('1.2.24', 'tls-cert-file', 'tls-private-key-file');
      requireFlags('1.2.25', 'client-ca-file');
      requireFlags('1.2.26', 'etcd-cafile');
      if (!flag('encryption-provider-config')) fail('1.2.27', `${who}: --encryption-provider-config not set`);
      else out.push(...(input.files?.encryptionProviders() ?? []));
      out.push(...cipherSuiteFailures('1.2.29', list('tls-cipher-suites'), STRONG_CIPHERS_APISERVER, who));
      requireValue('1.2.30', 'service-account-extend-token-expiration', 'false');
      break;
    }
    case 'kube-controller-manager':
      requireFlags('1.3.1', 'terminated-pod-gc-threshold');
      requireValue('1.3.2', 'profiling', 'false');
      requireValue('1.3.3', 'use-service-account-credentials', 'true');
      requireFlags('1.3.4', 'service-account-private-key-file');
      requireFlags('1.3.5', 'root-ca-file');
      if (/RotateKubeletServerCertificate=false/.test(flag('feature-gates') ?? ''))
        fail('1.3.6', `${who}: --feature-gates disables RotateKubeletServerCertificate`);
      loopbackBind('1.3.7');
      break;
    case 'kube-scheduler':
      requireValue('1.4.1', 'profiling', 'false');
      loopbackBind('1.4.2');
      break;
    case 'etcd': {
      const missing = (...names: string[]) =>
        names
          .filter((name) => !flag(name))
          .map((name) => `--${name}`)
          .join(', ');
      if (missing('cert-file', 'key-file')) fail('2.1', `${who}: ${missing('cert-file', 'key-file')} not set`);
      if (flag('client-cert-auth') !== 'true')
        fail('2.2', `${who}: client-cert-auth is ${flag('client-cert-auth') ?? 'not set'}`);
      if (flag('auto-tls') === 'true') fail('2.3', `${who}: auto-tls is true`);
      if (missing('peer-cert-file', 'peer-key-file'))
        fail('2.4', `${who}: ${missing('peer-cert-file', 'peer-key-file')} not set`);
      if (flag('peer-client-cert-auth') !== 'true')
        fail('2.5', `${who}: peer-client-cert-auth is ${flag('peer-client-cert-auth') ?? 'not set'}`);
      if (flag('peer-auto-tls') === 'true') fail('2.6', `${who}: peer-auto-tls is true`);
      // 2.7 also compares the CA with the API server's (lib/verify/cis.ts); that it is set is decided here.
      if (!flag('trusted-ca-file')) fail('2.7', `${who}: trusted-ca-file not set`);
      break;
    }
    case 'kube-proxy': {
      const bind = flag('metrics-bind-address') ?? input.files?.proxyMetricsBindAddress();
      if (bind !== undefined && !/^(127\.0\.0\.1|\[?::1\]?|localhost)(:\d+)?$/.test(bind))
        fail('4.3.1', `${who}: metrics bound to "${bind}"`);
      break;
    }
    default:
      break;
  }
  return out;
}

/** Records a failed check. */
type Fail = (id: string, message: string) => void;

function anonymousAuth(input: CisFlagInput, out: CisFailure[], fail: Fail): void {
  const value = input.flag('anonymous-auth');
  if (value !== undefined) {
    if (value !== 'false') fail('1.2.1', `${input.who}: --anonymous-auth is "${value}"`);
    return;
  }
  if (!input.flag('authentication-config'))
    return fail('1.2.1', `${input.who}: --anonymous-auth not set (default true)`);
  out.push(...(input.files?.anonymousAuthentication() ?? []));
}

function authorization(input: CisFlagInput, out: CisFailure[], fail: Fail): void {
  let modes: string[];
  if (input.flag('authorization-config')) {
    const fromFile = input.files?.authorizationModes();
    if (fromFile === undefined) return;
    if (!Array.isArray(fromFile)) return void out.push(fromFile);
    modes = fromFile;
  } else {
    modes = (input.flag('authorization-mode') ?? 'AlwaysAllow').split(',');
  }
  if (modes.includes('AlwaysAllow'))
    fail('1.2.6', `${input.who}: authorization modes ${modes.join(',')} include AlwaysAllow`);
  if (!modes.includes('Node')) fail('1.2.7', `${input.who}: authorization modes ${modes.join(',')} lack Node`);
  if (!modes.includes('RBAC')) fail('1.2.8', `${input.who}: authorization modes ${modes.join(',')} lack RBAC`);
}

/** CIS 1.2.29 / 4.2.12: cipher suites set, and every one in `strong`. */
export function cipherSuiteFailures(
  id: string,
  suites: readonly string[],
  strong: ReadonlySet<string>,
  who: string,
): CisFailure[] {
  if (!suites.length) return [{ id, message: `${who}: cipher suites not set (Go defaults include weak suites)` }];
  const weak = suites.filter((suite) => !strong.has(suite));
  return weak.length ? [{ id, message: `${who}: weak cipher suites ${weak.join(', ')}` }] : [];
}
