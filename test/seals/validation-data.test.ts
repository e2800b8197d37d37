import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generalVerify, type GeneralJWSInput } from 'jose';
import * as pkijs from 'pkijs';
import { configureOutbound } from '../../src/net/outbound.js';
import { sealCredential, type SealedDocument } from '../../src/seals/jades-seal.js';
import { verifySeal } from '../../src/seals/jades-verify.js';
import { addSignatureTimestamp } from '../../src/seals/timestamp.js';
import { addValidationData, RevokedCertificateError } from '../../src/seals/validation-data.js';
import { startRevocationCa, type RevocationCa } from '../helpers/ocsp.js';
import type { TestSealKey } from '../helpers/seal-ca.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';

/**
 * JAdES B-LT: a seal made by `sealCredential`, time-stamped by an `openssl ts` authority, then given the
 * revocation data its certificate names, fetched over real HTTP through the outbound guard from an `openssl ocsp`
 * responder and an `openssl ca` CRL on loopback; verified by the product and by jose. And the EU's sealed sample,
 * whose validation data fixes the encoding.
 */
type Doc = SealedDocument;
const EU_SAMPLE = JSON.parse(readFileSync('test/fixtures/elm/Sample-MC-Annex1-signed.jsonld', 'utf8')) as Doc;
const ALLOW_LOOPBACK = { allowPrivateHosts: ['127.0.0.1'] };

let rca: RevocationCa;
let tsa: TestTsa;
let anchors: { trustAnchors: X509Certificate[] };

beforeAll(async () => {
  configureOutbound(ALLOW_LOOPBACK);
  [rca, tsa] = await Promise.all([startRevocationCa(), startTsa()]);
  anchors = { trustAnchors: [rca.ca, tsa.ca] };
});

afterAll(async () => {
  await Promise.all([rca.close(), tsa.close()]);
  configureOutbound({ allowPrivateHosts: [] });
});

// Every test must reach its assertions: a test that returns early would pass while checking nothing.
beforeEach(() => expect.hasAssertions());

const credential = {
  id: 'urn:credential:lt-1',
  type: ['VerifiableCredential', 'EuropeanDigitalCredential'],
  title: 'Łódź',
};
/** A B-T seal whose x5c holds the sealing certificate and its CA's, as an imported PKCS#12 gives them. */
const sealedBT = async (key: TestSealKey = rca.seal) =>
  addSignatureTimestamp(
    await sealCredential(credential, { certificates: [key.cert, rca.ca], privateKey: key.key }),
    tsa.url,
  );
const reasons = (v: { checks: { ok: boolean; check: string; message: string }[] }) =>
  v.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.message}`);
const message = (v: { checks: { check: string; message: string }[] }, check: string) =>
  v.checks.find((c) => c.check === check)?.message;
const etsiUOf = (doc: Doc) => doc.signatures[0]!.header!.etsiU as string[];
const decode = (entry: string) => JSON.parse(Buffer.from(entry, 'base64url').toString('utf8'));
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const withEtsiU = (doc: Doc, etsiU: string[]): Doc => ({
  payload: doc.payload,
  signatures: [{ ...doc.signatures[0]!, header: { etsiU } }],
});
/** The JSON shape of an etsiU entry, its DER values left out. */
const shape = (value: unknown) => JSON.stringify(value, (key, v: unknown) => (key === 'val' ? typeof v : v));
/** A DER value with one digit of its first GeneralizedTime (producedAt of an OCSP response) changed. */
function changeTime(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  const at = copy.indexOf(Buffer.from([0x18, 0x0f]));
  expect(at).toBeGreaterThan(0);
  const digit = at + 2 + 13; // the tens of seconds of YYYYMMDDHHMMSSZ
  copy[digit] = copy[digit] === 0x30 ? 0x31 : 0x30;
  return copy;
}

describe('JAdES B-LT: validation data (xVals, rVals)', () => {
  it('adds an OCSP response over HTTP to a B-T seal: B-LT in the EU sample’s encoding, verified and trusted', async () => {
    const bt = await sealedBT();
    const [ocspBefore, crlBefore] = [rca.ocspRequests, rca.crlRequests];
    const result = await addValidationData(bt);
    expect(result.reason).toBeUndefined();
    expect(result.level).toBe('B-LT');
    expect(rca.ocspRequests).toBe(ocspBefore + 1);
    expect(rca.crlRequests).toBe(crlBefore); // OCSP first: the CRL is not needed
    const lt = result.doc;

    // The signed parts and the time-stamp are untouched; the B-T original is not changed.
    expect(lt.payload).toBe(bt.payload);
    expect(lt.signatures[0]).toMatchObject({
      protected: bt.signatures[0]!.protected,
      signature: bt.signatures[0]!.signature,
    });
    expect(etsiUOf(bt)).toHaveLength(1);
    const etsiU = etsiUOf(lt);
    expect(etsiU).toHaveLength(3);
    expect(etsiU[0]).toBe(etsiUOf(bt)[0]);
    for (const entry of etsiU) expect(entry).toMatch(/^[A-Za-z0-9_-]+$/); // base64url text, as the sample's

    // The sample's order and members: xVals (x509Cert pkiObs), then rVals (ocspVals pkiObs).
    const sample = etsiUOf(EU_SAMPLE).map(decode);
    const [xVals, rVals] = [decode(etsiU[1]!), decode(etsiU[2]!)];
    expect(Object.keys(xVals)).toEqual(['xVals']);
    expect(shape(xVals.xVals[0])).toBe(shape(sample[1].xVals[0]));
    expect(shape(xVals)).toBe('{"xVals":[{"x509Cert":{"val":"string"}}]}');
    expect(shape(rVals)).toBe('{"rVals":{"ocspVals":[{"val":"string"}]}}');
    expect(shape(rVals.rVals.ocspVals)).toBe(shape(sample[2].rVals.ocspVals));
    // xVals holds what x5c lacks: the delegated responder's certificate, in standard base64 DER.
    expect(Buffer.from(xVals.xVals[0].x509Cert.val, 'base64').equals(rca.responder.raw)).toBe(true);
    // The whole OCSPResponse, as in the sample: a successful status wrapping a basic response.
    const ocsp = pkijs.OCSPResponse.fromBER(Buffer.from(rVals.rVals.ocspVals[0].val, 'base64'));
    expect(ocsp.responseStatus.valueBlock.valueDec).toBe(0);
    expect(ocsp.responseBytes?.responseType).toBe('1.3.6.1.5.5.7.48.1.1');

    const verdict = await verifySeal(lt, anchors);
    expect(reasons(verdict)).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, trusted: true, payload: credential });
    expect(message(verdict, 'revocation')).toMatch(
      new RegExp(
        `^the sealing certificate was not revoked at ${verdict.timestampedAt!.replace(/\./g, '\\.')}, says an ` +
          'OCSP response of \\S+ by CN=Credbridge Test OCSP Responder; 1 certificate in xVals$',
      ),
    );
    expect(message(verdict, 'timestamps')).not.toMatch(/not verified/);
    // Verifying fetches nothing: the seal carries what it needs.
    expect(rca.ocspRequests).toBe(ocspBefore + 1);

    // jose, independently: the JWS still verifies, its unsigned header is the etsiU list.
    const checked = await generalVerify(lt as GeneralJWSInput, rca.seal.cert.publicKey, {
      crit: { sigT: true },
    });
    expect(new TextDecoder().decode(checked.payload)).toBe(bt.payload);
    expect(checked.unprotectedHeader).toEqual({ etsiU });
  });

  it('takes the CRL when the certificate names only a CRL distribution point, or its OCSP responder fails', async () => {
    const crlOnly = rca.issue('CRL Only Seal', { crl: true });
    const [ocspBefore, crlBefore] = [rca.ocspRequests, rca.crlRequests];
    const result = await addValidationData(await sealedBT(crlOnly));
    expect(result).toMatchObject({ level: 'B-LT' });
    expect(result.reason).toBeUndefined();
    expect([rca.ocspRequests, rca.crlRequests]).toEqual([ocspBefore, crlBefore + 1]);
    // The CA signed the CRL and x5c carries the CA: no xVals are needed.
    const etsiU = etsiUOf(result.doc);
    expect(etsiU.map((e) => Object.keys(decode(e))[0])).toEqual(['sigTst', 'rVals']);
    const rVals = decode(etsiU[1]!);
    expect(shape(rVals)).toBe('{"rVals":{"crlVals":[{"val":"string"}]}}');
    expect(shape(rVals.rVals.crlVals)).toBe(shape(decode(etsiUOf(EU_SAMPLE)[2]!).rVals.crlVals));
    const verdict = await verifySeal(result.doc, anchors);
    expect(reasons(verdict)).toEqual([]);
    expect(verdict.trusted).toBe(true);
    expect(message(verdict, 'revocation')).toMatch(
      /^the sealing certificate was not revoked at \S+, says a CRL of \S+ by CN=Credbridge Test Revocation CA$/,
    );

    // An OCSP responder that does not answer: the CRL is used instead.
    const broken = rca.issue('Broken OCSP Seal', { ocsp: `${new URL(rca.ocspUrl).origin}/gone`, crl: true });
    const fallback = await addValidationData(await sealedBT(broken));
    expect(fallback.level).toBe('B-LT');
    expect(Object.keys(decode(etsiUOf(fallback.doc)[1]!).rVals)).toEqual(['crlVals']);
    expect(rca.crlRequests).toBe(crlBefore + 2);
  });

  it('refuses to go on with a revoked certificate, and refuses a seal that carries a revoked status', async () => {
    const revoked = rca.issue('Revoked Seal', { ocsp: true, crl: true });
    const revokedCrlOnly = rca.issue('Revoked CRL Only Seal', { crl: true });
    rca.revoke(revoked.cert);
    rca.revoke(revokedCrlOnly.cert);
    const host = new URL(rca.ocspUrl).host;

    const bt = await sealedBT(revoked);
    const error = (await addValidationData(bt).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RevokedCertificateError);
    expect(error.message).toMatch(
      new RegExp(
        `^the certificate CN=Revoked Seal, O=Atlantic Polytechnic Institute was revoked on \\S+ \\(keyCompromise\\), ` +
          `says OCSP responder ${host.replace(/\./g, '\\.')}: a seal may not be made with it$`,
      ),
    );
    const viaCrl = (await addValidationData(await sealedBT(revokedCrlOnly)).catch(
      (e: unknown) => e,
    )) as Error;
    expect(viaCrl).toBeInstanceOf(RevokedCertificateError);
    expect(viaCrl.message).toMatch(/revoked on \S+ \(keyCompromise\), says CRL at /);

    // A seal given the responder's "revoked" answer anyway (as another tool might) is refused.
    const answer = rca.ocspResponse(revoked.cert);
    const carrying = withEtsiU(bt, [
      ...etsiUOf(bt),
      encode({ rVals: { ocspVals: [{ val: answer.toString('base64') }] } }),
    ]);
    const verdict = await verifySeal(carrying, anchors);
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).toEqual([
      expect.stringMatching(
        /^revocation: the sealing certificate CN=Revoked Seal, O=Atlantic Polytechnic Institute is revoked since \S+ \(keyCompromise\), says the OCSP response 1 of rVals, by CN=Credbridge Test OCSP Responder$/,
      ),
    ]);
  });

  it('refuses a seal whose OCSP response or CRL was changed, though jose still accepts it (it is unsigned)', async () => {
    const { doc: lt } = await addValidationData(await sealedBT());
    const etsiU = etsiUOf(lt);
    const rVals = decode(etsiU[2]!);
    const der = Buffer.from(rVals.rVals.ocspVals[0].val, 'base64');
    const tampered = withEtsiU(lt, [
      etsiU[0]!,
      etsiU[1]!,
      encode({ rVals: { ocspVals: [{ val: changeTime(der).toString('base64') }] } }),
    ]);
    const verdict = await verifySeal(tampered, anchors);
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).toEqual([
      'revocation: the OCSP response 1 of rVals does not match its responder’s signature (changed after signing)',
    ]);
    await expect(
      generalVerify(tampered as GeneralJWSInput, rca.seal.cert.publicKey, { crit: { sigT: true } }),
    ).resolves.toBeDefined();

    // The EU sample's CRL, changed the same way.
    const sample = etsiUOf(EU_SAMPLE);
    const sampleRVals = decode(sample[2]!);
    const crl = Buffer.from(sampleRVals.rVals.crlVals[0].val, 'base64');
    sampleRVals.rVals.crlVals[0].val = changeTimeUtc(crl).toString('base64');
    const changedSample = withEtsiU(EU_SAMPLE, [sample[0]!, sample[1]!, encode(sampleRVals), sample[3]!]);
    expect(reasons(await verifySeal(changedSample, { now: new Date('2026-12-01T00:00:00Z') }))).toContain(
      'revocation: the CRL 1 of rVals does not match its issuer’s signature (changed after signing)',
    );
  });

  it('does not count revocation data about another certificate: intact, but the seal is not trusted', async () => {
    const other = rca.issue('Other Seal', { ocsp: true });
    const { doc: otherLt } = await addValidationData(await sealedBT(other));
    const bt = await sealedBT();
    const grafted = withEtsiU(bt, [...etsiUOf(bt), ...etsiUOf(otherLt).slice(1)]);
    const verdict = await verifySeal(grafted, anchors);
    expect(verdict).toMatchObject({ ok: true, trusted: false });
    expect(reasons(verdict)).toEqual([
      expect.stringMatching(
        /^revocation: no revocation value says the sealing certificate was not revoked at \S+; the OCSP response 1 of rVals, by CN=Credbridge Test OCSP Responder, is about none of its certificates; 1 certificate in xVals$/,
      ),
    ]);
  });

  it('keeps B-T with a reason when a certificate names no revocation service, or x5c lacks its CA', async () => {
    const bare = rca.issue('Bare Seal', {});
    const bt = await sealedBT(bare);
    const [ocspBefore, crlBefore] = [rca.ocspRequests, rca.crlRequests];
    const result = await addValidationData(bt);
    expect(result).toEqual({
      doc: bt,
      level: 'B-T',
      reason:
        'the sealing certificate CN=Bare Seal, O=Atlantic Polytechnic Institute names no OCSP responder and no CRL distribution point',
    });
    const leafOnly = await addSignatureTimestamp(
      await sealCredential(credential, { certificates: [rca.seal.cert], privateKey: rca.seal.key }),
      tsa.url,
    );
    expect(await addValidationData(leafOnly)).toEqual({
      doc: leafOnly,
      level: 'B-T',
      reason: 'x5c holds the sealing certificate without its CA’s: its revocation data cannot be checked',
    });
    expect([rca.ocspRequests, rca.crlRequests]).toEqual([ocspBefore, crlBefore]);
    // A B-B seal is time-stamped first.
    const bb = await sealCredential(credential, {
      certificates: [rca.seal.cert, rca.ca],
      privateKey: rca.seal.key,
    });
    await expect(addValidationData(bb)).rejects.toThrow(/the seal has no sigTst/);
  });

  it('does not reach an OCSP responder on a loopback host that is not allowed (the outbound guard refuses)', async () => {
    const bt = await sealedBT();
    const [ocspBefore, crlBefore] = [rca.ocspRequests, rca.crlRequests];
    const host = new URL(rca.ocspUrl).host;
    let result: Awaited<ReturnType<typeof addValidationData>>;
    try {
      configureOutbound({ allowPrivateHosts: [] });
      result = await addValidationData(bt);
    } finally {
      configureOutbound(ALLOW_LOOPBACK);
    }
    expect(result.level).toBe('B-T');
    expect(result.doc).toBe(bt);
    const refusal = `${host} could not be reached (refused: 127.0.0.1 is loopback, not a public address`;
    expect(result.reason).toContain(`OCSP responder ${host}: ${refusal}`);
    expect(result.reason).toContain(`CRL at ${host}: ${refusal}`);
    expect([rca.ocspRequests, rca.crlRequests]).toEqual([ocspBefore, crlBefore]);
    // Allowed again, the same call reaches it: the guard, not the responder, refused.
    expect((await addValidationData(bt)).level).toBe('B-LT');
    expect(rca.ocspRequests).toBe(ocspBefore + 1);
  });

  it('verifies the EU sample’s validation data: its OCSP response and CRL, signed by certificates of its xVals', async () => {
    const verdict = await verifySeal(EU_SAMPLE, { now: new Date('2026-12-01T00:00:00Z') });
    expect(verdict).toMatchObject({ ok: true, trusted: false });
    expect(verdict.checks.find((c) => c.check === 'revocation')).toEqual({
      check: 'revocation',
      ok: true,
      message:
        'the sealing certificate was not revoked at 2023-09-27T11:54:20.000Z, says an OCSP response of ' +
        '2023-09-27T11:54:17.000Z by C=ES, O=ANF Autoridad de Certificacion, organizationIdentifier=VATES-G63287510, ' +
        'OU=ANF Autoridad Intermedia de Identidad, CN=ANF AC Qualified Certificates for eSeal Responder 1468; ' +
        'also: CN=good-tsa, O=Nowina Solutions, OU=PKI-TEST, C=LU not revoked, says a CRL of ' +
        '2023-09-26T12:12:17.000Z by CN=root-ca, O=Nowina Solutions, OU=PKI-TEST, C=LU, whose certificate has ' +
        'expired since (2024-01-13T16:03:35.000Z) but was valid when it signed; 4 certificates in xVals',
    });
    expect(message(verdict, 'timestamps')).toMatch(
      /; not verified: a signed data time-stamp \(adoTst\), arcTst$/,
    );
  });
});

/** A DER CRL with one digit of its thisUpdate (UTCTime, YYMMDDHHMMSSZ) changed. */
function changeTimeUtc(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  const at = copy.indexOf(Buffer.from([0x17, 0x0d]));
  expect(at).toBeGreaterThan(0);
  const digit = at + 2 + 11; // the seconds' units
  copy[digit] = copy[digit] === 0x30 ? 0x31 : 0x30;
  return copy;
}
