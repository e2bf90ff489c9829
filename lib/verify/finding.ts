/** How bad a finding is: errors fail `hacp verify` (exit 1) and `cdk8s synth`; warnings are reported only. */
export type Severity = 'error' | 'warning';

/** The check classes of `hacp verify`. */
export type CheckClass = 'schema' | 'flags' | 'security' | 'consistency' | 'cluster';

/** One problem found in a synthesized tree. */
export interface Finding {
  /** `error` fails `hacp verify` (and the synth's validation); `warning` is reported only. */
  readonly severity: Severity;
  /** Which class of check found it. */
  readonly check: CheckClass;
  /**
   * Stable id: a CIS Kubernetes Benchmark v1.12 id for security checks (`1.2.16`), else a short name
   * (`flag-unknown`, `flag-duplicate`, `schema`, `hostpath-missing`, `endpoint-unserved`, ...).
   */
  readonly id: string;
  /** Human-readable message; names the object, flag or path and the bad value. */
  readonly message: string;
  /** File the finding is about, relative to the checked directory. */
  readonly file?: string;
}
