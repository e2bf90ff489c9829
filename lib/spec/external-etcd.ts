import * as crypto from 'crypto';
import * as path from 'path';
import { describeFsError, isFsError, readRegularFile } from '../util/fs-errors';
import { ClusterSpec, ResolvedClusterSpec } from './cluster-spec';
import { SpecValidationError } from './validate';

/** The client side of an external etcd (`etcd.external`), read from its files: what the API servers are given. */
export interface ExternalEtcdClient {
  /** Client URLs of the members (`etcd.external.endpoints`). */
  readonly endpoints: readonly string[];
  /** PEM of `caFile`: the CA the members' serving certificates are checked against (`--etcd-cafile`). */
  readonly caCrt: string;
  /** PEM of `certFile`: the API servers' client certificate (`--etcd-certfile`). */
  readonly clientCrt: string;
  /** PEM of `keyFile`: its private key (`--etcd-keyfile`). Never log it. */
  readonly clientKey: string;
}

/** Options of `readExternalEtcd()`. */
export interface ReadExternalEtcdOptions {
  /** Directory relative file paths are resolved against. @default - the working directory */
  readonly cwd?: string;
  /**
   * Called with warnings (a key readable by others, a client certificate about to expire or not signed by `caFile`).
   * @default - ignored
   */
  readonly onWarning?: (warning: string) => void;
  /** The current time (expiry checks). @default - now */
  readonly now?: Date;
}

const HEADING = { heading: 'cannot read the external etcd client files (etcd.external)' };

/**
 * The files of `etcd.external` (relative to `cwd`), read and checked, or undefined when the spec has no external
 * etcd: `caFile` must hold a CA certificate, `certFile` a client certificate that is valid now, `keyFile` its private
 * key. Each problem names the field and the file (never a key's content); a key file group or others can read is a
 * warning. The self-hosted app puts them into the API server's Secret and bootkube's `tls/` in place of the PKI's
 * etcd client pair.
 */
export function readExternalEtcd(
  spec: ClusterSpec | ResolvedClusterSpec,
  options: ReadExternalEtcdOptions = {},
): ExternalEtcdClient | undefined {
  const ext = spec.etcd?.external;
  if (!ext) return undefined;
  const cwd = options.cwd ?? process.cwd();
  const now = options.now ?? new Date();
  const problems: string[] = [];
  const read = (
    field: 'caFile' | 'certFile' | 'keyFile',
  ): { file: string; content: string; mode: number } | undefined => {
    const file = path.resolve(cwd, ext[field]);
    try {
      return { file, ...readRegularFile(file) };
    } catch (e) {
      if (!isFsError(e)) throw e;
      problems.push(`etcd.external.${field}: ${describeFsError(e, file)}`);
      return undefined;
    }
  };
  const certOf = (
    field: 'caFile' | 'certFile',
    f: { file: string; content: string } | undefined,
  ): crypto.X509Certificate | undefined => {
    if (!f) return undefined;
    const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(f.content)?.[0];
    try {
      if (!block) throw new Error('no PEM certificate (-----BEGIN CERTIFICATE-----) in it');
      return new crypto.X509Certificate(block);
    } catch (e) {
      problems.push(
        `etcd.external.${field}: ${f.file}: ${(e as Error).message.includes('PEM certificate') ? (e as Error).message : 'not a readable PEM certificate'}`,
      );
      return undefined;
    }
  };
  const caFile = read('caFile');
  const certFile = read('certFile');
  const keyFile = read('keyFile');
  const ca = certOf('caFile', caFile);
  const cert = certOf('certFile', certFile);
  if (ca && !ca.ca)
    problems.push(
      `etcd.external.caFile: ${caFile!.file}: not a CA certificate (basicConstraints CA:FALSE); give the CA that signed the etcd members' serving certificates`,
    );
  if (ca && new Date(ca.validTo).getTime() <= now.getTime())
    problems.push(`etcd.external.caFile: ${caFile!.file}: expired on ${new Date(ca.validTo).toISOString()}`);
  if (cert) {
    if (cert.ca)
      problems.push(
        `etcd.external.certFile: ${certFile!.file}: a CA certificate, not the API servers' client certificate`,
      );
    const notAfter = new Date(cert.validTo).getTime();
    if (notAfter <= now.getTime())
      problems.push(`etcd.external.certFile: ${certFile!.file}: expired on ${new Date(cert.validTo).toISOString()}`);
    else if (notAfter - now.getTime() < 30 * 86_400_000)
      options.onWarning?.(
        `etcd.external.certFile: ${certFile!.file} expires on ${new Date(cert.validTo).toISOString()}; renew it with your etcd's CA before then, or the API servers lose etcd`,
      );
    if (cert.keyUsage !== undefined && !cert.keyUsage.includes('1.3.6.1.5.5.7.3.2')) {
      problems.push(
        `etcd.external.certFile: ${certFile!.file}: not a client certificate (its extended key usage lacks clientAuth)`,
      );
    }
  }
  let key: crypto.KeyObject | undefined;
  if (keyFile) {
    try {
      key = crypto.createPrivateKey(keyFile.content);
    } catch {
      problems.push(`etcd.external.keyFile: ${keyFile.file}: not a readable PEM private key`);
    }
    if (keyFile.mode & 0o077)
      options.onWarning?.(
        `etcd.external.keyFile: ${keyFile.file} is readable by others (mode 0${keyFile.mode.toString(8)}); chmod 600 it`,
      );
  }
  // caFile checks the members' serving certificates; the members check this client certificate with their own
  // --trusted-ca-file, usually the same CA. Another issuer may be right, so it is said, not refused.
  if (ca && cert && ca.ca && !(cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
    options.onWarning?.(
      `etcd.external.certFile: ${certFile!.file} is not signed by caFile ${caFile!.file}; the etcd members must trust its issuer (their --trusted-ca-file), or they refuse the API servers`,
    );
  }
  if (cert && key && !cert.checkPrivateKey(key))
    problems.push(`etcd.external.keyFile: ${keyFile!.file} is not the key of ${certFile!.file}`);
  if (problems.length) throw new SpecValidationError(problems, undefined, HEADING);
  return {
    endpoints: [...ext.endpoints],
    caCrt: caFile!.content,
    clientCrt: certFile!.content,
    clientKey: keyFile!.content,
  };
}
