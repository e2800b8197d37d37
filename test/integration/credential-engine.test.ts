/* eslint-disable @typescript-eslint/no-explicit-any -- the tests walk signed JSON documents by path */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express, { type Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import type { Config } from '../../src/config/env.js';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { gunzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { BitstringStatusList } from '@digitalbazaar/vc-bitstring-status-list';
import { findCredential, issueAndStoreCredential } from '../../src/credentials/credential-store.js';
import { verifyCredential } from '../../src/credentials/verifier.js';
import { STATUS_LIST_LENGTH } from '../../src/credentials/status-lists.js';
import { createIssuer, findIssuer, rotateIssuerKey, signingIssuer } from '../../src/issuers/issuers.js';
import { requireEncryptionKey } from '../../src/security/encryption.js';
import { installationDocumentLoader } from '../../src/issuers/resolvers.js';
import { installationVerification } from '../../src/issuers/recognition.js';
import type { StoredTemplate } from '../../src/templates/lifecycle.js';
import {
  importTemplate,
  publishTemplate,
  updateDraft,
  TemplateError,
} from '../../src/templates/lifecycle.js';
import { errorHandler, notFound } from '../../src/web/errors.js';
import { rejectOperatorInjection } from '../../src/web/operator-guard.js';
import { credentialsRouter } from '../../src/web/routes/credentials.js';
import { silentLogger, testConfig } from '../helpers/env.js';
import { LEARNER, exampleTemplate, tamper } from '../helpers/credentials.js';

const TOKEN = 'test-admin-token-0123456789abcdef0123456789';
const PUBLIC_URL = 'http://localhost:3999';

describe('credential engine against FerretDB', () => {
  let config: Config;
  let app: Express;
  let kek: Buffer;
  const loader = installationDocumentLoader(PUBLIC_URL);
  const verification = installationVerification({ PUBLIC_URL, TRUSTED_ISSUERS: [] });

  beforeAll(async () => {
    config = testConfig({
      PUBLIC_URL,
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 42).toString('base64'),
      ADMIN_API_TOKEN: TOKEN,
    });
    kek = requireEncryptionKey(config);
    await connectDatabase(config.MONGODB_URI, silentLogger());
    app = express();
    app.use(express.json({ limit: '256kb' }));
    app.use(rejectOperatorInjection);
    app.use(credentialsRouter(config));
    app.use(notFound);
    app.use(errorHandler(silentLogger()));
    const profile = exampleTemplate().awardingBodies![0]!;
    await createIssuer({
      id: 'ipa',
      institutionId: 'ipa',
      profile,
      publicUrl: PUBLIC_URL,
      kek,
      isDefault: true,
    });
    await createIssuer({ id: 'ipa-continuing', institutionId: 'ipa', profile, publicUrl: PUBLIC_URL, kek });
  }, 120_000);

  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase();
    await disconnectDatabase();
  });

  async function publishedExample() {
    const draft = await importTemplate('ipa', exampleTemplate());
    return publishTemplate('ipa', draft.key, draft.version);
  }

  async function issue(id: string, issuerId = 'ipa', firstAttempt = false, published?: StoredTemplate) {
    const template = published ?? (await publishedExample());
    const issuer = await signingIssuer((await findIssuer(issuerId))!, kek);
    return issueAndStoreCredential({
      template: { ...template.data, version: template.version },
      issuer,
      learner: LEARNER,
      learnerRef: 'lti-user-1',
      evidence: { grade: '91%' },
      credentialId: id,
      firstAttempt,
      publicUrl: PUBLIC_URL,
      documentLoader: loader,
    });
  }

  it('stores private keys only as ciphertext', async () => {
    const raw = await mongoose.connection.db!.collection('issuers').findOne({ _id: 'ipa' as never });
    const stored = raw!.keys[0];
    expect(stored.sealedPrivateKey).toMatch(/^v2\.[0-9a-f]{16}\./);
    expect(JSON.stringify(raw)).not.toMatch(/secretKeyMultibase|"zrv|privateKeyMultibase/);
    const issuer = await signingIssuer((await findIssuer('ipa'))!, kek);
    const exported = await issuer.key.export({ secretKey: true });
    expect(JSON.stringify(raw)).not.toContain(exported.secretKeyMultibase);
  });

  it('serves did:web documents in root and path form', async () => {
    const root = await request(app).get('/.well-known/did.json').expect(200);
    expect(root.body.id).toBe('did:web:localhost%3A3999');
    expect(root.body.assertionMethod).toEqual([`${root.body.id}#key-1`]);
    const path = await request(app).get('/issuers/ipa-continuing/did.json').expect(200);
    expect(path.body.id).toBe('did:web:localhost%3A3999:issuers:ipa-continuing');
    await request(app).get('/issuers/nobody/did.json').expect(404);
  });

  it('issues both documents, stores them, and verifies them through the public endpoint', async () => {
    const pair = await issue('award-1');
    // One entry covers revocation and suspension (the OB3 schema allows one), two bits wide.
    const entry = pair.ob3.credentialStatus as any;
    expect(entry).toMatchObject({
      type: 'BitstringStatusListEntry',
      statusPurpose: 'message',
      statusSize: 2,
    });
    expect(entry.statusMessage.map((m: any) => m.message)).toEqual([
      'valid',
      'suspended',
      'revoked',
      'revoked',
    ]);
    // The ELM names the same entry, as the one xsd:anyURI literal the EDC shapes allow.
    expect(pair.elm.credentialStatus).toEqual({
      '@value': entry.id,
      type: 'http://www.w3.org/2001/XMLSchema#anyURI',
    });
    expect(entry.id).toBe(`${entry.statusListCredential}#${entry.statusListIndex}`);
    const index = Number(entry.statusListIndex);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(index).toBeLessThan(STATUS_LIST_LENGTH);
    const res = await request(app).get('/credentials/award-1/verification').expect(200);
    expect(res.body.verified).toBe(true);
    expect(res.body.elm.checks.find((c: any) => c.check === 'status').ok).toBe(true);
    const doc = await request(app).get('/credentials/award-1/elm').expect(200);
    expect(doc.body.id).toBe(`${PUBLIC_URL}/credentials/award-1/elm`);
    // Same id again: the stored pair, not a second issuance.
    const again = await issue('award-1');
    expect(again.ob3.proof).toEqual(pair.ob3.proof);
  });

  it('keeps the first of two attempts that sign the same award at once', async () => {
    // Both skip the stored-pair lookup (each believes it is the first attempt) and sign; one insert wins.
    const template = await publishedExample();
    const [a, b] = await Promise.all([
      issue('award-race', 'ipa', true, template),
      issue('award-race', 'ipa', true, template),
    ]);
    expect(a.ob3.proof).toEqual(b.ob3.proof);
    expect(a.elm.proof).toEqual(b.elm.proof);
    const stored = await mongoose.connection
      .db!.collection('credentials')
      .find({ _id: 'award-race' as never })
      .toArray();
    expect(stored).toHaveLength(1);
    expect((await findCredential('award-race'))!.ob3.proof).toEqual(a.ob3.proof);
  });

  it('stores the pair exactly as signed, compressed, and still reads credentials stored as documents', async () => {
    const pair = await issue('award-packed');
    const raw = (await mongoose.connection
      .db!.collection('credentials')
      .findOne({ _id: 'award-packed' as never }))!;
    expect(raw.ob3).toBeUndefined();
    const json = JSON.stringify({ ob3: pair.ob3, elm: pair.elm });
    const bytes = Buffer.from(raw.signed.buffer);
    expect(gunzipSync(bytes).toString('utf8')).toBe(json);
    expect(bytes.length).toBeLessThan(json.length / 3);
    // The download is the issued document, byte for byte.
    const res = await request(app).get('/credentials/award-packed/elm').expect(200);
    expect(JSON.stringify(res.body)).toBe(JSON.stringify(pair.elm));

    // A credential stored before packing: documents as fields.
    const { signed: _signed, ...rest } = raw;
    await mongoose.connection
      .db!.collection('credentials')
      .insertOne({ ...rest, _id: 'award-legacy' as never, ob3: pair.ob3, elm: pair.elm });
    const legacy = (await findCredential('award-legacy'))!;
    expect(legacy.elm).toEqual(pair.elm);
    expect((await verifyCredential(legacy.ob3, verification)).verified).toBe(true);
    expect(await findCredential('award-missing')).toBeUndefined();
  });

  it('serves signed status list credentials of at least 131,072 entries', async () => {
    const pair = await issue('award-2');
    const url = (pair.ob3.credentialStatus as any).statusListCredential as string;
    const res = await request(app).get(new URL(url).pathname).expect(200);
    expect(res.body.type).toContain('BitstringStatusListCredential');
    expect(res.body.credentialSubject.statusPurpose).toBe('message');
    // Two bits for each of the 131,072 entries.
    const bits = await BitstringStatusList.decode({ encodedList: res.body.credentialSubject.encodedList });
    expect(bits.length).toBe(STATUS_LIST_LENGTH * 2);
    expect(res.body.proof.cryptosuite).toBe('eddsa-rdfc-2022');
    expect((await verifyCredential(res.body, verification)).verified).toBe(true);
  });

  it('a revoked credential fails verification through the status list', async () => {
    const pair = await issue('award-3');
    expect((await verifyCredential(pair.elm, verification)).verified).toBe(true);
    await request(app)
      .post('/credentials/status')
      .set('authorization', `Bearer ${TOKEN}`)
      .send({
        credentialId: 'award-3',
        credentialStatus: [{ type: 'BitstringStatusListEntry', statusPurpose: 'revocation', status: true }],
      })
      .expect(200);
    for (const doc of [pair.ob3, pair.elm]) {
      const result = await verifyCredential(doc, verification);
      expect(result.verified).toBe(false);
      expect(result.checks.find((c) => c.check === 'status')).toMatchObject({
        ok: false,
        message: 'revoked',
      });
      expect(result.checks.find((c) => c.check === 'proof')).toMatchObject({ ok: true });
    }
    // Another credential on the same list is unaffected.
    const other = (await request(app).get('/credentials/award-2/verification').expect(200)).body;
    expect(other.verified).toBe(true);
  });

  it('suspension can be lifted', async () => {
    const pair = await issue('award-4');
    const change = (status: boolean) =>
      request(app)
        .post('/credentials/status')
        .set('authorization', `Bearer ${TOKEN}`)
        .send({
          credentialId: 'award-4',
          credentialStatus: [{ type: 'BitstringStatusListEntry', statusPurpose: 'suspension', status }],
        })
        .expect(200);
    await change(true);
    const suspended = await verifyCredential(pair.ob3, verification);
    expect(suspended.checks.find((c) => c.check === 'status')?.message).toBe('suspended');
    await change(false);
    expect((await verifyCredential(pair.ob3, verification)).verified).toBe(true);
  });

  it('keeps earlier credentials valid after a key rotation', async () => {
    const before = await issue('award-5', 'ipa-continuing');
    const rotated = await rotateIssuerKey('ipa-continuing', kek);
    expect(rotated.keys.map((k) => k.status)).toEqual(['retired', 'active']);
    const after = await issue('award-6', 'ipa-continuing');
    expect((after.ob3.proof as any).verificationMethod).toMatch(/#key-2$/);
    expect((before.ob3.proof as any).verificationMethod).toMatch(/#key-1$/);
    for (const doc of [before.ob3, before.elm, after.ob3, after.elm]) {
      expect((await verifyCredential(doc, verification)).verified).toBe(true);
    }
    expect((await verifyCredential(tamper(before.elm, ['issued']), verification)).verified).toBe(false);
  });

  it('template lifecycle: publishing names each missing element; published versions are immutable', async () => {
    const incomplete = exampleTemplate();
    delete incomplete.level;
    delete incomplete.assessment;
    const draft = await importTemplate('ipa', { ...incomplete, key: 'incomplete-course' });
    const refused = await publishTemplate('ipa', draft.key, draft.version).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TemplateError);
    expect((refused as TemplateError).problems.join('\n')).toMatch(
      /element 8 “level[\s\S]*element 9 “type of assessment/,
    );
    const published = await publishedExample();
    await expect(updateDraft('ipa', published.key, published.version, exampleTemplate())).rejects.toThrow(
      /not a draft/,
    );
  });

  describe('VC API', () => {
    const credential = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential'],
      issuer: 'did:web:localhost%3A3999',
      credentialSubject: { id: 'did:example:learner', name: 'Ana' },
    };

    it('POST /credentials/issue needs the admin token', async () => {
      await request(app).post('/credentials/issue').send({ credential }).expect(401);
      await request(app)
        .post('/credentials/issue')
        .set('authorization', 'Bearer wrong')
        .send({ credential })
        .expect(401);
    });

    it('POST /credentials/issue signs with the default issuer and returns 201 {verifiableCredential}', async () => {
      const res = await request(app)
        .post('/credentials/issue')
        .set('authorization', `Bearer ${TOKEN}`)
        .send({ credential, options: { credentialStatus: { type: 'BitstringStatusListEntry' } } })
        .expect(201);
      const vc = res.body.verifiableCredential;
      expect(vc.issuer).toBe('did:web:localhost%3A3999');
      expect(vc.proof.type).toBe('DataIntegrityProof');
      const verified = await request(app)
        .post('/credentials/verify')
        .send({ verifiableCredential: vc })
        .expect(200);
      expect(verified.body.verified).toBe(true);
      expect(verified.body.checks).toEqual(expect.arrayContaining(['proof', 'status', 'issuer']));
      const bad = await request(app)
        .post('/credentials/verify')
        .send({
          verifiableCredential: { ...vc, credentialSubject: { ...vc.credentialSubject, name: 'Anb' } },
        })
        .expect(400);
      expect(bad.body.verified).toBe(false);
      expect(bad.body.errors.join()).toMatch(/proof/);
    });

    it('revokes and suspends a credential issued through the VC API by its id, through POST /credentials/status', async () => {
      const id = `urn:uuid:${randomUUID()}`;
      const issueWithStatus = () =>
        request(app)
          .post('/credentials/issue')
          .set('authorization', `Bearer ${TOKEN}`)
          .send({
            credential: { ...credential, id },
            options: { credentialStatus: { type: 'BitstringStatusListEntry' } },
          });
      const issued = await issueWithStatus().expect(201);
      const vc = issued.body.verifiableCredential;
      expect(vc.credentialStatus).toMatchObject({ statusPurpose: 'message', statusSize: 2 });
      const change = (statusPurpose: string, status: boolean) =>
        request(app)
          .post('/credentials/status')
          .set('authorization', `Bearer ${TOKEN}`)
          .send({
            credentialId: id,
            credentialStatus: [{ type: 'BitstringStatusListEntry', statusPurpose, status }],
          })
          .expect(200);
      const statusOf = async () => {
        const res = await request(app).post('/credentials/verify').send({ verifiableCredential: vc });
        return res.body.results.find((c: any) => c.check === 'status');
      };
      expect(await statusOf()).toMatchObject({ ok: true });
      await change('suspension', true);
      expect(await statusOf()).toMatchObject({ ok: false, message: 'suspended' });
      await change('suspension', false);
      expect(await statusOf()).toMatchObject({ ok: true });
      await change('revocation', true);
      await change('suspension', true);
      expect(await statusOf()).toMatchObject({ ok: false, message: 'revoked' });
      // The same id cannot take a second entry: the first one would become unreachable.
      const again = await issueWithStatus().expect(409);
      expect(again.body.error.message).toContain('credential.id');
    });

    it.each([
      [{ credentialSchema: { id: 'https://example.org/schema.json' } }, 'credential.credentialSchema.type'],
      [{ refreshService: { id: 'https://example.org/refresh' } }, 'credential.refreshService.type'],
      [{ relatedResource: [{ id: 'https://example.org/x' }] }, 'credential.relatedResource[0]'],
      [{ credentialSubject: 'did:example:learner' }, 'credential.credentialSubject'],
      [{ issuer: 'did:web:someone.else' }, 'credential.issuer'],
      // Never filled in with the signing issuer: a name given without an id would be lost.
      [{ issuer: undefined }, 'credential.issuer: is required'],
      [{ issuer: [] }, 'credential.issuer: must be a URL'],
      [{ issuer: { name: 'Atlantic Polytechnic' } }, 'credential.issuer: must be a URL'],
      [{ id: null }, 'credential.id: must be a URL'],
    ])('POST /credentials/issue refuses %j naming the field', async (change, field) => {
      const res = await request(app)
        .post('/credentials/issue')
        .set('authorization', `Bearer ${TOKEN}`)
        .send({ credential: { ...credential, ...change } })
        .expect(400);
      expect(res.body.error.message).toContain(field);
    });

    it('validates bodies with errors that name the field', async () => {
      const res = await request(app)
        .post('/credentials/issue')
        .set('authorization', `Bearer ${TOKEN}`)
        .send({})
        .expect(400);
      expect(res.body.error.details.fields[0].field).toBe('credential');
      const status = await request(app)
        .post('/credentials/status')
        .set('authorization', `Bearer ${TOKEN}`)
        .send({
          credentialId: 'award-1',
          credentialStatus: [{ type: 'BitstringStatusListEntry', statusPurpose: 'x', status: true }],
        })
        .expect(400);
      expect(status.body.error.message).toContain('credentialStatus.0.statusPurpose');
      await request(app)
        .post('/credentials/status')
        .set('authorization', `Bearer ${TOKEN}`)
        .send({
          credentialId: 'nope',
          credentialStatus: [{ type: 'BitstringStatusListEntry', statusPurpose: 'revocation', status: true }],
        })
        .expect(404);
    });

    it('POST /credentials/verify refuses a credential from an unknown did:web without fetching', async () => {
      const res = await request(app)
        .post('/credentials/verify')
        .send({ verifiableCredential: { ...credential, issuer: 'did:web:evil.example', proof: {} } })
        .expect(400);
      expect(res.body.errors.join()).toMatch(/issuer/);
    });
  });
});
