// The three semver functions used, not the whole package (its index loads ~45 modules on every synth).
import coerce = require('semver/functions/coerce');
import gte = require('semver/functions/gte');
import parse = require('semver/functions/parse');

/** Oldest Kubernetes minor this library generates manifests for. */
export const MIN_KUBERNETES_MINOR = '1.33';
/** Newest Kubernetes minor this library generates manifests for. */
export const MAX_KUBERNETES_MINOR = '1.36';
/** Default Kubernetes version: a released v1.35 patch. */
export const DEFAULT_KUBERNETES_VERSION = 'v1.35.4';
/** Default etcd version: a released 3.6 patch (the `registry.k8s.io/etcd:3.6.6-0` image). */
export const DEFAULT_ETCD_VERSION = '3.6.6';
/** etcd minors this library can configure. */
export const SUPPORTED_ETCD_MINORS = ['3.5', '3.6'];

/** The Kubernetes minors of the supported window, oldest first. */
export const SUPPORTED_KUBERNETES_MINORS = ['1.33', '1.34', '1.35', '1.36'];

/** A parsed version (semver's `SemVer` has these and more; the package's typings do not depend on `@types/semver`). */
export interface ParsedVersion {
  /** The major version: `1` of `1.35.4`. */
  readonly major: number;
  /** The minor version: `35` of `1.35.4` (the Kubernetes minor that selects flags and defaults). */
  readonly minor: number;
  /** The patch version: `4` of `1.35.4`. */
  readonly patch: number;
  /** `1.35.4` (no `v`). */
  readonly version: string;
}

/** Parses `v1.35.4` or `1.35.4`; undefined when it is not a full semantic version. */
export function parseKubernetesVersion(version: string): ParsedVersion | undefined {
  if (typeof version !== 'string' || !/^v?\d+\.\d+\.\d+$/.test(version)) return undefined;
  return parse(version.replace(/^v/, '')) ?? undefined;
}

/** `1.35` for `v1.35.4`. */
export function minorOf(version: string): string {
  const v = coerce(version);
  if (!v) throw new Error(`not a version: '${version}'`);
  return `${v.major}.${v.minor}`;
}

/** True when `version` (e.g. etcd 3.6.6) is at least `minor` (e.g. `3.6`). */
export function atLeast(version: string, minor: string): boolean {
  return gte(coerce(version)!, coerce(minor)!);
}
