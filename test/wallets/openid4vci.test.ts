/* eslint-disable @typescript-eslint/no-explicit-any -- protocol answers are read as JSON */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { digest } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import {
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JWK,
} from 'jose';
import type { StoredCredential } from '../../src/credentials/credential-store.js';
import { AuditEvent } from '../../src/db/models/audit-event.js';
import { learnerLinkKey, learnerPageUrl } from '../../src/issuance/links.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { createTestInstitution, publishExampleTemplate } from '../helpers/institution.js';
import { bindCourse, issueThroughWorker, revokeThroughApi } from '../helpers/issuing.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * A wallet taking an Open Badge over OpenID4VCI 1.0 (pre-authorized code), through real HTTP, with jose for its
 * keys and proofs and nothing of the product's code: the offer from the learner's page, the issuer and
 * authorization server metadata, the token (with the transaction code), a c_nonce, a key proof, the credential
 * bound to the wallet's did:jwk. Then the refusals: a replayed offer, a stale nonce, a proof by another key, five
 * wrong transaction codes, another learner's credential, a spent access token.
 */
let tool: ToolUnderTest;
let issued: Map<string, StoredCredential>;
let kek: Buffer;

beforeAll(async () => {
  tool = await startTool({ ISSUE_BACKOFF_MS: '200' });
  kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  const { institutionId, issuer } = await createTestInstitution(tool);
  const key = await publishExampleTemplate(institutionId);
  await tool.startWorker();
  issued = await issueThroughWorker(tool, await bindCourse(institutionId, issuer._id, key), [
    { id: 'wallet-a', name: 'Ana Andrade' },
    { id: 'wallet-b', name: 'Bruno Barros' },
  ]);
}, 120_000);

afterAll(async () => {
  await tool?.close();
});

/** The learner's e-mail link page, and from it the offer page of their credential: the offer URI and tx code. */
async function offerFromLearnerPage(
  learnerId: string,
  credentialId = issued.get(learnerId)!._id,
  kind: 'badge' | 'eu' = 'badge',
) {
  const page = learnerPageUrl(tool.url, learnerLinkKey(kek), `conformance-lms:${learnerId}`, 1);
  const html = await (await fetch(page)).text();
  const href = new RegExp(`href="([^"]+)" data-wallet-offer="${kind}"`)
    .exec(html)?.[1]
    ?.replaceAll('&amp;', '&');
  expect(href).toBeDefined();
  const url = new URL(href!, tool.url);
  url.searchParams.set('credential', credentialId);
  const res = await fetch(url);
  const offerPage = await res.text();
  return {
    status: res.status,
    offerUri: /href="(openid-credential-offer:\/\/[^"]+)"/.exec(offerPage)?.[1]?.replaceAll('&amp;', '&'),
    txCode: /data-tx-code>(\d{6})</.exec(offerPage)?.[1],
  };
}

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
interface Wallet {
  key: PrivateKey;
  jwk: JWK;
}
async function newWallet(): Promise<Wallet> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { key: privateKey, jwk: await exportJWK(publicKey) };
}

/** The token endpoint's answer for a pre-authorized code (and transaction code). */
async function tokenFor(tokenEndpoint: string, code: string, txCode: string | undefined) {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code',
      'pre-authorized_code': code,
      ...(txCode ? { tx_code: txCode } : {}),
    }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** What a wallet does with an offer URI, up to the access token. */
async function takeOffer(offerUri: string, txCode: string | undefined) {
  const offerUrl = new URL(offerUri).searchParams.get('credential_offer_uri')!;
  const offer = (await (await fetch(offerUrl)).json()) as any;
  const issuerUrl = new URL(offer.credential_issuer);
  const metadata = (await (
    await fetch(`${issuerUrl.origin}/.well-known/openid-credential-issuer${issuerUrl.pathname}`)
  ).json()) as any;
  const as = (await (
    await fetch(`${metadata.authorization_servers[0]}/.well-known/oauth-authorization-server`)
  ).json()) as any;
  const grant = offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'];
  const token = await tokenFor(as.token_endpoint, grant['pre-authorized_code'], txCode);
  return { offerUrl, offer, metadata, as, grant, tokenStatus: token.status, token: token.body };
}

async function proofFor(wallet: Wallet, audience: string, nonce: string, signer = wallet.key) {
  return new SignJWT({ nonce })
    .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: wallet.jwk })
    .setIssuedAt()
    .setAudience(audience)
    .sign(signer);
}

const nonceFrom = async (metadata: any) =>
  ((await (await fetch(metadata.nonce_endpoint, { method: 'POST' })).json()) as any).c_nonce as string;

const requestCredential = (metadata: any, accessToken: string, proof: string, configuration = 'open-badge') =>
  fetch(metadata.credential_endpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ credential_configuration_id: configuration, proofs: { jwt: [proof] } }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe('a wallet taking an Open Badge over OpenID4VCI', () => {
  it('runs the pre-authorized code flow from the learner’s page to a badge bound to its key', async () => {
    const { offerUri, txCode } = await offerFromLearnerPage('wallet-a');
    expect(offerUri).toMatch(/^openid-credential-offer:\/\/\?credential_offer_uri=/);
    expect(txCode).toMatch(/^\d{6}$/);
    const { offer, metadata, as, grant, tokenStatus, token } = await takeOffer(offerUri!, txCode);
    expect(offer.credential_configuration_ids).toEqual(['open-badge']);
    expect(grant.tx_code).toMatchObject({ input_mode: 'numeric', length: 6 });
    expect(metadata.credential_configurations_supported['open-badge']).toMatchObject({
      format: 'ldp_vc',
      cryptographic_binding_methods_supported: ['did:jwk'],
    });
    expect(as['pre-authorized_grant_anonymous_access_supported']).toBe(true);
    expect(tokenStatus).toBe(200);
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 300 });

    const wallet = await newWallet();
    const proof = await proofFor(wallet, offer.credential_issuer, await nonceFrom(metadata));
    const { status, body } = await requestCredential(metadata, token.access_token, proof);
    expect(status).toBe(200);
    const badge = body.credentials[0].credential;
    const did = `did:jwk:${Buffer.from(JSON.stringify({ kty: 'EC', crv: 'P-256', x: wallet.jwk.x, y: wallet.jwk.y })).toString('base64url')}`;
    expect(badge.credentialSubject.id).toBe(did);
    expect(badge.type).toContain('OpenBadgeCredential');
    expect(badge.credentialStatus).toEqual(issued.get('wallet-a')!.ob3.credentialStatus);
    expect(badge.proof.cryptosuite).toBe('eddsa-rdfc-2022');

    // The verifier of the installation, over HTTP: genuine; after a revocation of the award, revoked too.
    const verify = () =>
      fetch(`${tool.url}/credentials/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verifiableCredential: badge }),
      }).then(async (r) => (await r.json()) as any);
    expect(await verify()).toMatchObject({ verified: true });
    expect(await revokeThroughApi(tool, issued.get('wallet-a')!._id)).toBe(200);
    const after = await verify();
    expect(after.verified).toBe(false);
    expect(after.errors.join(' ')).toMatch(/revoked/);

    // Each step is in the audit log (who, which credential), never a code.
    const events = await AuditEvent.find({ 'target.id': issued.get('wallet-a')!._id }).lean();
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['wallet.offer', 'wallet.token', 'wallet.issue']),
    );
    expect(JSON.stringify(events)).not.toContain(grant['pre-authorized_code']);
    expect(JSON.stringify(events)).not.toContain(`"${txCode}"`);

    // The offer and the access token were used once.
    const offerUrl = new URL(offerUri!).searchParams.get('credential_offer_uri')!;
    expect((await fetch(offerUrl)).status).toBe(404);
    expect(await tokenFor(as.token_endpoint, grant['pre-authorized_code'], txCode)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    const reuse = await requestCredential(metadata, token.access_token, proof);
    expect(reuse).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  }, 60_000);

  it('refuses a stale or made-up nonce, and a proof signed by another key than the one it names', async () => {
    for (const [what, make, error] of [
      [
        'made-up nonce',
        async (w: Wallet, aud: string) => proofFor(w, aud, 'not-a-nonce-of-this-issuer'),
        'invalid_nonce',
      ],
      [
        'another key',
        async (w: Wallet, aud: string, m: any) =>
          proofFor(w, aud, await nonceFrom(m), (await newWallet()).key),
        'invalid_proof',
      ],
    ] as const) {
      const { offerUri, txCode } = await offerFromLearnerPage('wallet-b');
      const { offer, metadata, token } = await takeOffer(offerUri!, txCode);
      const wallet = await newWallet();
      const proof = await make(wallet, offer.credential_issuer, metadata);
      const res = await requestCredential(metadata, token.access_token, proof);
      expect({ what, status: res.status, error: res.body.error }).toEqual({ what, status: 400, error });
    }
    // A nonce is used once: the same proof twice, the second is stale.
    const { offerUri, txCode } = await offerFromLearnerPage('wallet-b');
    const first = await takeOffer(offerUri!, txCode);
    const wallet = await newWallet();
    const proof = await proofFor(wallet, first.offer.credential_issuer, await nonceFrom(first.metadata));
    expect((await requestCredential(first.metadata, first.token.access_token, proof)).status).toBe(200);
    const next = await offerFromLearnerPage('wallet-b');
    const second = await takeOffer(next.offerUri!, next.txCode);
    expect(await requestCredential(second.metadata, second.token.access_token, proof)).toMatchObject({
      status: 400,
      body: { error: 'invalid_nonce' },
    });
  }, 60_000);

  it('locks an offer after five wrong transaction codes, and offers no learner another’s credential', async () => {
    const { offerUri, txCode } = await offerFromLearnerPage('wallet-b');
    const first = await takeOffer(offerUri!, String((Number(txCode) + 1) % 1_000_000).padStart(6, '0'));
    expect({ status: first.tokenStatus, error: first.token.error }).toEqual({
      status: 400,
      error: 'invalid_grant',
    });
    const code = first.grant['pre-authorized_code'];
    for (let i = 2; i <= 5; i++) {
      const wrong = String((Number(txCode) + i) % 1_000_000).padStart(6, '0');
      expect(await tokenFor(first.as.token_endpoint, code, wrong)).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant' },
      });
    }
    // Locked: the right code no longer buys a token, and the offer document is gone.
    expect(await tokenFor(first.as.token_endpoint, code, txCode)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: expect.stringMatching(/locked/) },
    });
    expect((await fetch(first.offerUrl)).status).toBe(404);
    // Without the transaction code at all, a fresh offer asks for it.
    const fresh = await offerFromLearnerPage('wallet-b');
    expect((await takeOffer(fresh.offerUri!, undefined)).token).toMatchObject({ error: 'invalid_request' });

    // Learner B's link, asking for learner A's credential: no such credential.
    const stolen = await offerFromLearnerPage('wallet-b', issued.get('wallet-a')!._id);
    expect(stolen.status).toBe(404);
    expect(stolen.offerUri).toBeUndefined();
  }, 60_000);
});

describe('a wallet taking the EU micro-credential as an SD-JWT VC', () => {
  it('receives a dc+sd-jwt signed by the issuer’s key, its key in cnf, the learner’s names as disclosures', async () => {
    const { offerUri, txCode } = await offerFromLearnerPage('wallet-b', undefined, 'eu');
    const { offer, metadata, token } = await takeOffer(offerUri!, txCode);
    expect(offer.credential_configuration_ids).toEqual(['eu-microcredential']);
    const config = metadata.credential_configurations_supported['eu-microcredential'];
    expect(config).toMatchObject({ format: 'dc+sd-jwt', cryptographic_binding_methods_supported: ['jwk'] });
    const wallet = await newWallet();
    const proof = await proofFor(wallet, offer.credential_issuer, await nonceFrom(metadata));
    const { status, body } = await requestCredential(
      metadata,
      token.access_token,
      proof,
      'eu-microcredential',
    );
    expect(status).toBe(200);
    const sdJwt = body.credentials[0].credential as string;
    const [jwt, ...rest] = sdJwt.split('~');
    const disclosures = rest.filter(Boolean);

    // The issuer's keys from its JWT VC Issuer Metadata (independent of the product: jose only).
    const issuerUrl = new URL(offer.credential_issuer);
    const jwtVcIssuer = (await (
      await fetch(`${issuerUrl.origin}/.well-known/jwt-vc-issuer${issuerUrl.pathname}`)
    ).json()) as any;
    expect(jwtVcIssuer.issuer).toBe(offer.credential_issuer);
    const { payload, protectedHeader } = await jwtVerify(jwt!, createLocalJWKSet(jwtVcIssuer.jwks), {
      typ: 'dc+sd-jwt',
      issuer: offer.credential_issuer,
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect((payload.cnf as any).jwk).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      x: wallet.jwk.x,
      y: wallet.jwk.y,
    });
    // The 11 elements in clear; the names only as disclosures whose digests the signed payload lists.
    expect(payload).toMatchObject({
      title: expect.objectContaining({ en: expect.any(String) }),
      awarding_body: expect.objectContaining({ country: expect.any(String) }),
      date_of_issue: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      learning_outcomes: expect.any(Array),
      assessment_type: expect.any(String),
    });
    expect(payload.name).toBeUndefined();
    const revealed = Object.fromEntries(
      disclosures.map((d) => {
        expect(payload._sd).toContain(createHash('sha256').update(d).digest('base64url'));
        const [, name, value] = JSON.parse(Buffer.from(d, 'base64url').toString()) as [
          string,
          string,
          unknown,
        ];
        return [name, value];
      }),
    );
    expect(revealed).toMatchObject({ name: 'Bruno Barros', given_name: 'Ana', family_name: 'Andrade' });
    // A changed disclosure is not one the issuer signed.
    const forged = Buffer.from(JSON.stringify(['salt', 'name', 'Eve'])).toString('base64url');
    expect(payload._sd).not.toContain(createHash('sha256').update(forged).digest('base64url'));

    // Key binding: the wallet presents one name with a KB-JWT over the presentation, made by hand with jose, and an
    // independent SD-JWT VC library (@sd-jwt/sd-jwt-vc as a verifier) checks the issuer's signature, the digests,
    // the KB-JWT against cnf and the status list; a KB-JWT by another key than cnf's is refused.
    const issuerKeys = createLocalJWKSet(jwtVcIssuer.jwks);
    const sdVerifier = new SDJwtVcInstance({
      hasher: digest,
      verifier: async (data, sig) =>
        compactVerify(`${data}.${sig}`, issuerKeys).then(
          () => true,
          () => false,
        ),
      kbVerifier: async (data, sig, kbPayload) =>
        compactVerify(
          `${data}.${sig}`,
          await importJWK(((kbPayload as any).cnf as { jwk: JWK }).jwk, 'ES256'),
        ).then(
          () => true,
          () => false,
        ),
    });
    const givenName = disclosures.find(
      (d) => JSON.parse(Buffer.from(d, 'base64url').toString())[1] === 'given_name',
    )!;
    const present = async (signer: PrivateKey) => {
      const presented = `${jwt}~${givenName}~`;
      const kb = await new SignJWT({
        nonce: 'verifier-nonce',
        sd_hash: createHash('sha256').update(presented).digest('base64url'),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' })
        .setIssuedAt()
        .setAudience('https://verifier.example')
        .sign(signer);
      return presented + kb;
    };
    const verified = await sdVerifier.verify(await present(wallet.key), {
      keyBindingNonce: 'verifier-nonce',
      requiredClaimKeys: ['given_name'],
    });
    expect(verified.payload).toMatchObject({ given_name: 'Ana', vct: payload.vct });
    expect((verified.payload as any).name).toBeUndefined();
    expect(verified.kb?.payload).toMatchObject({ aud: 'https://verifier.example', nonce: 'verifier-nonce' });
    const stranger = await newWallet();
    await expect(
      sdVerifier.verify(await present(stranger.key), { keyBindingNonce: 'verifier-nonce' }),
    ).rejects.toThrow();

    // Type metadata at the vct, extending the EU micro-credential type whose claims it labels.
    const type = (await (await fetch(payload.vct as string)).json()) as any;
    expect(type).toMatchObject({ vct: payload.vct, extends: config.vct });
    expect(type.display.map((d: any) => d.locale)).toContain('en');
    // Its state in an IETF Token Status List signed by the same issuer: valid, then invalid once revoked.
    const statusOf = async () => {
      const { idx, uri } = (payload.status as any).status_list as { idx: number; uri: string };
      const res = await fetch(uri);
      const text = await res.text();
      expect({
        status: res.status,
        type: res.headers.get('content-type'),
        text: res.ok ? '' : text,
      }).toMatchObject({
        status: 200,
        type: expect.stringMatching(/^application\/statuslist\+jwt/),
        text: '',
      });
      const { payload: list } = await jwtVerify(text, createLocalJWKSet(jwtVcIssuer.jwks), {
        typ: 'statuslist+jwt',
        subject: uri,
      });
      const { bits, lst } = list.status_list as { bits: number; lst: string };
      expect(bits).toBe(2);
      const bytes = inflateSync(Buffer.from(lst, 'base64url'));
      return (bytes[idx >> 2]! >> ((idx & 3) * 2)) & 0b11;
    };
    expect(await statusOf()).toBe(0);
    expect(await revokeThroughApi(tool, issued.get('wallet-b')!._id)).toBe(200);
    expect(await statusOf()).toBe(1);
    // The independent verifier reads the same list and now refuses the presentation.
    await expect(
      sdVerifier.verify(await present(wallet.key), { keyBindingNonce: 'verifier-nonce' }),
    ).rejects.toThrow(/status/i);

    const generic = (await (await fetch(config.vct)).json()) as any;
    expect(generic.claims).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: ['name'], sd: 'always' })]),
    );
  }, 60_000);
});
