/* eslint-disable @typescript-eslint/no-explicit-any -- the tests read JSON answers by path */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import { loadConfig } from '../../src/config/env.js';
import { Credential } from '../../src/credentials/credential-model.js';
import { changeCredentialStatus, issueAndStoreCredential } from '../../src/credentials/credential-store.js';
import { generateDidKey } from '../../src/credentials/did-key.js';
import { createDocumentLoader } from '../../src/credentials/document-loader.js';
import { buildElmCredential } from '../../src/credentials/elm.js';
import type { SignedPair } from '../../src/credentials/issue-pair.js';
import { buildOb3Credential } from '../../src/credentials/ob3.js';
import { signCredential } from '../../src/credentials/signer.js';
import { storedVerificationRuns } from '../../src/credentials/stored-verification.js';
import { createIssuer, signingIssuer, type SigningIssuer } from '../../src/issuers/issuers.js';
import { installationDocumentLoader } from '../../src/issuers/resolvers.js';
import { createQueues } from '../../src/queue/queues.js';
import { createRedis } from '../../src/queue/redis.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import type { Organisation } from '../../src/templates/schema.js';
import { createApp } from '../../src/web/app.js';
import { freePort } from '../../scripts/services/process.js';
import { LEARNER, exampleTemplate, issueExamplePair } from '../helpers/credentials.js';
import { silentLogger } from '../helpers/env.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * Impersonation through real HTTP: anyone can make a did:key, write an institution's name and profile next to
 * it and sign. Such a credential must never read "genuine and valid": the verifier names the DID and says it is
 * not recognised, unless TRUSTED_ISSUERS lists it. Our own issuers are named from our record, never from what
 * the credential claims. Verification of stored credentials shares the public verify budget, and is cached
 * without ever hiding a status change or an expiry.
 */
let tool: ToolUnderTest;
let institution: SigningIssuer;
let profile: Organisation;
let forger: Ed25519KeyPair;
let forged: SignedPair;
let genuineId: string;
const extra: { close(): Promise<void> }[] = [];

const template = exampleTemplate();
const loaderFor = (url: string) => installationDocumentLoader(url);

/** Another web process on the same database and Redis, with its own settings. */
async function anotherApp(overrides: Record<string, string>) {
  const config = loadConfig({ ...tool.env, ...overrides });
  const logger = silentLogger();
  const redis = createRedis(config.REDIS_URL, 'client', logger);
  if (redis.status !== 'ready') await once(redis, 'ready');
  const queues = createQueues(redis, config.QUEUE_PREFIX);
  const port = await freePort();
  const server: Server = createApp({ config, logger, redis, queues }).listen(port, '127.0.0.1');
  await once(server, 'listening');
  const handle = {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await queues.close();
      redis.disconnect();
    },
  };
  extra.push(handle);
  return handle;
}

async function issueStored(): Promise<string> {
  const id = randomUUID();
  await issueAndStoreCredential({
    template: { ...template, version: 1 },
    issuer: institution,
    learner: LEARNER,
    learnerRef: 'learner-1',
    evidence: { grade: '91%' },
    credentialId: id,
    publicUrl: tool.url,
    documentLoader: loaderFor(tool.url),
  });
  return id;
}

const apiVerify = async (url: string, credential: unknown) => {
  const res = await fetch(`${url}/credentials/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verifiableCredential: credential }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

/** The /verify form as a browser submits it (with its form token), in `lang`. */
async function formVerify(url: string, credential: unknown, lang = 'en'): Promise<string> {
  const form = await fetch(`${url}/verify?lang=${lang}`);
  const cookies = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${url}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
    body: new URLSearchParams({ _csrf: csrf, credential: JSON.stringify(credential) }).toString(),
  });
  expect(res.status).toBe(200);
  return res.text();
}

/** The verdict block of a page: what a person reads as the answer. */
const verdictOf = (page: string) => /<div class="verdict [^"]*"[\s\S]*?<\/div>/.exec(page)?.[0] ?? '';

beforeAll(async () => {
  tool = await startTool({ RATE_LIMIT_VERIFY_PER_MINUTE: '1000' });
  const kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  profile = template.awardingBodies![0]!;
  const record = await createIssuer({
    id: 'atlantic',
    institutionId: 'atlantic',
    profile,
    publicUrl: tool.url,
    kek,
    isDefault: true,
  });
  institution = await signingIssuer(record, kek);
  genuineId = await issueStored();
  // The forgery: the institution's own name and profile, a fresh did:key, signed with that key.
  forger = await generateDidKey();
  forged = await issueExamplePair(forger, createDocumentLoader(), {
    credentialId: randomUUID(),
    evidence: { grade: '100%' },
  });
}, 120_000);

afterAll(async () => {
  for (const e of extra) await e.close();
  await tool?.close();
});

describe('a did:key wearing the institution’s name', () => {
  it('is refused by the API: verified false, the DID named as not recognised, the signature still valid', async () => {
    expect((forged.ob3.issuer as { name: string }).name).toBe(profile.legalName.en);
    for (const doc of [forged.ob3, forged.elm]) {
      const { status, body } = await apiVerify(tool.url, doc);
      expect(status).toBe(400);
      expect(body.verified).toBe(false);
      expect(body.verdict).toBe('issuer-not-recognised');
      expect(body.issuer).toEqual({
        id: forger.controller,
        recognised: false,
        statedName: profile.legalName.en,
      });
      const checks = Object.fromEntries(
        (body.results as { check: string; ok: boolean; message: string }[]).map((c) => [c.check, c]),
      );
      expect(checks.proof!.ok).toBe(true);
      expect(checks.issuer!.ok).toBe(false);
      expect(checks.issuer!.message).toContain(`${forger.controller} not recognised`);
      expect(body.checks).toContain('issuer'); // every check that ran is named; the failed ones are in errors
      expect(body.errors.join('\n')).toContain(forger.controller);
    }
  });

  it('is shown on the /verify page as "signature valid, issuer not recognised", never "genuine and valid"', async () => {
    const page = await formVerify(tool.url, forged.ob3);
    expect(page).not.toContain('genuine and valid');
    const verdict = verdictOf(page);
    expect(verdict).toContain('class="verdict unrecognised"');
    expect(verdict).toContain('Signature valid, issuer not recognised');
    expect(verdict).toContain(`Issued by ${forger.controller}, which this service does not recognise`);
    // The claimed name appears only as the credential's own claim.
    expect(verdict).toContain(`as “${profile.legalName.en}”; only the credential says so`);
    expect(verdict).not.toContain('an institution registered with this service');
    expect(page).toContain('This service does not recognise the issuer.');
  });

  it('names itself in escaped text only: markup and direction overrides in the claimed name do nothing', async () => {
    const evil = { ...profile, legalName: { en: '<img src=x onerror=alert(1)>\u202eIPA' } };
    const unsigned = buildOb3Credential({
      template,
      issuer: { did: forger.controller!, profile: evil },
      learner: LEARNER,
      credentialId: randomUUID(),
    });
    const doc = await signCredential(unsigned, forger, createDocumentLoader());
    const page = await formVerify(tool.url, doc);
    const verdict = verdictOf(page);
    expect(verdict).toContain('&lt;img src=x onerror=alert(1)&gt; IPA');
    expect(page).not.toContain('<img src=x');
    expect((await apiVerify(tool.url, doc)).body.issuer.statedName).toBe('<img src=x onerror=alert(1)> IPA');
  });

  it('cannot borrow the institution’s did:web: the proof then fails (not "issuer not recognised")', async () => {
    const unsigned = buildOb3Credential({
      template,
      issuer: { did: institution.did, profile },
      learner: LEARNER,
      credentialId: randomUUID(),
    });
    const doc = await signCredential(unsigned, forger, createDocumentLoader());
    const { status, body } = await apiVerify(tool.url, doc);
    expect(status).toBe(400);
    expect(body.verified).toBe(false);
    expect(body.verdict).toBe('not-verified');
    expect(body.results.find((c: { check: string }) => c.check === 'proof').ok).toBe(false);
    expect(verdictOf(await formVerify(tool.url, doc))).toContain('class="verdict fail"');
  });

  it('is recognised through TRUSTED_ISSUERS, by DID, its name marked as stated by the credential', async () => {
    const trusting = await anotherApp({ TRUSTED_ISSUERS: forger.controller! });
    const { status, body } = await apiVerify(trusting.url, forged.ob3);
    expect(status).toBe(200);
    expect(body.verified).toBe(true);
    expect(body.verdict).toBe('verified');
    expect(body.issuer).toEqual({
      id: forger.controller,
      recognised: 'trusted-list',
      statedName: profile.legalName.en,
    });
    expect(body.warnings.join('\n')).toContain(`"${profile.legalName.en}" is stated by the credential`);
    const verdict = verdictOf(await formVerify(trusting.url, forged.elm));
    expect(verdict).toContain('class="verdict ok"');
    expect(verdict).toContain('This credential is genuine and valid.');
    expect(verdict).toContain(
      `Issued by ${forger.controller}, which is on this service&#39;s list of trusted issuers`,
    );
    expect(verdict).toContain('only the credential says so');
    // The first process, without the setting, still refuses it.
    expect((await apiVerify(tool.url, forged.ob3)).body.verified).toBe(false);
  });
});

describe('the institution’s own credentials', () => {
  it('read "genuine and valid", named from our record in the reader’s language, page and JSON', async () => {
    const page = await (await fetch(`${tool.url}/credentials/${genuineId}?lang=de`)).text();
    const verdict = verdictOf(page);
    expect(verdict).toContain('class="verdict ok"');
    expect(verdict).toContain('Dieser Nachweis ist echt und gültig.');
    // The German name is only in our record: the credential states the English one.
    expect(verdict).toContain(
      `Ausgestellt von ${profile.legalName.de}, einer bei diesem Dienst registrierten`,
    );

    const json = (await (await fetch(`${tool.url}/credentials/${genuineId}/verification`)).json()) as any;
    expect(json.verified).toBe(true);
    expect(json.verdict).toBe('verified');
    expect(json.issuer).toMatchObject({
      id: institution.did,
      recognised: 'installation',
      name: profile.legalName.en,
    });
    expect(json.ob3.checks.find((c: { check: string }) => c.check === 'issuer').message).toBe(
      `issuer ${institution.did} is ${profile.legalName.en}, an issuer of this installation`,
    );
  });

  it('are named from our record even when the document states another name', async () => {
    const claimed = { ...profile, legalName: { en: 'Some Other University' } };
    const unsigned = buildOb3Credential({
      template,
      issuer: { did: institution.did, profile: claimed },
      learner: LEARNER,
      credentialId: randomUUID(),
    });
    const doc = await signCredential(unsigned, institution.key, loaderFor(tool.url));
    const { status, body } = await apiVerify(tool.url, doc);
    expect(status).toBe(200);
    expect(body.issuer).toMatchObject({
      recognised: 'installation',
      name: profile.legalName.en,
      statedName: 'Some Other University',
    });
    const verdict = verdictOf(await formVerify(tool.url, doc));
    expect(verdict).toContain('This credential is genuine and valid.');
    expect(verdict).toContain(
      `Issued by ${profile.legalName.en}, an institution registered with this service`,
    );
    expect(verdict).not.toContain('Some Other University');
  });
});

describe('verification of stored credentials', () => {
  it('shares the public verify budget: the page, the JSON and POST /credentials/verify, then 429', async () => {
    const limited = await anotherApp({
      QUEUE_PREFIX: `${tool.env.QUEUE_PREFIX}-budget`,
      RATE_LIMIT_VERIFY_PER_MINUTE: '4',
    });
    const ob3 = await (await fetch(`${limited.url}/credentials/${genuineId}/ob3`)).json();
    const spent = [
      (await fetch(`${limited.url}/credentials/${genuineId}`)).status,
      (await fetch(`${limited.url}/credentials/${genuineId}/verification`)).status,
      (await apiVerify(limited.url, ob3)).status,
      (await fetch(`${limited.url}/credentials/${genuineId}/verification`)).status,
    ];
    expect(spent).toEqual([200, 200, 200, 200]);
    for (const res of [
      await fetch(`${limited.url}/credentials/${genuineId}/verification`),
      await fetch(`${limited.url}/credentials/${genuineId}`),
      await fetch(`${limited.url}/credentials/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verifiableCredential: ob3 }),
      }),
    ]) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    }
    // The plain JSON verifies nothing and stays open; the files (a PDF made on each request) share the budget.
    for (const path of ['ob3', 'elm']) {
      expect((await fetch(`${limited.url}/credentials/${genuineId}/${path}`)).status).toBe(200);
    }
    for (const path of ['files/ob3.json', 'files/certificate.pdf']) {
      expect((await fetch(`${limited.url}/credentials/${genuineId}/${path}`)).status).toBe(429);
    }
  });

  it('verifies once for many concurrent requests, and the page reuses the JSON’s result', async () => {
    const id = await issueStored();
    const before = storedVerificationRuns();
    const answers = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const res = await fetch(`${tool.url}/credentials/${id}/verification`);
        return ((await res.json()) as { verified: boolean }).verified;
      }),
    );
    expect(answers.every(Boolean)).toBe(true);
    expect(storedVerificationRuns() - before).toBe(1);
    const page = await (await fetch(`${tool.url}/credentials/${id}`)).text();
    expect(verdictOf(page)).toContain('genuine and valid');
    expect(storedVerificationRuns() - before).toBe(1);
  });

  it('shows a status change at once, cached or not', async () => {
    const id = await issueStored();
    const verification = async () =>
      (await (await fetch(`${tool.url}/credentials/${id}/verification`)).json()) as any;
    expect((await verification()).verified).toBe(true);
    expect((await verification()).verified).toBe(true); // now from the cache
    const change = (value: boolean) =>
      changeCredentialStatus(id, 'suspension', value, institution, tool.url, loaderFor(tool.url));

    await change(true);
    const suspended = await verification();
    expect(suspended.verified).toBe(false);
    expect(suspended.verdict).toBe('not-verified');
    expect(suspended.ob3.checks.find((c: { check: string }) => c.check === 'status')).toMatchObject({
      ok: false,
      message: 'suspended',
    });
    expect(verdictOf(await (await fetch(`${tool.url}/credentials/${id}`)).text())).toContain(
      'class="verdict fail"',
    );

    await change(false);
    expect((await verification()).verified).toBe(true);
  });

  it('never keeps a result past the credential’s validUntil', async () => {
    // A pair valid for three more seconds, stored as documents (the form credentials had before packing).
    const id = randomUUID();
    const until = new Date(Date.now() + 3_000);
    const stamp = until.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const award = { template, issuer: institution, learner: LEARNER, credentialId: id, publicUrl: tool.url };
    const loader = loaderFor(tool.url);
    const ob3 = await signCredential(
      { ...buildOb3Credential(award), validUntil: stamp },
      institution.key,
      loader,
    );
    const elm = await signCredential(
      { ...buildElmCredential(award), expirationDate: stamp },
      institution.key,
      loader,
    );
    await Credential.collection.insertOne({
      _id: id as never,
      issuerId: institution.id,
      templateKey: template.key,
      templateVersion: 1,
      learnerRef: 'learner-1',
      ob3,
      elm,
      status: [],
      issuedAt: new Date(),
    });
    const verification = async () =>
      (await (await fetch(`${tool.url}/credentials/${id}/verification`)).json()) as any;
    const before = storedVerificationRuns();
    expect((await verification()).verified).toBe(true);
    expect((await verification()).verified).toBe(true);
    expect(storedVerificationRuns() - before).toBe(1); // the second came from the cache
    await new Promise((r) => setTimeout(r, Math.max(0, until.getTime() - Date.now() + 1_000)));
    const expired = await verification();
    expect(expired.verified).toBe(false);
    expect(expired.ob3.checks.find((c: { check: string }) => c.check === 'validity').message).toBe(
      `expired on ${stamp}`,
    );
  }, 30_000);
});
