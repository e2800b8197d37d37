import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generalVerify, type GeneralJWSInput } from 'jose';
import { configureOutbound, OutboundError } from '../../src/net/outbound.js';
import { sealCredential, type SealedDocument } from '../../src/seals/jades-seal.js';
import { verifySeal } from '../../src/seals/jades-verify.js';
import {
  addSignatureTimestamp,
  requestTimestamp,
  signatureTimestampInput,
  TimestampError,
  verifyTimestamp,
} from '../../src/seals/timestamp.js';
import { makeSealCa, type TestSealKey } from '../helpers/seal-ca.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';

/**
 * JAdES B-T: a B-B seal made by `sealCredential`, time-stamped over real HTTP by an `openssl ts` authority on
 * loopback (reached through the guarded outbound client), verified by the product and by jose, and the EU's
 * own sealed sample, whose signature time-stamp fixes what the imprint covers.
 */
type Doc = SealedDocument;
const EU_SAMPLE = JSON.parse(readFileSync('test/fixtures/elm/Sample-MC-Annex1-signed.jsonld', 'utf8')) as Doc;
const ALLOW_LOOPBACK = { allowPrivateHosts: ['127.0.0.1'] };

let sealCa: X509Certificate;
let rsa: TestSealKey;
let ec: TestSealKey;
let removeCa: () => void;
let tsa: TestTsa;
let rejecting: TestTsa;
let replaying: TestTsa;

beforeAll(async () => {
  configureOutbound(ALLOW_LOOPBACK);
  ({ ca: sealCa, rsa, ec, remove: removeCa } = makeSealCa());
  [tsa, rejecting, replaying] = await Promise.all([startTsa(), startTsa('reject'), startTsa('replay')]);
});

afterAll(async () => {
  await Promise.all([tsa.close(), rejecting.close(), replaying.close()]);
  removeCa();
  configureOutbound({ allowPrivateHosts: [] });
});

// Every test must reach its assertions: a test that returns early would pass while checking nothing.
beforeEach(() => expect.hasAssertions());

const credential = {
  id: 'urn:credential:ts-1',
  type: ['VerifiableCredential', 'EuropeanDigitalCredential'],
  title: 'Łódź',
};
const seal = (key = rsa) => sealCredential(credential, { certificates: [key.cert], privateKey: key.key });
const reasons = (v: { checks: { ok: boolean; check: string; message: string }[] }) =>
  v.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.message}`);
const decode = (entry: unknown) => JSON.parse(Buffer.from(entry as string, 'base64url').toString('utf8'));
/** The etsiU entry of a token, in the encoding addSignatureTimestamp uses. */
const sigTstEntry = (token: Uint8Array) =>
  Buffer.from(
    JSON.stringify({ sigTst: { tstTokens: [{ val: Buffer.from(token).toString('base64') }] } }),
  ).toString('base64url');
const tokenOf = (doc: Doc) =>
  Buffer.from(decode((doc.signatures[0]!.header!.etsiU as string[])[0]).sigTst.tstTokens[0].val, 'base64');
const withToken = (doc: Doc, token: Uint8Array): Doc => ({
  payload: doc.payload,
  signatures: [{ ...doc.signatures[0]!, header: { etsiU: [sigTstEntry(token)] } }],
});
/** The JSON shape of an etsiU entry, its token's value left out. */
const shape = (entry: unknown) =>
  JSON.stringify(decode(entry), (key, value: unknown) => (key === 'val' ? typeof value : value));

describe('JAdES B-T: signature time-stamps (RFC 3161)', () => {
  it('time-stamps a B-B seal at a TSA over HTTP, in the EU sample’s encoding, trusted with both anchors', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const doc = await seal();
    const requestsBefore = tsa.requests;
    const bt = await addSignatureTimestamp(doc, tsa.url);
    const after = Date.now();
    expect(tsa.requests).toBe(requestsBefore + 1);

    // The signed parts are untouched, and the B-B original is not changed.
    expect(bt.payload).toBe(doc.payload);
    expect(bt.signatures[0]).toMatchObject(doc.signatures[0]!);
    expect(doc.signatures[0]!.header).toBeUndefined();
    const etsiU = bt.signatures[0]!.header!.etsiU as unknown[];
    expect(etsiU).toHaveLength(1);
    expect(etsiU[0]).toMatch(/^[A-Za-z0-9_-]+$/); // base64url text, as the sample's, not a JSON object
    expect(shape(etsiU[0])).toBe(shape((EU_SAMPLE.signatures[0]!.header!.etsiU as string[])[0]));
    expect(shape(etsiU[0])).toBe('{"sigTst":{"tstTokens":[{"val":"string"}]}}');

    const verdict = await verifySeal(bt, { trustAnchors: [sealCa, tsa.ca] });
    expect(reasons(verdict)).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, trusted: true, payload: credential });
    expect(Date.parse(verdict.timestampedAt!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(verdict.timestampedAt!)).toBeLessThanOrEqual(after);
    expect(verdict.checks.find((c) => c.check === 'timestamps')!.message).toBe(
      `signature time-stamp verified: time-stamped at ${verdict.timestampedAt} by CN=Credbridge Test TSA, ` +
        'O=Atlantic Polytechnic Institute, a TSA chaining up to a trust anchor',
    );

    // Each anchor vouches for one part: without the TSA's CA the time is intact but not trusted, and vice versa.
    const sealCaOnly = await verifySeal(bt, { trustAnchors: [sealCa] });
    expect(sealCaOnly).toMatchObject({ ok: true, trusted: false, timestampedAt: verdict.timestampedAt });
    expect(reasons(sealCaOnly)).toEqual([
      expect.stringMatching(/^timestamps: .*, a TSA that does not chain up to any trust anchor$/),
    ]);
    const tsaCaOnly = await verifySeal(bt, { trustAnchors: [tsa.ca] });
    expect(tsaCaOnly).toMatchObject({ ok: true, trusted: false });
    expect(reasons(tsaCaOnly)).toEqual(['chain: the certificate does not chain up to any trust anchor']);

    // jose, independently: the JWS still verifies with its unencoded payload and critical b64 and sigT.
    const checked = await generalVerify(bt as GeneralJWSInput, rsa.cert.publicKey, { crit: { sigT: true } });
    expect(new TextDecoder().decode(checked.payload)).toBe(doc.payload);
    expect(checked.protectedHeader).toMatchObject({ b64: false, crit: ['b64', 'sigT'] });
    expect(checked.unprotectedHeader).toEqual({ etsiU });
  });

  it('requests a token over SHA-256 of the exact input, which verifies for that input only', async () => {
    const input = new TextEncoder().encode('the signature value');
    const token = await requestTimestamp(input, tsa.url);
    const verdict = await verifyTimestamp(token, input, { trustAnchors: [tsa.ca] });
    expect(verdict).toMatchObject({
      ok: true,
      trusted: true,
      tsa: 'CN=Credbridge Test TSA, O=Atlantic Polytechnic Institute',
    });
    expect(await verifyTimestamp(token, new TextEncoder().encode('the signature valuE'), {})).toEqual({
      ok: false,
      trusted: false,
      time: verdict.time,
      message: 'the time-stamp covers other data (its message imprint does not match)',
    });
    expect(await verifyTimestamp(token, input, { trustAnchors: [sealCa] })).toMatchObject({
      ok: true,
      trusted: false,
    });
    expect(await verifyTimestamp(Buffer.from('not DER'), input)).toMatchObject({
      ok: false,
      message: 'the time-stamp is not a DER time-stamp token',
    });
  });

  it('refuses a time-stamp moved to another seal: its imprint covers the other signature', async () => {
    const bt = await addSignatureTimestamp(await seal(), tsa.url);
    const other = await seal(ec);
    expect(other.signatures[0]!.signature).not.toBe(bt.signatures[0]!.signature);
    const moved = withToken(other, tokenOf(bt));
    expect(await verifySeal(withToken(bt, tokenOf(bt)), { trustAnchors: [sealCa, tsa.ca] })).toMatchObject({
      ok: true,
    });
    const verdict = await verifySeal(moved, { trustAnchors: [sealCa, tsa.ca] });
    expect(verdict.ok).toBe(false);
    expect(verdict.timestampedAt).toBeUndefined();
    expect(reasons(verdict)).toEqual([
      'timestamps: signature time-stamp refused: the time-stamp covers other data (its message imprint does not match)',
    ]);
  });

  it('refuses a token changed after the TSA signed it (its time, or its signature)', async () => {
    const bt = await addSignatureTimestamp(await seal(), tsa.url);
    const token = tokenOf(bt);
    const { timestampedAt } = await verifySeal(bt);
    // genTime as the TSTInfo's GeneralizedTime (openssl: to the second); certificates use UTCTime.
    const genTime = Buffer.from(timestampedAt!.replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z'));
    const at = token.indexOf(genTime);
    expect(at).toBeGreaterThan(0);
    expect(token.indexOf(genTime, at + 1)).toBe(-1);
    const earlier = Buffer.from(token);
    earlier[at + 3] = earlier[at + 3] === 0x30 ? 0x31 : earlier[at + 3]! - 1; // another year
    const badSignature = Buffer.from(token);
    badSignature[badSignature.length - 1]! ^= 0x01;
    for (const tampered of [earlier, badSignature]) {
      expect(tampered.equals(token)).toBe(false);
      expect(reasons(await verifySeal(withToken(bt, tampered), { trustAnchors: [sealCa, tsa.ca] }))).toEqual([
        'timestamps: signature time-stamp refused: the TSA signature does not match the time-stamp (changed after signing)',
      ]);
    }
  });

  it('refuses a TSA that answers with a rejection, with its status text and host', async () => {
    const doc = await seal();
    const host = new URL(rejecting.url).host;
    await expect(addSignatureTimestamp(doc, rejecting.url)).rejects.toThrow(
      new TimestampError(host, 'refused the request (rejection): Message digest algorithm is not supported.'),
    );
    expect(rejecting.requests).toBe(1);
  });

  it('refuses a replayed answer (another request’s nonce and imprint)', async () => {
    const first = new TextEncoder().encode('first');
    expect(await requestTimestamp(first, replaying.url)).toBeInstanceOf(Uint8Array);
    await expect(requestTimestamp(new TextEncoder().encode('second'), replaying.url)).rejects.toThrow(
      `time-stamp authority ${new URL(replaying.url).host}: its token does not carry the nonce of this request`,
    );
    expect(replaying.requests).toBe(2);
  });

  it('refuses an answer that is not a time-stamp reply, naming the host and never the credentials', async () => {
    const url = 'https://user:secret@tsa.example:8443/ts?key=abc';
    const answering = (res: Response) => async () => res;
    const input = new Uint8Array([1, 2, 3]);
    await expect(
      requestTimestamp(input, url, answering(new Response('no', { status: 503 }))),
    ).rejects.toThrow('time-stamp authority tsa.example:8443: answered HTTP 503');
    const html = new Response('<html>', { headers: { 'content-type': 'text/html; charset=utf-8' } });
    await expect(requestTimestamp(input, url, answering(html))).rejects.toThrow(
      /^time-stamp authority tsa\.example:8443: answered text\/html, not application\/timestamp-reply$/,
    );
    const garbage = new Response('garbage', { headers: { 'content-type': 'application/timestamp-reply' } });
    const error = (await requestTimestamp(input, url, answering(garbage)).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TimestampError);
    expect(error.message).toBe(
      'time-stamp authority tsa.example:8443: its answer is not an RFC 3161 TimeStampResp',
    );
    expect(error.message).not.toContain('secret');
  });

  it('does not reach a TSA on a loopback host that is not allowed (the outbound guard refuses)', async () => {
    const doc = await seal();
    const before = tsa.requests;
    try {
      configureOutbound({ allowPrivateHosts: [] });
      const error = (await addSignatureTimestamp(doc, tsa.url).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(OutboundError);
      expect(error.message).toBe(`${new URL(tsa.url).host} could not be reached`);
      expect(tsa.requests).toBe(before);
    } finally {
      configureOutbound(ALLOW_LOOPBACK);
    }
    // Allowed again, the same call reaches it: the guard, not the TSA, refused.
    await addSignatureTimestamp(doc, tsa.url);
    expect(tsa.requests).toBe(before + 1);
  });

  it('verifies the EU sample’s signature time-stamp: SHA-256 over the base64url text of the JWS signature', async () => {
    const verdict = await verifySeal(EU_SAMPLE, { now: new Date('2026-12-01T00:00:00Z') });
    expect(verdict).toMatchObject({ ok: true, signedAt: '2023-09-27T11:54:17Z' });
    expect(verdict.timestampedAt).toBe('2023-09-27T11:54:20.000Z');
    expect(verdict.checks.find((c) => c.check === 'timestamps')!.message).toBe(
      'signature time-stamp verified: time-stamped at 2023-09-27T11:54:20.000Z by CN=good-tsa, ' +
        'O=Nowina Solutions, OU=PKI-TEST, C=LU (TSA not checked: no trust anchors given); ' +
        'not verified: a signed data time-stamp (adoTst), arcTst',
    );

    const { signature } = EU_SAMPLE.signatures[0]!;
    const token = tokenOf(EU_SAMPLE);
    expect(await verifyTimestamp(token, signatureTimestampInput(signature))).toMatchObject({ ok: true });
    // Not the decoded signature bytes: the imprint is over the text as serialized.
    expect(await verifyTimestamp(token, Buffer.from(signature, 'base64url'))).toMatchObject({
      ok: false,
      message: 'the time-stamp covers other data (its message imprint does not match)',
    });
    // Its TSA chains to the sample's test root, not to an anchor of ours.
    const ours = await verifySeal(EU_SAMPLE, { trustAnchors: [tsa.ca] });
    expect(ours).toMatchObject({ ok: true, trusted: false });
    expect(reasons(ours)).toContain(
      'timestamps: signature time-stamp verified: time-stamped at 2023-09-27T11:54:20.000Z by CN=good-tsa, ' +
        'O=Nowina Solutions, OU=PKI-TEST, C=LU, a TSA that does not chain up to any trust anchor; ' +
        'not verified: a signed data time-stamp (adoTst), arcTst',
    );
  });
});
