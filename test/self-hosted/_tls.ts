import { SelfHostedTlsAssets, TlsFiles } from '../../lib/self-hosted';

/** Placeholder PEM blocks (no key material): the constructs only copy them into Secrets. */
export function dummyTls(): SelfHostedTlsAssets {
  const pem = (name: string, type: string) =>
    `-----BEGIN ${type}-----\n${Buffer.from(`dummy ${name}`).toString('base64')}\n-----END ${type}-----\n`;
  const entries = Object.keys(TlsFiles).map((k) => [
    k,
    pem(k, /Key$/.test(k) ? 'PRIVATE KEY' : /Pub$/.test(k) ? 'PUBLIC KEY' : 'CERTIFICATE'),
  ]);
  return Object.fromEntries(entries) as unknown as SelfHostedTlsAssets;
}
