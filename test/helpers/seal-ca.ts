import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestSealKey {
  cert: X509Certificate;
  key: KeyObject;
}

/**
 * A test CA made by `openssl`, with seal certificates it issues (RSA and EC P-256) and a look-alike self-signed
 * one of the same name that it did not: what a qualified trust service provider and an impostor would hand out.
 */
export function makeSealCa(): {
  ca: X509Certificate;
  rsa: TestSealKey;
  ec: TestSealKey;
  stranger: TestSealKey;
  /** A PKCS#12 file (OpenSSL 3's defaults: PBES2, AES-256) of a seal key, its certificate and the CA's. */
  pkcs12(which: 'rsa' | 'ec', password: string, openssl?: string[]): Buffer;
  /** The PEM texts of a seal key and of its certificate followed by the CA's. */
  pem(which: 'rsa' | 'ec' | 'ca'): { key: string; chain: string };
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'credbridge-seal-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const subject = '/CN=Test Seal/O=Atlantic Polytechnic Institute';
  const selfSigned = (name: string, days: number, subj: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      '-subj',
      subj,
    );
  selfSigned('ca', 30, '/CN=Credbridge Test Seal CA');
  const issued = (name: string, keySpec: string[]) => {
    openssl(
      'req',
      '-newkey',
      ...keySpec,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '10',
    );
    return { cert: new X509Certificate(read(`${name}.pem`)), key: createPrivateKey(read(`${name}.key`)) };
  };
  const rsa = issued('rsa', ['rsa:2048']);
  const ec = issued('ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  selfSigned('stranger', 10, subject);
  return {
    ca: new X509Certificate(read('ca.pem')),
    rsa,
    ec,
    stranger: {
      cert: new X509Certificate(read('stranger.pem')),
      key: createPrivateKey(read('stranger.key')),
    },
    pkcs12(which, password, options = []) {
      const out = `${which}-${Date.now()}.p12`;
      openssl(
        ...['pkcs12', '-export', '-inkey', `${which}.key`, '-in', `${which}.pem`, '-certfile', 'ca.pem'],
        ...['-out', out, '-passout', `pass:${password}`, ...options],
      );
      return readFileSync(join(dir, out));
    },
    pem: (which) => ({ key: read(`${which}.key`), chain: read(`${which}.pem`) + read('ca.pem') }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
