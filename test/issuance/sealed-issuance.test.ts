/* eslint-disable @typescript-eslint/no-explicit-any -- the documents are read as JSON */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generalVerify, type GeneralJWSInput } from 'jose';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { StoredCredential } from '../../src/credentials/credential-store.js';
import { Credential } from '../../src/credentials/credential-model.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { verifyCredential } from '../../src/credentials/verifier.js';
import { installationVerification } from '../../src/issuers/recognition.js';
import { renderCredentialMail } from '../../src/notifications/mailer.js';
import { sealCredential } from '../../src/seals/jades-seal.js';
import { verifySeal } from '../../src/seals/jades-verify.js';
import { importSeal } from '../../src/seals/seals.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { createTestInstitution, publishExampleTemplate } from '../helpers/institution.js';
import { bindCourse, issueThroughWorker, revokeThroughApi } from '../helpers/issuing.js';
import { makeSealCa } from '../helpers/seal-ca.js';
import { startRevocationCa, type RevocationCa } from '../helpers/ocsp.js';
import { validateElm } from '../helpers/shacl.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { startTsa } from '../helpers/tsa.js';

/**
 * European Digital Credentials as Europass takes them: an institution imports its seal (a PKCS#12 file from a
 * test CA), a real worker issues, and the ELM comes out sealed as JAdES B-T (a local RFC 3161 time-stamping
 * authority over HTTP, TSA_URL) in place of its Data Integrity proof. The seal is checked by an independent JWS
 * library (jose: unencoded payload, crit) and by the product (API, public page, PDF), the payload by the EU's
 * SHACL shapes; tampered and impostor seals are refused, and a revocation reaches the sealed document.
 */
const ca = makeSealCa();
let revocation: RevocationCa;
let tsa: Awaited<ReturnType<typeof startTsa>>;
let dir: string;
let tool: ToolUnderTest;
let institutionId: string;
let issued: Map<string, StoredCredential>;

const jws = (c: StoredCredential) => c.elm as unknown as GeneralJWSInput & { payload: string };
const payloadOf = (c: StoredCredential) => JSON.parse(jws(c).payload) as Record<string, any>;
const verifyApi = (doc: unknown) =>
  fetch(`${tool.url}/credentials/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verifiableCredential: doc }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

beforeAll(async () => {
  tsa = await startTsa();
  revocation = await startRevocationCa();
  dir = await mkdtemp(join(tmpdir(), 'credbridge-sealed-'));
  const anchors = join(dir, 'anchors.pem');
  writeFileSync(anchors, revocation.ca.toString() + tsa.ca.toString());
  tool = await startTool({ TSA_URL: tsa.url, SEAL_TRUST_ANCHORS: anchors, ISSUE_BACKOFF_MS: '200' });
  const created = await createTestInstitution(tool);
  institutionId = created.institutionId;
  // The seal certificate names an OCSP responder and a CRL (its CA's, on this machine): seals reach B-LT.
  await importSeal(
    institutionId,
    {
      privateKeyPem: revocation.seal.key.export({ format: 'pem', type: 'pkcs8' }).toString(),
      certificatesPem: revocation.seal.cert.toString() + revocation.ca.toString(),
    },
    parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!),
  );
  const key = await publishExampleTemplate(institutionId);
  await tool.startWorker();
  issued = await issueThroughWorker(tool, await bindCourse(institutionId, created.issuer._id, key), [
    { id: 'pl-learner', name: 'Łucja Żółkiewska', locale: 'pl' },
    { id: 'pt-learner', name: 'Ana Andrade', locale: 'pt' },
  ]);
}, 180_000);

afterAll(async () => {
  await tool?.close();
  await tsa?.close();
  await revocation?.close();
  await rm(dir, { recursive: true, force: true });
  ca.remove();
});

describe('a sealed European credential, as the worker issued it', () => {
  it('is a JAdES JWS JSON document with the EU sample’s header, time-stamped, with revocation values (B-LT)', () => {
    expect(tsa.requests).toBeGreaterThanOrEqual(2);
    expect(revocation.ocspRequests).toBeGreaterThanOrEqual(2);
    for (const [, c] of issued) {
      const doc = jws(c);
      expect(doc.signatures).toHaveLength(1);
      const header = JSON.parse(Buffer.from(doc.signatures[0]!.protected!, 'base64url').toString());
      expect(header).toMatchObject({ alg: 'RS256', b64: false, crit: ['b64', 'sigT'] });
      expect(header.x5c).toEqual([revocation.seal.cert, revocation.ca].map((c) => c.raw.toString('base64')));
      expect(header['x5t#S256']).toBe(
        createHash('sha256').update(revocation.seal.cert.raw).digest('base64url'),
      );
      const etsiU = ((doc.signatures[0]!.header as any).etsiU as string[]).map((e) =>
        Object.keys(JSON.parse(Buffer.from(e, 'base64url').toString())),
      );
      expect(etsiU.flat()).toEqual(expect.arrayContaining(['sigTst', 'xVals', 'rVals']));
      // Sealed in place of Data Integrity: the payload has no proof; the Open Badge keeps its own.
      expect(payloadOf(c).proof).toBeUndefined();
      expect(c.ob3.proof).toBeDefined();
      expect(c.sealedBy).toMatchObject({ holder: 'Atlantic Polytechnic Institute', test: false });
    }
  });

  it('verifies with an independent JWS library over the exact payload bytes', async () => {
    for (const [, c] of issued) {
      const { payload } = await generalVerify(jws(c), revocation.seal.cert.publicKey, {
        crit: { sigT: true },
      });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(payloadOf(c));
    }
    const tampered = structuredClone(jws(issued.get('pl-learner')!));
    tampered.payload = tampered.payload.replace('Łucja', 'Lucja');
    await expect(
      generalVerify(tampered, revocation.seal.cert.publicKey, { crit: { sigT: true } }),
    ).rejects.toThrow();
  });

  it('carries an ELM payload that conforms to the EDC SHACL shapes, with its status entry', async () => {
    const loader = installationVerification({ PUBLIC_URL: tool.url, TRUSTED_ISSUERS: [] }).documentLoader;
    for (const [who, c] of issued) {
      const payload = payloadOf(c);
      expect(payload.credentialStatus).toBeDefined();
      const report = await validateElm(payload, loader);
      expect({ who, messages: report.messages }).toEqual({ who, messages: [] });
    }
  });

  it('is verified by the product: trusted chain, time-stamp, issuer of this installation', async () => {
    const c = issued.get('pl-learner')!;
    const seal = await verifySeal(c.elm, { trustAnchors: [revocation.ca, tsa.ca] });
    expect(seal).toMatchObject({ ok: true, trusted: true });
    expect(seal.checks.find((x) => x.check === 'revocation')).toMatchObject({ ok: true });
    expect(Date.parse(seal.timestampedAt!)).toBeGreaterThanOrEqual(Date.parse(seal.signedAt!) - 1000);
    const api = await verifyApi(c.elm);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ verified: true, verdict: 'verified' });
    const proof = api.body.results.find((r: any) => r.check === 'proof');
    expect(proof.message).toMatch(
      /^JAdES seal verified: sealed by Atlantic Polytechnic Institute at .*, time-stamped /,
    );
    const stored = await fetch(`${tool.url}/credentials/${c._id}/verification`).then((r) => r.json() as any);
    expect(stored).toMatchObject({ verified: true, elm: { verified: true, seal: { trusted: true } } });
  });

  it('refuses a tampered payload, a seal by a stranger’s certificate and a seal moved onto other bytes', async () => {
    const c = issued.get('pt-learner')!;
    const tampered = structuredClone(jws(c));
    tampered.payload = tampered.payload.replace('Ana Andrade', 'Eve Andrade');
    const refused = await verifyApi(tampered);
    expect(refused.status).toBe(400);
    expect(refused.body.errors.join(' ')).toMatch(/JAdES seal: the seal does not match the payload/);

    // The same credential sealed by a look-alike certificate of the same name: intact, but not this issuer’s.
    const impostor = await sealCredential(payloadOf(c), {
      certificates: [ca.stranger.cert],
      privateKey: ca.stranger.key,
    });
    const stranger = await verifyApi(impostor);
    expect(stranger.body.verified).toBe(false);
    expect(stranger.body.errors.join(' ')).toMatch(
      /but neither a seal of issuer .* here nor of an issuer on the trusted list/,
    );

    const other = jws(issued.get('pl-learner')!);
    const swapped = { ...structuredClone(jws(c)), signatures: structuredClone(other.signatures) };
    expect((await verifyApi(swapped)).body.verified).toBe(false);
  });

  it('shows the seal to the learner and the public, and names its holder in the PDF and the e-mail', async () => {
    const c = issued.get('pl-learner')!;
    const page = await fetch(`${tool.url}/credentials/${c._id}?lang=en`).then((r) => r.text());
    expect(page).toContain('it is sealed by Atlantic Polytechnic Institute');
    const file = await fetch(`${tool.url}/credentials/${c._id}/files/elm.jsonld`);
    expect(file.headers.get('content-disposition')).toContain(`credential-${c._id}-europass.jsonld`);
    expect(await file.json()).toEqual(c.elm);
    const pdf = await fetch(`${tool.url}/credentials/${c._id}/files/certificate.pdf?lang=en`);
    const doc = await getDocument({ data: new Uint8Array(await pdf.arrayBuffer()) }).promise;
    const text = (await (await doc.getPage(1)).getTextContent()).items.map((i: any) => i.str).join(' ');
    expect(text).toContain('Sealed by Atlantic Polytechnic Institute');
    const mail = renderCredentialMail({
      to: 'a@example.org',
      name: 'Ana',
      title: 'T',
      issuer: 'I',
      url: 'https://x.example/',
      sealHolder: 'Atlantic Polytechnic Institute',
    });
    expect(mail.text).toContain('sealed for Europass by Atlantic Polytechnic Institute');
  });

  it('reports a revocation on the sealed document', async () => {
    const c = issued.get('pt-learner')!;
    expect(await revokeThroughApi(tool, c._id)).toBe(200);
    const result = await verifyCredential(c.elm, installationVerification({ ...tool.config }));
    expect(result.verified).toBe(false);
    expect(result.checks.find((x) => x.check === 'status')).toMatchObject({ ok: false });
    expect(result.checks.find((x) => x.check === 'proof')).toMatchObject({ ok: true });
  });

  it('stops sealing once the seal certificate is revoked: the request fails, naming the revocation', async () => {
    revocation.revoke(revocation.seal.cert);
    const binding = String((await IssuanceRequest.findById(issued.get('pl-learner')!._id).lean())!.bindingId);
    await expect(
      issueThroughWorker(tool, binding, [{ id: 'after-revocation', name: 'Rui Reis' }], 8_000),
    ).rejects.toThrow();
    const request = (await IssuanceRequest.findOne({ learnerId: 'after-revocation' }).lean())!;
    // Failed at its first attempt: a revoked certificate is not retried.
    expect(request).toMatchObject({ state: 'failed', attempts: 1 });
    expect(request.lastError).toMatch(/revoked/);
    expect(await Credential.countDocuments({ _id: request._id })).toBe(0);
  }, 60_000);
});
