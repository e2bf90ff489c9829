// The one place a component's command line and environment meet the user's overrides: internal defaults first, then
// the user's removals, then the user's flags. The flag references (lib/common/flag-reference) and the CIS rules
// (lib/common/cis-flag-checks) are loaded only when a construct with overrides is validated.
import { Construct } from 'constructs';
import { Annotations } from './annotations';
import type { CisFlagInput } from './cis-flag-checks';
import type { FlagComponent } from './flag-reference';

/** Command-line flags as `name → value`; flag names without `--`. */
export type Flags = Record<string, string>;

/** Environment variables as `name → value` (etcd's `ETCD_*` settings). */
export type EnvVars = Record<string, string>;

/** A user's changes to a component's default flags. */
export interface FlagOverrides {
  /**
   * Flags to add or override, without the leading dashes (`{ v: '2' }` → `--v=2`). Applied last: they win over every
   * default and every removal.
   * @default {}
   */
  readonly extraArgs?: Flags;
  /**
   * Default flags to drop, without dashes.
   * @default []
   */
  readonly removeArgs?: readonly string[];
}

/** The value of `--name=value` in rendered args, or undefined. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** `defaults` without `remove`, then `extra` on top; throws on a name with dashes or named in both. */
function mergeFlags(defaults: Flags, extra: Flags = {}, remove: readonly string[] = []): Flags {
  for (const k of Object.keys(extra)) {
    if (k.startsWith('-')) throw new Error(`extraArgs: flag names are given without dashes: '${k}'`);
  }
  for (const k of remove) {
    if (k.startsWith('-')) throw new Error(`removeArgs: flag names are given without dashes: '${k}'`);
    if (Object.prototype.hasOwnProperty.call(extra, k)) throw new Error(`removeArgs: '${k}' is also set in extraArgs; name it in one of them`);
  }
  const merged: Flags = { ...defaults };
  for (const k of remove) delete merged[k];
  return Object.assign(merged, extra);
}

/**
 * Renders flags as `--name=value`, sorted by name (as kubeadm does): `defaults` without the flags named in `remove`,
 * then `extra` on top, so the user's flags win over every default. Throws when a name starts with a dash or is both
 * removed and set.
 */
export function renderFlags(defaults: Flags, extra: Flags = {}, remove: readonly string[] = []): string[] {
  const merged = mergeFlags(defaults, extra, remove);
  return Object.keys(merged).sort().map((k) => `--${k}=${merged[k]}`);
}

/** What `componentArgs()` renders and checks. */
export interface ComponentArgsOptions extends FlagOverrides {
  /** The component whose flag reference applies. */
  readonly component: FlagComponent;
  /** Its version (`v1.35.4`); a user flag the component does not accept at this version fails validation. */
  readonly version: string;
  /** The component's flags before the user's overrides, every internal default and removal applied. */
  readonly defaults: Flags;
  /** Whether the pod uses the host's network (the CIS bind-address checks depend on it). */
  readonly hostNetwork: boolean;
}

/**
 * A component's args: `renderFlags(defaults, extraArgs, removeArgs)`. With overrides, it adds a validation to `scope`,
 * run when the app is synthesized: a flag of `extraArgs` unknown to (or removed from) the component at `version` is an
 * error; a deprecated one, a `removeArgs` entry that removes nothing, and an override that makes a CIS check fail that
 * passes with the defaults (`--anonymous-auth=true`, `--profiling=true`, `--authorization-mode=AlwaysAllow`, removing
 * `kubelet-certificate-authority`, ...) are warnings (`Annotations`).
 */
export function componentArgs(scope: Construct, options: ComponentArgsOptions): string[] {
  const merged = mergeFlags(options.defaults, options.extraArgs, options.removeArgs);
  if (Object.keys(options.extraArgs ?? {}).length || options.removeArgs?.length) {
    addValidationOnce(scope, () => flagProblems(options, merged));
  }
  return Object.keys(merged).sort().map((k) => `--${k}=${merged[k]}`);
}

/** What `checkEtcdEnvironment()` checks. */
export interface EtcdEnvironmentCheck {
  /** The etcd version (`3.6.6`). */
  readonly version: string;
  /** etcd's `ETCD_*` variables before the user's. */
  readonly defaults: Flags;
  /**
   * The user's variables, applied over `defaults`.
   * @default {}
   */
  readonly extraEnv?: EnvVars;
}

/**
 * Adds a validation to `scope` for a user's `ETCD_*` variables: one etcd does not know at `version` is an error (etcd
 * only logs it and runs without the setting); a deprecated one and one that makes a CIS check fail that passes with
 * the defaults (`ETCD_CLIENT_CERT_AUTH=false`, ...) are warnings.
 */
export function checkEtcdEnvironment(scope: Construct, check: EtcdEnvironmentCheck): void {
  const extra = check.extraEnv ?? {};
  if (!Object.keys(extra).length) return;
  addValidationOnce(scope, () => {
    const ref = require('./flag-reference') as typeof import('./flag-reference');
    const byEnv = new Map([...ref.knownFlags('etcd', check.version).values()].filter((f) => f.env).map((f) => [f.env!, f]));
    const errors: string[] = [];
    const warnings: string[] = [];
    for (const name of Object.keys(extra)) {
      if (ref.ETCD_NON_FLAG_ENV.has(name)) continue;
      const info = byEnv.get(name);
      if (!info) errors.push(`extraEnv: ${name} is not a setting of etcd ${check.version} (etcd would ignore it)`);
      else if (info.deprecated) warnings.push(`extraEnv: ${name} (${info.name}) is deprecated in etcd ${check.version}${info.note ? ` (${info.note})` : ''}`);
    }
    const setting = (env: EnvVars) => (n: string) => own(env, ref.etcdEnvName(`--${n}`));
    const merged = { ...check.defaults, ...extra };
    warnings.push(...weakenedCisChecks(
      { component: 'etcd', who: 'etcd', flag: setting(check.defaults), has: (n) => setting(check.defaults)(n) !== undefined, hostNetwork: true },
      { component: 'etcd', who: 'etcd', flag: setting(merged), has: (n) => setting(merged)(n) !== undefined, hostNetwork: true },
    ));
    return { errors, warnings };
  });
}

function own(flags: Flags, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(flags, name) ? flags[name] : undefined;
}

function flagProblems(o: ComponentArgsOptions, merged: Flags): { errors: string[]; warnings: string[] } {
  const ref = require('./flag-reference') as typeof import('./flag-reference');
  const errors: string[] = [];
  const warnings: string[] = [];
  const at = `${o.component} ${o.version}`;
  let table: Map<string, import('./flag-reference').FlagInfo>;
  try {
    table = ref.knownFlags(o.component, o.version);
  } catch (e) {
    return { errors: [`extraArgs cannot be checked: ${(e as Error).message}`], warnings: [] };
  }
  for (const [name, value] of Object.entries(o.extraArgs ?? {})) {
    const flag = ref.normaliseFlagName(o.component, `--${name}`);
    const removedValue = ref.removedIn(o.component, `${flag}=${value}`, o.version);
    if (removedValue) errors.push(`extraArgs: ${flag}=${value} is not accepted by ${at} (removed in ${removedValue})`);
    const info = table.get(flag);
    if (!info) {
      const removed = ref.removedIn(o.component, flag, o.version);
      errors.push(removed ? `extraArgs: ${flag} was removed from ${o.component} in ${removed}` : `extraArgs: ${flag} is not a flag of ${at}`);
    } else if (info.deprecated) {
      warnings.push(`extraArgs: ${flag} is deprecated in ${at}${info.note ? ` (${info.note})` : ''}`);
    }
  }
  for (const name of o.removeArgs ?? []) {
    if (!Object.prototype.hasOwnProperty.call(o.defaults, name)) warnings.push(`removeArgs: '${name}' is not a default flag of ${o.component}; nothing is removed`);
  }
  const input = (flags: Flags): CisFlagInput => ({
    component: o.component, who: o.component, flag: (n) => own(flags, n), has: (n) => own(flags, n) !== undefined, hostNetwork: o.hostNetwork,
  });
  warnings.push(...weakenedCisChecks(input(o.defaults), input(merged)));
  return { errors, warnings };
}

/** The CIS checks `after` fails and `before` passes, as warning messages. */
function weakenedCisChecks(before: CisFlagInput, after: CisFlagInput): string[] {
  const cis = require('./cis-flag-checks') as typeof import('./cis-flag-checks');
  const failedBefore = new Set(cis.cisFlagFailures(before).map((f) => f.id));
  const title = (id: string) => cis.CIS_CHECKS.find((c) => c.id === id)?.title;
  return cis.cisFlagFailures(after).filter((f) => !failedBefore.has(f.id))
    .map((f) => `weakens CIS ${f.id} (${title(f.id)}): ${f.message}`);
}

/**
 * Adds a validation computed once (cdk8s validates the whole app for every chart it synthesizes): its errors fail the
 * synth, its warnings go to `Annotations`.
 */
function addValidationOnce(scope: Construct, compute: () => { errors: string[]; warnings: string[] }): void {
  let errors: string[] | undefined;
  scope.node.addValidation({
    validate: () => {
      if (!errors) {
        const result = compute();
        for (const w of result.warnings) Annotations.of(scope).addWarning(w);
        errors = result.errors;
      }
      return errors;
    },
  });
}
