import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import * as pkijs from 'pkijs';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { Refusal } from '../../src/errors/refusal.js';
import { sealCredential } from '../../src/seals/jades-seal.js';
import { verifySeal } from '../../src/seals/jades-verify.js';
import { SealCertificate } from '../../src/seals/seal-model.js';
import { readSealImport } from '../../src/seals/seal-import.js';
import {
  activeSeal,
  createTestSeal,
  importSeal,
  institutionSeals,
  sealKey,
  summarizeSeal,
} from '../../src/seals/seals.js';
import { decryptSecret } from '../../src/security/encryption.js';
import { rotateKeyEncryptionKey } from '../../src/security/kek-rotation.js';
import { databaseUri, silentLogger, uniqueName } from '../helpers/env.js';
import { makeSealCa } from '../helpers/seal-ca.js';

/**
 * An institution's seals as an administrator hands them in: PKCS#12 files made by openssl (as a trust service
 * provider's are) and PEM keys with chains; each refusal names its field; the key is stored only encrypted and
 * follows a KEK rotation; importing another seal retires the one before, whose credentials keep verifying.
 */
const ca = makeSealCa();
const KEK = randomBytes(32);

beforeAll(async () => {
  await connectDatabase(databaseUri(uniqueName('seals')), silentLogger());
});
afterAll(async () => {
  await disconnectDatabase();
  ca.remove();
});

/** The refusal's field-named problems, or a failure when the call did not refuse. */
async function refusalOf(run: Promise<unknown>): Promise<string[]> {
  try {
    await run;
  } catch (err) {
    expect(err).toBeInstanceOf(Refusal);
    return (err as Refusal).problems;
  }
  throw new Error('expected a refusal');
}

describe('reading a seal import', () => {
  it('opens an OpenSSL 3 PKCS#12 file and orders the chain from the seal certificate to its CA', async () => {
    const key = await readSealImport({ pkcs12: ca.pkcs12('rsa', 'geheim 2026'), password: 'geheim 2026' });
    expect(key.certificates.map((c) => c.fingerprint256)).toEqual([
      ca.rsa.cert.fingerprint256,
      ca.ca.fingerprint256,
    ]);
    expect(key.privateKey.asymmetricKeyType).toBe('rsa');
    expect(key.certificates[0]!.checkPrivateKey(key.privateKey)).toBe(true);
  });

  it('reads a PEM key and chain (EC P-256)', async () => {
    const pem = ca.pem('ec');
    const key = await readSealImport({ privateKeyPem: pem.key, certificatesPem: pem.chain });
    expect(key.certificates[0]!.fingerprint256).toBe(ca.ec.cert.fingerprint256);
    expect(key.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('refuses, naming the field: a wrong password, a file that is not PKCS#12, a key of another certificate, an expired certificate, no certificate', async () => {
    const p12 = ca.pkcs12('ec', 'right');
    expect(await refusalOf(readSealImport({ pkcs12: p12, password: 'wrong' }))).toEqual([
      'password: the password does not open this PKCS#12 file',
    ]);
    expect(await refusalOf(readSealImport({ pkcs12: Buffer.from('not asn.1'), password: 'x' }))).toEqual([
      'pkcs12: not a PKCS#12 (.p12, .pfx) file',
    ]);
    const mixed = { privateKeyPem: ca.pem('rsa').key, certificatesPem: ca.pem('ec').chain };
    expect(await refusalOf(readSealImport(mixed))).toEqual([
      'certificates: no certificate is for this private key',
    ]);
    const later = new Date(Date.now() + 400 * 24 * 3600_000);
    const [expired] = await refusalOf(
      readSealImport({ privateKeyPem: ca.pem('ec').key, certificatesPem: ca.pem('ec').chain }, later),
    );
    expect(expired).toMatch(/^certificates: the certificate expired on /);
    expect(
      await refusalOf(readSealImport({ privateKeyPem: ca.pem('ec').key, certificatesPem: 'nothing' })),
    ).toEqual(['certificates: no PEM certificate found']);
    expect(
      await refusalOf(readSealImport({ privateKeyPem: 'garbage', certificatesPem: ca.pem('ec').chain })),
    ).toEqual(['privateKey: not an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)']);
    const caAsSeal = ca.pem('ca');
    expect(
      await refusalOf(readSealImport({ privateKeyPem: caAsSeal.key, certificatesPem: caAsSeal.chain })),
    ).toEqual(['certificates: the certificate is a CA certificate, not a seal certificate']);
  });
});

describe('a PKCS#12 file asking for too much work', () => {
  it('is refused before any derivation runs: MAC iterations, and the PBKDF2 of its certificates and key', async () => {
    // The MAC's derivation runs in JavaScript on the event loop: millions of iterations would hold the server.
    const pfx = pkijs.PFX.fromBER(new Uint8Array(ca.pkcs12('ec', 'pw')).buffer);
    pfx.macData!.iterations = 5_000_000;
    const macBomb = Buffer.from(pfx.toSchema().toBER());
    const started = performance.now();
    expect(await refusalOf(readSealImport({ pkcs12: macBomb, password: 'pw' }))).toEqual([
      'pkcs12: its integrity check asks for 5000000 key-derivation iterations; at most 100000 are accepted',
    ]);
    expect(performance.now() - started).toBeLessThan(500);
    const pbkdf2 = ca.pkcs12('ec', 'pw', ['-iter', '200000', '-nomaciter']);
    expect(await refusalOf(readSealImport({ pkcs12: pbkdf2, password: 'pw' }))).toEqual([
      'pkcs12: its certificates asks for 200000 key-derivation iterations; at most 100000 are accepted',
    ]);
    // Java's keytool default (10,000) and OpenSSL's (2,048) are well within.
    const java = ca.pkcs12('ec', 'pw', ['-iter', '10000']);
    expect((await readSealImport({ pkcs12: java, password: 'pw' })).certificates[0]!.fingerprint256).toBe(
      ca.ec.cert.fingerprint256,
    );
  });
});

describe("an institution's seals", () => {
  it('stores the key only encrypted under the KEK, bound to the seal, and seals with it', async () => {
    const seal = await importSeal('inst-a', { pkcs12: ca.pkcs12('rsa', 'pw'), password: 'pw' }, KEK);
    const stored = await SealCertificate.findById(seal._id).lean();
    expect(stored!.sealedPrivateKey).not.toMatch(/PRIVATE KEY/);
    expect(decryptSecret(KEK, stored!.sealedPrivateKey, `seal:${seal._id}`)).toMatch(/BEGIN PRIVATE KEY/);
    // Copied to another record, the secret does not open.
    expect(() => decryptSecret(KEK, stored!.sealedPrivateKey, 'seal:inst-b:other')).toThrow();
    const sealed = await sealCredential({ hello: 'world' }, sealKey(seal, KEK));
    const verdict = await verifySeal(sealed, { trustAnchors: [ca.ca] });
    expect(verdict).toMatchObject({ ok: true, trusted: true, payload: { hello: 'world' } });
    expect(verdict.signer!.fingerprint).toBe(seal.fingerprint);
    expect(summarizeSeal(seal)).toMatchObject({
      holder: 'Atlantic Polytechnic Institute',
      test: false,
      qualified: false,
      status: 'active',
    });
  });

  it('rotates: a second import is active, the first retired and still listed; the same certificate twice is a conflict', async () => {
    const first = (await activeSeal('inst-a'))!;
    const pem = ca.pem('ec');
    const second = await importSeal('inst-a', { privateKeyPem: pem.key, certificatesPem: pem.chain }, KEK);
    expect((await activeSeal('inst-a'))!._id).toBe(second._id);
    const all = await institutionSeals('inst-a');
    expect(all.map((s) => [s._id, s.status])).toEqual([
      [second._id, 'active'],
      [first._id, 'retired'],
    ]);
    // A credential sealed by the retired seal still verifies: it carries its own certificate.
    const old = await sealCredential({ n: 1 }, sealKey(first, KEK));
    expect((await verifySeal(old, { trustAnchors: [ca.ca] })).ok).toBe(true);
    await expect(
      importSeal('inst-a', { privateKeyPem: pem.key, certificatesPem: pem.chain }, KEK),
    ).rejects.toMatchObject({ kind: 'conflict' });
    // Another institution sees none of these.
    expect(await institutionSeals('inst-b')).toEqual([]);
    expect(await activeSeal('inst-b')).toBeUndefined();
  });

  it('makes a test seal that says so in its certificate and its record', async () => {
    const seal = await createTestSeal('inst-b', 'Institut <Test> de Lyon', KEK);
    const summary = summarizeSeal(seal);
    expect(summary).toMatchObject({ test: true, qualified: false, holder: 'Institut <Test> de Lyon' });
    expect(summary.subject).toContain('Credbridge test seal, not qualified');
    expect(summary.daysLeft).toBeGreaterThan(360);
    const sealed = await sealCredential({ n: 2 }, sealKey(seal, KEK));
    const verdict = await verifySeal(sealed);
    expect(verdict).toMatchObject({ ok: true, trusted: false });
    expect(verdict.signer!.holder).toBe('Institut <Test> de Lyon');
  });

  it('warns from 30 days before the certificate ends, and once it has ended', async () => {
    const seal = (await activeSeal('inst-b'))!;
    const day = 24 * 3600_000;
    const end = seal.validTo.getTime();
    expect(summarizeSeal(seal, new Date(end - 40 * day)).warning).toBeUndefined();
    expect(summarizeSeal(seal, new Date(end - 10 * day - 1000))).toMatchObject({
      warning: 'expiring',
      daysLeft: 10,
    });
    expect(summarizeSeal(seal, new Date(end + day)).warning).toBe('expired');
  });

  it('follows a KEK rotation: every seal key re-sealed and still usable under the new key', async () => {
    const next = randomBytes(32);
    const reports = await rotateKeyEncryptionKey({ oldKey: KEK, newKey: next });
    const seals = reports.find((r) => r.collection === 'seals')!;
    expect(seals).toMatchObject({ secrets: 3, failed: 0 });
    for (const seal of await institutionSeals('inst-a')) {
      const fresh = { ...seal, _id: seal._id };
      expect(decryptSecret(next, fresh.sealedPrivateKey, `seal:${seal._id}`)).toMatch(/PRIVATE KEY/);
    }
  });
});
