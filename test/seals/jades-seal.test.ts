import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { projectPath } from '../../src/credentials/project-files.js';
import { generalVerify, type GeneralJWSInput } from 'jose';
import { createDocumentLoader } from '../../src/credentials/document-loader.js';
import { generateDidKey } from '../../src/credentials/did-key.js';
import { issuerSerial, sealCredential, type SealedDocument } from '../../src/seals/jades-seal.js';
import { verifySeal } from '../../src/seals/jades-verify.js';
import { issueExamplePair } from '../helpers/credentials.js';
import { makeSealCa, type TestSealKey } from '../helpers/seal-ca.js';

/**
 * Sealing an issued European credential as JAdES B-B, checked twice: by the product's verifier and, independently,
 * by jose's generic JWS verification (unencoded payload, `sigT` as a critical parameter it is told about).
 */
let ca: X509Certificate;
let rsa: TestSealKey;
let ec: TestSealKey;
let removeCa: () => void;
let elm: Record<string, unknown>;

beforeAll(async () => {
  ({ ca, rsa, ec, remove: removeCa } = makeSealCa());
  const pair = await issueExamplePair(await generateDidKey(), createDocumentLoader(), {
    credentialId: 'c-sealed',
    evidence: { grade: '91%' },
  });
  elm = pair.elm as Record<string, unknown>;
});

afterAll(() => removeCa());

const independently = (doc: SealedDocument, key: TestSealKey) =>
  generalVerify(doc as GeneralJWSInput, key.cert.publicKey, { crit: { sigT: true } });

describe('sealing an issued European credential', () => {
  it.each([
    ['RSA', 'RS256'],
    ['EC P-256', 'ES256'],
  ])(
    'seals with a %s certificate (%s) in the EU sample’s form, verified by the product and by jose',
    async (_, alg) => {
      const key = alg === 'RS256' ? rsa : ec;
      // A minute after the test CA issued the certificate, to the second (sigT carries no fraction).
      const sealedAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
      const sigT = sealedAt.toISOString().replace('.000Z', 'Z');
      const doc = await sealCredential(elm, { certificates: [key.cert], privateKey: key.key }, sealedAt);
      const header = JSON.parse(Buffer.from(doc.signatures[0]!.protected, 'base64url').toString());
      expect(header).toMatchObject({
        alg,
        typ: 'jose+json',
        cty: 'octet-stream',
        b64: false,
        crit: ['b64', 'sigT'],
        sigT,
        kid: issuerSerial(key.cert),
      });
      // The payload is the credential itself, readable, not base64.
      expect(JSON.parse(doc.payload)).toEqual(elm);

      const verdict = await verifySeal(doc, { trustAnchors: [ca], now: sealedAt });
      expect(verdict.checks.filter((c) => !c.ok)).toEqual([]);
      expect(verdict).toMatchObject({
        ok: true,
        trusted: true,
        signedAt: sigT,
        payload: elm,
      });
      const checked = await independently(doc, key);
      expect(new TextDecoder().decode(checked.payload)).toBe(doc.payload);
    },
  );

  it('names the certificate in `kid` exactly as the EDC issuer does (the EU sample’s IssuerSerial)', () => {
    const sample = JSON.parse(
      readFileSync(projectPath('test', 'fixtures', 'elm', 'Sample-MC-Annex1-signed.jsonld'), 'utf8'),
    );
    const header = JSON.parse(Buffer.from(sample.signatures[0].protected, 'base64url').toString());
    const cert = new X509Certificate(Buffer.from(header.x5c[0], 'base64'));
    expect(issuerSerial(cert)).toBe(header.kid);
    expect(issuerSerial(rsa.cert)).not.toBe(header.kid);
  });

  it('is refused by both once a byte of the credential changes', async () => {
    const doc = await sealCredential(elm, { certificates: [rsa.cert], privateKey: rsa.key });
    const tampered = { ...doc, payload: doc.payload.replace('"c-sealed', '"c-forged') };
    expect(tampered.payload).not.toBe(doc.payload);
    expect((await verifySeal(tampered, { trustAnchors: [ca] })).ok).toBe(false);
    await expect(independently(tampered, rsa)).rejects.toThrow(/signature verification failed/);
  });

  it('refuses a key that is not the certificate’s', async () => {
    await expect(sealCredential(elm, { certificates: [rsa.cert], privateKey: ec.key })).rejects.toThrow(
      /not the sealing certificate’s/,
    );
  });
});
