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
  return args.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/** `defaults` without `remove`, then `extra` on top; throws on a name with dashes or named in both. */
function mergeFlags(defaults: Flags, extra: Flags = {}, remove: readonly string[] = []): Flags {
  for (const name of Object.keys(extra)) {
    if (name.startsWith('-')) throw new Error(`extraArgs: flag names are given without dashes: '${name}'`);
  }
  for (const name of remove) {
    if (name.startsWith('-')) throw new Error(`removeArgs: flag names are given without dashes: '${name}'`);
    if (Object.prototype.hasOwnProperty.call(extra, name))
      throw new Error(`removeArgs: '${name}' is also set in extraArgs; name it in one of them`);
  }
  const merged: Flags = { ...defaults };
  for (const name of remove) delete merged[name];
  return Object.assign(merged, extra);
}

/**
 * Renders flags as `--name=value`, sorted by name (as kubeadm does): `defaults` without the flags named in `remove`,
 * then `extra` on top, so the user's flags win over every default. Throws when a name starts with a dash or is both
 * removed and set.
 */
export function renderFlags(defaults: Flags, extra: Flags = {}, remove: readonly string[] = []): string[] {
  const merged = mergeFlags(defaults, extra, remove);
  return Object.keys(merged)
    .sort()
    .map((name) => `--${name}=${merged[name]}`);
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
  return Object.keys(merged)
    .sort()
    .map((name) => `--${name}=${merged[name]}`);
}

/** What `checkEtcdEnvironment()` checks. */
export interface EtcdEnvironmentCheck {
  /** The etcd version (`3.6.6`). */
  readonly version: string;
  /** etcd's `ETCD_*` variables before the user's. */
  readonly defaults: EnvVars;
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
    const byEnv = new Map(
      [...ref.knownFlags('etcd', check.version).values()].filter((info) => info.env).map((info) => [info.env!, info]),
    );
    const errors: string[] = [];
    const warnings: string[] = [];
    for (const name of Object.keys(extra)) {
      if (ref.ETCD_NON_FLAG_ENV.has(name)) continue;
      const info = byEnv.get(name);
      if (!info) errors.push(`extraEnv: ${name} is not a setting of etcd ${check.version} (etcd would ignore it)`);
      else if (info.deprecated)
        warnings.push(
          `extraEnv: ${name} (${info.name}) is deprecated in etcd ${check.version}${info.note ? ` (${info.note})` : ''}`,
        );
    }
    const setting = (env: EnvVars) => (flag: string) => own(env, ref.etcdEnvName(`--${flag}`));
    const merged = { ...check.defaults, ...extra };
    warnings.push(
      ...weakenedCisChecks(
        {
          component: 'etcd',
          who: 'etcd',
          flag: setting(check.defaults),
          has: (flag) => setting(check.defaults)(flag) !== undefined,
          hostNetwork: true,
        },
        {
          component: 'etcd',
          who: 'etcd',
          flag: setting(merged),
          has: (flag) => setting(merged)(flag) !== undefined,
          hostNetwork: true,
        },
      ),
    );
    return { errors, warnings };
  });
}

/** `values[name]` when `values` has it as an own property (`constructor` or `__proto__` are not flags). */
function own(values: Flags | EnvVars, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
}

/** The validation of `componentArgs()`: unknown or removed flags (errors), deprecated ones and weakened CIS checks. */
function flagProblems(options: ComponentArgsOptions, merged: Flags): { errors: string[]; warnings: string[] } {
  const ref = require('./flag-reference') as typeof import('./flag-reference');
  const errors: string[] = [];
  const warnings: string[] = [];
  const at = `${options.component} ${options.version}`;
  let table: Map<string, import('./flag-reference').FlagInfo>;
  try {
    table = ref.knownFlags(options.component, options.version);
  } catch (e) {
    return { errors: [`extraArgs cannot be checked: ${(e as Error).message}`], warnings: [] };
  }
  for (const [name, value] of Object.entries(options.extraArgs ?? {})) {
    const flag = ref.normaliseFlagName(options.component, `--${name}`);
    const removedValue = ref.removedIn(options.component, `${flag}=${value}`, options.version);
    if (removedValue) errors.push(`extraArgs: ${flag}=${value} is not accepted by ${at} (removed in ${removedValue})`);
    const info = table.get(flag);
    if (!info) {
      const removed = ref.removedIn(options.component, flag, options.version);
      errors.push(
        removed
          ? `extraArgs: ${flag} was removed from ${options.component} in ${removed}`
          : `extraArgs: ${flag} is not a flag of ${at}`,
      );
    } else if (info.deprecated) {
      warnings.push(`extraArgs: ${flag} is deprecated in ${at}${info.note ? ` (${info.note})` : ''}`);
    }
  }
  for (const name of options.removeArgs ?? []) {
    if (!Object.prototype.hasOwnProperty.call(options.defaults, name))
      warnings.push(`removeArgs: '${name}' is not a default flag of ${options.component}; nothing is removed`);
  }
  const input = (flags: Flags): CisFlagInput => ({
    component: options.component,
    who: options.component,
    flag: (name) => own(flags, name),
    has: (name) => own(flags, name) !== undefined,
    hostNetwork: options.hostNetwork,
  });
  warnings.push(...weakenedCisChecks(input(options.defaults), input(merged)));
  return { errors, warnings };
}

/** The CIS checks `after` fails and `before` passes, as warning messages. */
function weakenedCisChecks(before: CisFlagInput, after: CisFlagInput): string[] {
  const cis = require('./cis-flag-checks') as typeof import('./cis-flag-checks');
  const failedBefore = new Set(cis.cisFlagFailures(before).map((failure) => failure.id));
  const title = (id: string) => cis.CIS_CHECKS.find((check) => check.id === id)?.title;
  return cis
    .cisFlagFailures(after)
    .filter((failure) => !failedBefore.has(failure.id))
    .map((failure) => `weakens CIS ${failure.id} (${title(failure.id)}): ${failure.message}`);
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
        for (const warning of result.warnings) Annotations.of(scope).addWarning(warning);
        errors = result.errors;
      }
      return errors;
    },
  });
}
