import * as path from 'path';
import { describeFsError, isFsError, readRegularFile } from '../util/fs-errors';
import { ClusterSpec, ResolvedClusterSpec } from './cluster-spec';
import { SpecValidationError } from './validate';

/** The OpenStack application credential, secret included: for the cloud controller manager's `cloud.conf` only. */
export interface OpenStackCredential {
  /** `openstack.applicationCredential.id`. */
  readonly id: string;
  /** The secret, read from `secretFile` or `secretEnv`. Never log it. */
  readonly secret: string;
}

/** Options of `readOpenStackCredential()`. */
export interface ReadOpenStackCredentialOptions {
  /** Directory a relative `secretFile` is resolved against. @default - the working directory */
  readonly cwd?: string;
  /** Called with warnings (a secret file readable by others). @default - ignored */
  readonly onWarning?: (warning: string) => void;
}

const HEADING = { heading: 'cannot read the OpenStack application credential' };

/**
 * True when the cluster runs the OpenStack cloud controller manager, whose `cloud.conf` needs the application
 * credential: `cloudProvider: external` (implied by `networking.podNetwork: cloud-routes`) with an `openstack:` section.
 */
export function needsOpenStackCredential(spec: ResolvedClusterSpec): boolean {
  return spec.cloudProvider === 'external' && spec.openstack !== undefined;
}

/**
 * Reads the application credential's secret from `openstack.applicationCredential.secretFile` (the file's content,
 * surrounding whitespace trimmed) or `.secretEnv` (the variable in `env`). Errors name the field and the file or the
 * variable, never the secret; a secret file that group or others can read is a warning.
 */
export function readOpenStackCredential(
  spec: ClusterSpec | ResolvedClusterSpec,
  env: NodeJS.ProcessEnv = process.env,
  options: ReadOpenStackCredentialOptions = {},
): OpenStackCredential {
  const cred = spec.openstack?.applicationCredential;
  if (!cred)
    throw new SpecValidationError(
      ['openstack: not set in the cluster spec (openstack.applicationCredential names the credential)'],
      undefined,
      HEADING,
    );
  let secret: string;
  if (cred.secretFile !== undefined && cred.secretEnv === undefined) {
    const file = path.resolve(options.cwd ?? process.cwd(), cred.secretFile);
    let read: { content: string; mode: number };
    try {
      read = readRegularFile(file);
    } catch (e) {
      if (!isFsError(e)) throw e;
      throw new SpecValidationError(
        [`openstack.applicationCredential.secretFile: ${describeFsError(e, file)}`],
        undefined,
        HEADING,
      );
    }
    if (read.mode & 0o077) {
      options.onWarning?.(
        `openstack.applicationCredential.secretFile: ${file} is readable by others (mode 0${read.mode.toString(8)}); chmod 600 it`,
      );
    }
    secret = read.content.trim();
    if (!secret)
      throw new SpecValidationError(
        [`openstack.applicationCredential.secretFile: ${file} is empty; put the application credential's secret in it`],
        undefined,
        HEADING,
      );
  } else if (cred.secretEnv !== undefined && cred.secretFile === undefined) {
    secret = (env[cred.secretEnv] ?? '').trim();
    if (!secret) {
      throw new SpecValidationError(
        [
          `openstack.applicationCredential.secretEnv: $${cred.secretEnv} is ${env[cred.secretEnv] === undefined ? 'not set' : 'empty'}; export the application credential's secret in it`,
        ],
        undefined,
        HEADING,
      );
    }
  } else {
    throw new SpecValidationError(
      ['openstack.applicationCredential: set exactly one of secretFile and secretEnv'],
      undefined,
      HEADING,
    );
  }
  return { id: cred.id, secret };
}
