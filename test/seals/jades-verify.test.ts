import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FlattenedSign } from 'jose';
import { verifySeal } from '../../src/seals/jades-verify.js';
import { makeSealCa, type TestSealKey } from '../helpers/seal-ca.js';

/**
 * Seals as the EDC infrastructure makes them: the EU's own sealed sample, and seals made here with a test CA that
 * `openssl` issues, each then tampered with the ways an attacker would.
 */
const EU_SAMPLE = JSON.parse(
  readFileSync('test/fixtures/elm/Sample-MC-Annex1-signed.jsonld', 'utf8'),
) as unknown;
let ca: X509Certificate;
let seal: TestSealKey;
let stranger: TestSealKey;
let removeCa: () => void;

beforeAll(() => {
  let rsa: TestSealKey;
  ({ ca, rsa, stranger, remove: removeCa } = makeSealCa());
  seal = rsa;
});

afterAll(() => removeCa());

const credential = {
  id: 'urn:credential:1',
  type: ['VerifiableCredential', 'EuropeanDigitalCredential'],
  title: 'Łódź',
};

/** A JAdES baseline B-B seal in the EU sample's serialization, with header changes a test asks for. */
async function sealed(
  signer = seal,
  header: Record<string, unknown> = {},
  payload = JSON.stringify(credential),
): Promise<{ payload: string; signatures: Record<string, unknown>[] }> {
  const der = signer.cert.raw;
  const jws = await new FlattenedSign(new TextEncoder().encode(payload))
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'jose+json',
      b64: false,
      crit: ['b64', 'sigT'],
      sigT: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      x5c: [der.toString('base64')],
      'x5t#S256': createHash('sha256').update(der).digest('base64url'),
      ...header,
    })
    // jose signs only what it is told the critical parameters are.
    .sign(signer.key, { crit: { sigT: true, sigPl: true } });
  return { payload, signatures: [{ protected: jws.protected, signature: jws.signature }] };
}

const reasons = (v: { checks: { ok: boolean; check: string; message: string }[] }) =>
  v.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.message}`);

describe('JAdES seals', () => {
  it('verifies the EU’s sealed micro-credential sample, and says its certificate has expired since', async () => {
    const verdict = await verifySeal(EU_SAMPLE, { now: new Date('2026-12-01T00:00:00Z') });
    expect(verdict.ok).toBe(true);
    expect(verdict.signedAt).toBe('2023-09-27T11:54:17Z');
    expect(verdict.signer).toMatchObject({ qualified: true });
    expect(verdict.signer!.subject).toContain('CN=TEST SEAL');
    const message = (check: string) => verdict.checks.find((c) => c.check === check)?.message;
    expect(message('validity')).toMatch(
      /valid when sealed \(2023-09-27T11:54:17Z\) and has expired since \(2025-05-10/,
    );
    // Its signature time-stamp is verified (test/seals/timestamp.test.ts), its validation data too
    // (test/seals/validation-data.test.ts); its other time-stamps are not.
    expect(message('timestamps')).toMatch(
      /^signature time-stamp verified: time-stamped at 2023-09-27T11:54:20\.000Z by CN=good-tsa, .*; not verified: a signed data time-stamp \(adoTst\), arcTst$/,
    );
    expect(verdict.timestampedAt).toBe('2023-09-27T11:54:20.000Z');
    // Its issuing CA is not among the anchors given (none): the chain is not established.
    expect(verdict.trusted).toBe(false);
    expect((verdict.payload as { type: string[] }).type).toContain('EuropeanDigitalCredential');
  });

  it('verifies a seal made with a certificate of a trusted CA, over the exact payload', async () => {
    const verdict = await verifySeal(await sealed(), { trustAnchors: [ca] });
    expect(reasons(verdict)).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, trusted: true, payload: credential });
    expect(verdict.signer).toMatchObject({ qualified: false, eseal: false });
  });

  it('refuses a changed payload', async () => {
    const doc = await sealed();
    doc.payload = doc.payload.replace('Łódź', 'Lodz');
    const verdict = await verifySeal(doc, { trustAnchors: [ca] });
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).toEqual([
      expect.stringMatching(/^signature: the seal does not match the payload/),
    ]);
  });

  it('does not trust a look-alike certificate of the same name that no anchor issued', async () => {
    const verdict = await verifySeal(await sealed(stranger), { trustAnchors: [ca] });
    expect(verdict.ok).toBe(true); // intact, but by whom?
    expect(verdict.trusted).toBe(false);
    expect(reasons(verdict)).toEqual(['chain: the certificate does not chain up to any trust anchor']);
  });

  it('refuses a certificate swapped in after sealing (its digest, or the signature, gives it away)', async () => {
    const doc = await sealed();
    const header = JSON.parse(Buffer.from(doc.signatures[0]!.protected as string, 'base64url').toString());
    header.x5c = [stranger.cert.raw.toString('base64')];
    doc.signatures[0]!.protected = Buffer.from(JSON.stringify(header)).toString('base64url');
    expect(reasons(await verifySeal(doc))).toEqual([
      'certificate: x5t#S256 is not the digest of the certificate in x5c',
    ]);
    header['x5t#S256'] = createHash('sha256').update(stranger.cert.raw).digest('base64url');
    doc.signatures[0]!.protected = Buffer.from(JSON.stringify(header)).toString('base64url');
    expect(reasons(await verifySeal(doc))).toEqual([expect.stringMatching(/^signature: /)]);
  });

  it('refuses a critical header parameter it does not understand', async () => {
    const doc = await sealed(seal, { crit: ['b64', 'sigT', 'sigPl'], sigPl: { addressCountry: 'PT' } });
    expect(reasons(await verifySeal(doc))).toEqual([
      'header: crit names sigPl, which this verifier does not understand',
    ]);
  });

  it('refuses an unsigned header that claims what only a signed one may', async () => {
    const doc = await sealed();
    doc.signatures[0]!.header = { sigT: '2020-01-01T00:00:00Z', etsiU: [] };
    expect(reasons(await verifySeal(doc))).toEqual([
      'header: sigT must be in the signed (protected) header, not the unsigned one',
    ]);
  });

  it('refuses a signing time outside the certificate’s validity, a MAC, and an encoded payload', async () => {
    expect(reasons(await verifySeal(await sealed(seal, { sigT: '2020-01-01T00:00:00Z' })))).toEqual([
      'validity: the certificate was not valid at sigT 2020-01-01T00:00:00Z',
    ]);
    const mac = await sealed();
    const header = JSON.parse(Buffer.from(mac.signatures[0]!.protected as string, 'base64url').toString());
    mac.signatures[0]!.protected = Buffer.from(JSON.stringify({ ...header, alg: 'HS256' })).toString(
      'base64url',
    );
    expect(reasons(await verifySeal(mac))).toEqual(['header: alg HS256 is not a seal algorithm']);
    const encoded = Buffer.from(JSON.stringify({ ...header, b64: true })).toString('base64url');
    expect(
      reasons(await verifySeal({ ...mac, signatures: [{ ...mac.signatures[0], protected: encoded }] })),
    ).toEqual(['header: the payload must be unencoded (b64: false), as European Digital Credentials are']);
    expect(reasons(await verifySeal({ payload: '{}', signatures: [] }))).toEqual([
      'structure: 0 signatures; a sealed credential has one',
    ]);
  });
});
