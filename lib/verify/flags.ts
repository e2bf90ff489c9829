/**
 * Command-line flag checks for the control-plane components, against the flag references shipped in
 * `schemas/flags/`, as corrected for each release by `lib/common/flag-reference` (`knownFlags()`).
 */
import {
  ETCD_NON_FLAG_ENV,
  FLAG_REFERENCE_VERSIONS,
  FlagComponent,
  etcdIgnoredFlags,
  knownFlags,
  normaliseFlagName as normalise,
  removedIn,
} from '../common/flag-reference';
import { Finding } from './finding';

// The flag tables themselves live in lib/common/flag-reference (the constructs check their users' flags with them).
export {
  FLAG_COMPONENTS,
  FLAG_REFERENCE_VERSIONS,
  FlagComponent,
  FlagInfo,
  etcdEnvName,
  knownFlags,
} from '../common/flag-reference';

/** A flag parsed from a command line. */
export interface ParsedFlag {
  /** `--name`, normalised (`-v` → `--v`; `_` → `-` for Kubernetes components, whose flag sets normalise it). */
  readonly name: string;
  /** The text as written (`--v=2`). */
  readonly raw: string;
  /** The value (`2` of `--v=2` or `--v 2`); undefined for a bare flag (`--help`). */
  readonly value?: string;
}

/**
 * Parses a command line (`command` + `args` of a container, the binary name may be first): `--k=v`, `--k v`, `-v=2`.
 * Tokens that are not flags are skipped. For etcd, `-name` means `--name` (Go's flag package).
 */
export function parseFlags(component: FlagComponent, args: readonly string[]): ParsedFlag[] {
  const out: ParsedFlag[] = [];
  for (let i = 0; i < args.length; i++) {
    const raw = String(args[i]);
    if (!raw.startsWith('-') || raw === '-' || raw === '--') continue;
    const eq = raw.indexOf('=');
    let name = eq > 0 ? raw.slice(0, eq) : raw;
    let value = eq > 0 ? raw.slice(eq + 1) : undefined;
    if (value === undefined && i + 1 < args.length && !String(args[i + 1]).startsWith('-')) value = String(args[++i]);
    if (!name.startsWith('--')) name = `-${name}`; // -v → --v (shorthand), etcd -name → --name
    out.push({ name: normalise(component, name), raw, value });
  }
  return out;
}

/**
 * Checks a component's command line against the flag reference of `version`:
 * unknown or removed flags (error, `flag-unknown` / `flag-removed`), deprecated flags (warning, `flag-deprecated`),
 * flags given more than once (error, `flag-duplicate`).
 */
export function checkFlags(component: FlagComponent, args: readonly string[], version?: string): Finding[] {
  return flagFindings(component, args, version);
}

/** `checkFlags()`, with the command line already parsed when `parsed` is given. */
function flagFindings(
  component: FlagComponent,
  args: readonly string[],
  version: string | undefined,
  parsed?: readonly ParsedFlag[],
): Finding[] {
  const table = knownFlags(component, version);
  const v = version ?? FLAG_REFERENCE_VERSIONS[component];
  const findings: Finding[] = [];
  const seen = new Map<string, string>();
  const flag = (severity: Finding['severity'], id: string, message: string) =>
    findings.push({ severity, check: 'flags', id, message: `${component} ${v}: ${message}` });

  for (const f of parsed ?? parseFlags(component, args)) {
    const first = seen.get(f.name);
    if (first !== undefined) {
      flag('error', 'flag-duplicate', `${f.name} is given twice ("${first}" and "${f.raw}"); only one takes effect`);
    }
    seen.set(f.name, f.raw);
    const removedValue = removedIn(component, `${f.name}=${f.value}`, v);
    if (removedValue) flag('error', 'flag-removed', `"${f.raw}": value removed in ${removedValue}`);
    const info = table.get(f.name);
    if (!info) {
      const removed = removedIn(component, f.name, v);
      if (removed) flag('error', 'flag-removed', `${f.name} was removed in ${removed}`);
      else flag('error', 'flag-unknown', `unknown flag ${f.name} ("${f.raw}")`);
    } else if (info.deprecated) {
      flag('warning', 'flag-deprecated', `${f.name} is deprecated${info.note ? ` (${info.note})` : ''}`);
    } else if (component === 'etcd' && etcdIgnoredFlags().has(f.name.slice(2))) {
      flag('warning', 'flag-ignored', `${f.name} is a legacy flag etcd accepts and ignores`);
    }
  }
  return findings;
}

/** A container's `env` list (`[{name, value}]`) or a plain map. */
export type EnvInput =
  | ReadonlyArray<{
      /** The variable's name. */
      readonly name: string;
      /** Its literal value; undefined for `valueFrom`. */
      readonly value?: string;
    }>
  | Readonly<Record<string, string | undefined>>;

/**
 * Checks an etcd container: its flags (`checkFlags('etcd', ...)`), unknown `ETCD_*` environment variables (error,
 * `etcd-env-unknown`: etcd only logs them and carries on without the setting), and any setting given both as
 * `ETCD_*` and as a flag (error, `etcd-env-and-flag`: etcd refuses to start, "conflicting environment variable ...
 * is shadowed by corresponding command-line flag"). Deprecated settings given as env are warnings too.
 */
export function checkEtcdSettings(args: readonly string[], env: EnvInput = [], etcdVersion?: string): Finding[] {
  const parsed = parseFlags('etcd', args);
  const findings = flagFindings('etcd', args, etcdVersion, parsed);
  const v = etcdVersion ?? FLAG_REFERENCE_VERSIONS.etcd;
  const table = knownFlags('etcd', etcdVersion);
  const byEnv = new Map([...table.values()].filter((f) => f.env).map((f) => [f.env!, f]));
  const flags = new Set(parsed.map((f) => f.name));
  const names = Array.isArray(env) ? env.map((e) => e.name) : Object.keys(env);
  for (const name of names) {
    if (!name.startsWith('ETCD_') || ETCD_NON_FLAG_ENV.has(name)) continue;
    const info = byEnv.get(name);
    const finding = (severity: Finding['severity'], id: string, message: string) =>
      findings.push({ severity, check: 'flags', id, message: `etcd ${v}: ${message}` });
    if (!info) finding('error', 'etcd-env-unknown', `unknown environment variable ${name}: etcd ignores it`);
    else if (flags.has(info.name)) {
      finding(
        'error',
        'etcd-env-and-flag',
        `${name} and ${info.name} are both set: etcd exits ("conflicting environment variable ${name} is shadowed by corresponding command-line flag")`,
      );
    } else if (info.deprecated) {
      finding(
        'warning',
        'flag-deprecated',
        `${name} (${info.name}) is deprecated${info.note ? ` (${info.note})` : ''}`,
      );
    }
  }
  if (flags.has('--config-file') && (flags.size > 1 || names.some((n) => byEnv.has(n)))) {
    findings.push({
      severity: 'warning',
      check: 'flags',
      id: 'etcd-config-file',
      message: `etcd ${v}: --config-file is set: every other flag and ETCD_* variable is ignored`,
    });
  }
  return findings;
}
