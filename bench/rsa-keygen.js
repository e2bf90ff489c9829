#!/usr/bin/env node
'use strict';
/**
 * Why cold PKI is slow, in isolation: one RSA-2048 key made three ways, in one process, samples interleaved.
 *   node generateKeyPair   what lib/pki does (forge's native path = OpenSSL 3's RSA keygen)
 *   node primes + JWK      two `crypto.generatePrime(1024)` (OpenSSL BN_generate_prime), n/d/CRT values with BigInt,
 *                          imported with `createPrivateKey({ format: 'jwk' })`: a PROTOTYPE to size a possible fix,
 *                          not used by the library (it would need a crypto review first)
 *   cfssl genkey           Go's RSA keygen plus a process start (what the cfssl scripts pay per certificate)
 * Every prototype key is checked (size, sign + verify). Used by bench/run.js; alone: `node bench/rsa-keygen.js`.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { stats } = require('./_util');

const E = 65537n;
const b64u = (n) =>
  Buffer.from(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'), 'hex').toString('base64url');
const modInv = (a, m) => {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
};
const gcd = (a, b) => (b ? gcd(b, a % b) : a);

/** The prototype: an RSA key from two 1024-bit probable primes (top two bits set by OpenSSL, so n has 2048 bits). */
function rsaFromPrimes(bits = 2048) {
  for (;;) {
    const p = crypto.generatePrimeSync(bits / 2, { bigint: true });
    const q = crypto.generatePrimeSync(bits / 2, { bigint: true });
    // FIPS 186-4 B.3.1 conditions: e coprime to p-1 and q-1; |p - q| > 2^(bits/2 - 100)
    if (gcd(E, p - 1n) !== 1n || gcd(E, q - 1n) !== 1n) continue;
    if ((p > q ? p - q : q - p) <= 1n << BigInt(bits / 2 - 100)) continue;
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const d = modInv(E, lambda);
    const jwk = {
      kty: 'RSA',
      n: b64u(p * q),
      e: b64u(E),
      d: b64u(d),
      p: b64u(p),
      q: b64u(q),
      dp: b64u(d % (p - 1n)),
      dq: b64u(d % (q - 1n)),
      qi: b64u(modInv(q, p)),
    };
    return crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  }
}

function check(key) {
  if (key.asymmetricKeyDetails.modulusLength !== 2048)
    throw new Error(`modulus ${key.asymmetricKeyDetails.modulusLength}`);
  const sig = crypto.sign('sha256', Buffer.from('x'), key);
  if (!crypto.verify('sha256', Buffer.from('x'), crypto.createPublicKey(key), sig))
    throw new Error('sign/verify failed');
  key.export({ type: 'pkcs1', format: 'pem' });
}

function main(runs = Number(process.env.BENCH_RUNS || 5) * 2) {
  const csr = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-bench-rsa-')), 'csr.json');
  fs.writeFileSync(csr, JSON.stringify({ CN: 'bench', key: { algo: 'rsa', size: 2048 } }));
  const hasCfssl = spawnSync('cfssl', ['version']).status === 0;
  const cases = {
    'node generateKeyPair (OpenSSL RSA keygen; lib/pki today)': () =>
      crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }),
    'node generatePrime x2 + JWK import (prototype)': () => check(rsaFromPrimes()),
    ...(hasCfssl
      ? { 'cfssl genkey (Go keygen + process start)': () => spawnSync('cfssl', ['genkey', csr], { stdio: 'ignore' }) }
      : {}),
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = -1; i < runs; i++) {
    for (const [k, fn] of Object.entries(cases)) {
      const t = process.hrtime.bigint();
      fn();
      if (i >= 0) samples[k].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  fs.rmSync(path.dirname(csr), { recursive: true, force: true });
  return { runs, results: Object.entries(samples).map(([label, xs]) => ({ label, ...stats(xs) })) };
}

if (require.main === module) {
  for (const r of main().results)
    console.log(
      `${r.label.padEnd(60)} median ${r.median.toFixed(1)} ms (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)})`,
    );
}
module.exports = { main };
