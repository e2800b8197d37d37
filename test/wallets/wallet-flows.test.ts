/* eslint-disable @typescript-eslint/no-explicit-any -- protocol answers are read as JSON */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import { createLocalJWKSet, decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { Types } from 'mongoose';
import type { StoredCredential } from '../../src/credentials/credential-store.js';
import { AuditEvent } from '../../src/db/models/audit-event.js';
import { learnerLinkKey, learnerPageUrl } from '../../src/issuance/links.js';
import { createTestSeal } from '../../src/seals/seals.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { hashToken, randomToken } from '../../src/web/cookies.js';
import { LaunchSession, SESSION_COOKIES } from '../../src/web/sessions.js';
import { createTestInstitution, publishExampleTemplate } from '../helpers/institution.js';
import { bindCourse, issueThroughWorker } from '../helpers/issuing.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { Browser, type Page } from '../simulator/browser.js';
import {
  answerConsent,
  contextLoader,
  credentialRequest,
  didAuthentication,
  json,
  keyProof,
  pkce,
  unescapeHtml,
  tokenByCode as redeemCode,
} from '../helpers/wallet.js';

/**
 * The other ways into a wallet, through real HTTP as a wallet and a learner's browser do them, with jose, the
 * Digital Bazaar VC libraries and jsQR, nothing of the product's code: the authorization code flow (a pushed
 * request with PKCE, the learner signing in by the link of their e-mail and choosing the credential, the code
 * for a token), the VC API exchange of the Learner Credential Wallet (DID authentication, the badge bound to that
 * DID), and the SD-JWT VC signed by the institution's seal (x5c). Then what each must refuse.
 */
let tool: ToolUnderTest;
let issued: Map<string, StoredCredential>;
let kek: Buffer;
let institutionId: string;
let issuerId: string;
const REDIRECT = 'https://wallet.example/callback';
const CLIENT = 'test-wallet';
const BADGE = 'https://badges.example/data-analysis.png';

beforeAll(async () => {
  tool = await startTool({ ISSUE_BACKOFF_MS: '200' });
  kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  const made = await createTestInstitution(tool);
  institutionId = made.institutionId;
  issuerId = made.issuer._id;
  const key = await publishExampleTemplate(institutionId, { badgeImage: { url: BADGE } });
  await tool.startWorker();
  issued = await issueThroughWorker(tool, await bindCourse(institutionId, issuerId, key), [
    { id: 'flow-a', name: 'Carla Costa', email: 'carla.costa@example.org' },
    { id: 'flow-b', name: 'Duarte Dias' },
  ]);
}, 120_000);

afterAll(async () => {
  await tool?.close();
});

const linkOf = (learnerId: string) =>
  learnerPageUrl(tool.url, learnerLinkKey(kek), `conformance-lms:${learnerId}`, 1);
async function metadata() {
  const issuer = `${tool.url}/wallet/issuers/${issuerId}`;
  const url = new URL(issuer);
  const md = (await (
    await fetch(`${url.origin}/.well-known/openid-credential-issuer${url.pathname}`)
  ).json()) as any;
  const as = (await (
    await fetch(`${md.authorization_servers[0]}/.well-known/oauth-authorization-server`)
  ).json()) as any;
  return { issuer, md, as };
}

const par = async (as: any, params: Record<string, string>) =>
  json(
    await fetch(as.pushed_authorization_request_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    }),
  );

/** A wallet's pushed request, and the learner, by their e-mail link, reaching the consent page. */
async function consentPage(learnerId: string, as: any, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const pushed = await par(as, {
    response_type: 'code',
    client_id: CLIENT,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'wallet-state-1',
    scope: 'eu-microcredential',
    ...extra,
  });
  expect(pushed.status).toBe(201);
  const browser = new Browser();
  const authorize = `${as.authorization_endpoint}?${new URLSearchParams({ client_id: CLIENT, request_uri: pushed.body.request_uri })}`;
  // Not signed in: the page says how; the learner's page, opened by the e-mail link, offers to continue.
  const first = await browser.get(authorize);
  expect(first.status).toBe(401);
  const mine = await browser.get(linkOf(learnerId));
  const resume = /data-wallet-waiting>[\s\S]*?href="([^"]+)"/.exec(mine.body)?.[1];
  expect(resume).toBeDefined();
  const page = await browser.get(new URL(unescapeHtml(resume!), tool.url).toString());
  return { browser, page, verifier, requestUri: pushed.body.request_uri as string };
}

const answer = (browser: Browser, page: Page, fields: Record<string, string>) =>
  answerConsent(tool.url, browser, page, fields);

const tokenByCode = (as: any, params: Record<string, string>) =>
  redeemCode(as.token_endpoint, { client_id: CLIENT, redirect_uri: REDIRECT, ...params });

describe('the authorization code flow (PKCE, pushed requests), the learner signed in by their e-mail link', () => {
  it('gives the credential the learner chose to the wallet that pushed the request', async () => {
    const { issuer, md, as } = await metadata();
    expect(as).toMatchObject({
      require_pushed_authorization_requests: true,
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: expect.arrayContaining(['authorization_code']),
      authorization_response_iss_parameter_supported: true,
    });
    expect(md.credential_configurations_supported['eu-microcredential'].scope).toBe('eu-microcredential');

    const { browser, page, verifier } = await consentPage('flow-a', as, {
      authorization_details: JSON.stringify([
        { type: 'openid_credential', credential_configuration_id: 'eu-microcredential', locations: [issuer] },
      ]),
      scope: '',
    });
    expect(page.status).toBe(200);
    // The page names the wallet and where the browser goes back to, and offers only the learner's own credential.
    expect(page.body).toContain(CLIENT);
    expect(page.body).toContain('wallet.example');
    const offered = [...page.body.matchAll(/name="credential"\s+value="([^"]+)"/g)].map((m) => m[1]);
    expect(offered).toEqual([issued.get('flow-a')!._id]);
    // The page may send the browser on to the wallet (CSP form-action names it), and nowhere else.
    expect(page.headers.get('content-security-policy')).toContain(
      "form-action 'self' https://wallet.example",
    );

    const allowed = await answer(browser, page, { credential: issued.get('flow-a')!._id, decision: 'allow' });
    expect(allowed.status).toBe(303);
    const back = new URL(allowed.location!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('wallet-state-1');
    expect(back.searchParams.get('iss')).toBe(as.issuer);
    const code = back.searchParams.get('code')!;

    const token = await tokenByCode(as, { code, code_verifier: verifier });
    expect(token).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
    const { jwk, proof } = await keyProof(md.nonce_endpoint, issuer);
    const got = await credentialRequest(
      md.credential_endpoint,
      token.body.access_token,
      proof,
      'eu-microcredential',
    );
    expect(got.status).toBe(200);
    const [jwt, ...disclosures] = (got.body.credentials[0].credential as string).split('~');
    const url = new URL(issuer);
    const keys = (await (
      await fetch(`${url.origin}/.well-known/jwt-vc-issuer${url.pathname}`)
    ).json()) as any;
    const { payload } = await jwtVerify(jwt!, createLocalJWKSet(keys.jwks), { typ: 'dc+sd-jwt', issuer });
    expect((payload.cnf as any).jwk).toMatchObject({ x: jwk.x, y: jwk.y });
    expect(payload.credential_url).toBe(`${tool.url}/credentials/${issued.get('flow-a')!._id}`);
    // The e-mail address the LMS gave is personal data like the names: a disclosure, not a plain claim.
    expect(payload.email).toBeUndefined();
    const revealed = disclosures
      .filter(Boolean)
      .map((d) => JSON.parse(Buffer.from(d, 'base64url').toString()) as [string, string, unknown]);
    expect(revealed.find(([, claim]) => claim === 'email')?.[2]).toBe('carla.costa@example.org');

    // The code works once; the learner's choice is audited with the wallet's name, never the code.
    expect(await tokenByCode(as, { code, code_verifier: verifier })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    const events = await AuditEvent.find({ action: 'wallet.authorize' }).lean();
    expect(events.map((e) => e.details)).toEqual([
      expect.objectContaining({ client: CLIENT, destination: 'wallet.example' }),
    ]);
    expect(JSON.stringify(events)).not.toContain(code);
  }, 60_000);

  it('refuses pushed requests that would leak a code or skip PKCE, naming the field', async () => {
    const { as } = await metadata();
    const base = {
      response_type: 'code',
      client_id: CLIENT,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      scope: 'open-badge',
    };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ code_challenge_method: 'plain' }, 'invalid_request', /code_challenge_method/],
      [{ code_challenge: '' }, 'invalid_request', /code_challenge/],
      [{ redirect_uri: 'http://wallet.example/cb' }, 'invalid_request', /redirect_uri: plain http/],
      [{ redirect_uri: 'javascript:alert(1)' }, 'invalid_request', /redirect_uri: the javascript: scheme/],
      [{ redirect_uri: 'https://wallet.example/cb#frag' }, 'invalid_request', /redirect_uri: .*fragment/],
      [{ response_type: 'token' }, 'unsupported_response_type', /response_type/],
      [{ scope: 'openid profile' }, 'invalid_scope', /scope: "profile"/],
      [{ scope: 'open-badge eu-microcredential' }, 'invalid_request', /exactly one/],
      [{ resource: 'https://elsewhere.example/wallet/issuers/x' }, 'invalid_target', /resource/],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'invalid_request', /request/],
    ];
    for (const [change, error, description] of cases) {
      const res = await par(as, { ...base, ...change });
      expect({ change, status: res.status, error: res.body.error }).toEqual({ change, status: 400, error });
      expect(res.body.error_description).toMatch(description);
    }
    // A wallet-app scheme and the wallet's own loopback are fine.
    for (const redirect_uri of ['eudi-openid4ci://authorize', 'http://127.0.0.1:8123/cb'])
      expect((await par(as, { ...base, redirect_uri })).status).toBe(201);
  }, 30_000);

  it('gives a code only to the wallet that proves the PKCE verifier, from its client and redirect URI', async () => {
    const { as } = await metadata();
    for (const [what, change] of [
      ['another verifier', { code_verifier: pkce().verifier }],
      ['another redirect', { redirect_uri: 'https://attacker.example/cb' }],
      ['another client', { client_id: 'attacker-wallet' }],
    ] as const) {
      const { browser, page, verifier } = await consentPage('flow-b', as);
      const { location } = await answer(browser, page, {
        credential: issued.get('flow-b')!._id,
        decision: 'allow',
      });
      const code = new URL(location!).searchParams.get('code')!;
      const res = await tokenByCode(as, { code, ...{ code_verifier: verifier }, ...change });
      expect({ what, status: res.status, error: res.body.error }).toEqual({
        what,
        status: 400,
        error: 'invalid_grant',
      });
      // The failed attempt spent the code: the real wallet cannot use it after an attacker tried.
      expect((await tokenByCode(as, { code, code_verifier: verifier })).status).toBe(400);
    }
  }, 60_000);

  it('lets the learner decline, and never grants another learner’s credential or a form without its token', async () => {
    const { as } = await metadata();
    // Learner B choosing learner A's credential by its id: refused, no redirect, nothing granted.
    const stolen = await consentPage('flow-b', as);
    const refused = await answer(stolen.browser, stolen.page, {
      credential: issued.get('flow-a')!._id,
      decision: 'allow',
    });
    expect({ status: refused.status, location: refused.location }).toEqual({ status: 400, location: null });
    // A cross-site form without the page's CSRF token.
    const forged = await answer(stolen.browser, stolen.page, { _csrf: 'forged', decision: 'allow' });
    expect(forged.status).toBe(403);
    // The request_uri under another client_id is no request at all.
    const other = await stolen.browser.get(
      `${as.authorization_endpoint}?${new URLSearchParams({ client_id: 'attacker-wallet', request_uri: stolen.requestUri })}`,
    );
    expect(other.status).toBe(400);
    // Declined: the wallet hears access_denied with its state, and the request is spent.
    const declined = await answer(stolen.browser, stolen.page, { decision: 'deny' });
    expect(declined.status).toBe(303);
    const back = new URL(declined.location!);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('wallet-state-1');
    expect(back.searchParams.get('code')).toBeNull();
    const again = await answer(stolen.browser, stolen.page, {
      credential: issued.get('flow-b')!._id,
      decision: 'allow',
    });
    expect({ status: again.status, location: again.location }).toEqual({ status: 400, location: null });
  }, 60_000);
});

/** The text a QR code on the page holds, decoded from its PNG. */
function qrText(dataUrl: string): string | undefined {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsQR.default(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

describe('the VC API exchange of the Learner Credential Wallet', () => {
  /** Contexts from the libraries, and did:web documents fetched as did:web says (http on loopback). */
  const walletLoader = async (url: string) => {
    if (!url.startsWith('did:web:')) return contextLoader(url);
    const [did, fragment] = url.split('#') as [string, string | undefined];
    const [, , host, ...path] = did.split(':');
    const at = `http://${decodeURIComponent(host!)}${path.length ? `/${path.map(decodeURIComponent).join('/')}/did.json` : '/.well-known/did.json'}`;
    const doc = (await (await fetch(at)).json()) as any;
    const document = fragment
      ? { '@context': doc['@context'], ...doc.verificationMethod.find((m: any) => m.id === url) }
      : doc;
    return { contextUrl: null, documentUrl: url, document };
  };

  async function exchangeFromOfferPage(learnerId: string) {
    const page = await (await fetch(linkOf(learnerId))).text();
    const href = unescapeHtml(/href="([^"]+)" data-wallet-offer="badge"/.exec(page)![1]!);
    const offerPage = await (await fetch(new URL(href, tool.url))).text();
    const section = /<section[^>]*data-vc-api[\s\S]*?<\/section>/.exec(offerPage)![0];
    const interaction = qrText(/class="qr"\s+src="([^"]+)"/.exec(section)![1]!);
    const appLink = new URL(unescapeHtml(/href="([^"]+)" data-lcw-link/.exec(section)![1]!));
    return { interaction, appLink };
  }

  const didAuth = (exchange: string, sign: { challenge?: string; domain?: string } = {}) =>
    didAuthentication(exchange, { sign });

  it('asks the wallet to authenticate its DID, and gives the badge bound to it, once', async () => {
    const { interaction, appLink } = await exchangeFromOfferPage('flow-a');
    // The QR code holds the interaction URL; the app link opens the wallet with the same VC API request.
    expect(interaction).toMatch(/\/wallet\/interactions\/[A-Za-z0-9_-]+\?iuv=1$/);
    expect(`${appLink.origin}${appLink.pathname}`).toBe('https://lcw.app/request');
    const request = JSON.parse(appLink.searchParams.get('request')!);
    const protocols = (await json(await fetch(interaction!, { headers: { accept: 'application/json' } })))
      .body.protocols;
    expect(protocols.vcapi).toBe(request.protocols.vcapi);

    const { vpr, did, signed } = await didAuth(protocols.vcapi);
    expect(vpr.query[0]).toMatchObject({ type: 'DIDAuthentication', acceptedMethods: [{ method: 'key' }] });
    expect(vpr.challenge).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const delivered = await json(
      await fetch(protocols.vcapi, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verifiablePresentation: signed }),
      }),
    );
    expect(delivered.status).toBe(200);
    const badge = delivered.body.verifiablePresentation.verifiableCredential[0];
    expect(badge.credentialSubject.id).toBe(did);
    expect(badge.id).toBe(issued.get('flow-a')!.ob3.id);
    const verdict = (
      await json(
        await fetch(`${tool.url}/credentials/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ verifiableCredential: badge }),
        }),
      )
    ).body;
    expect(verdict).toMatchObject({ verified: true });
    // And by the wallet's own means: its issuer's did:web document over HTTP, the Data Integrity proof checked by
    // the Digital Bazaar libraries (the status is the installation's business, tested with the SD-JWT VC's list).
    const checked = await vc.verifyCredential({
      credential: badge,
      suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }),
      documentLoader: walletLoader,
      checkStatus: async () => ({ verified: true }),
    });
    expect({ verified: checked.verified, error: (checked.error as Error | undefined)?.message }).toEqual({
      verified: true,
      error: undefined,
    });
    const tampered = structuredClone(badge);
    tampered.credentialSubject.id = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
    expect(
      (
        await vc.verifyCredential({
          credential: tampered,
          suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }),
          documentLoader: walletLoader,
          checkStatus: async () => ({ verified: true }),
        })
      ).verified,
    ).toBe(false);
    // Done: the interaction and the exchange are gone.
    expect((await fetch(interaction!)).status).toBe(404);
    expect(
      (
        await fetch(protocols.vcapi, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ verifiablePresentation: signed }),
        })
      ).status,
    ).toBe(404);
  }, 60_000);

  it('refuses a presentation for another challenge, unsigned, or signed by another DID than its holder', async () => {
    const { interaction } = await exchangeFromOfferPage('flow-b');
    const vcapi = (await json(await fetch(interaction!))).body.protocols.vcapi as string;
    const post = (vp: unknown) =>
      fetch(vcapi, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verifiablePresentation: vp }),
      }).then(json);
    const replay = await didAuth(vcapi, { challenge: 'an-earlier-challenge' });
    expect(await post(replay.signed)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const { proof: _proof, ...unsigned } = (await didAuth(vcapi)).signed;
    expect((await post(unsigned)).body.error_description).toMatch(/verifiablePresentation/);
    const other = await didAuth(vcapi);
    const impostor = { ...other.signed, holder: (await didAuth(vcapi)).did };
    expect((await post(impostor)).status).toBe(400);
    // Still open for the right wallet after the refusals.
    expect((await post((await didAuth(vcapi)).signed)).status).toBe(200);
  }, 60_000);
});

describe('the SD-JWT VC of an institution with a seal', () => {
  it('is signed by the seal, its certificate chain as x5c, and the metadata says which algorithm', async () => {
    await createTestSeal(institutionId, 'Demo University', kek);
    const { issuer, md, as } = await metadata();
    expect(
      md.credential_configurations_supported['eu-microcredential'].credential_signing_alg_values_supported,
    ).toEqual(['ES256']);
    const { browser, page, verifier } = await consentPage('flow-b', as);
    const { location } = await answer(browser, page, {
      credential: issued.get('flow-b')!._id,
      decision: 'allow',
    });
    const token = await tokenByCode(as, {
      code: new URL(location!).searchParams.get('code')!,
      code_verifier: verifier,
    });
    const { proof } = await keyProof(md.nonce_endpoint, issuer);
    const got = await credentialRequest(
      md.credential_endpoint,
      token.body.access_token,
      proof,
      'eu-microcredential',
    );
    const [jwt] = (got.body.credentials[0].credential as string).split('~');
    const header = decodeProtectedHeader(jwt!);
    expect(header).toMatchObject({ typ: 'dc+sd-jwt', alg: 'ES256' });
    expect(header.kid).toBeUndefined();
    const leaf = new X509Certificate(Buffer.from(header.x5c![0]!, 'base64'));
    expect(leaf.subject).toMatch(/test seal/i);
    const { payload } = await jwtVerify(jwt!, await importX509(leaf.toString(), 'ES256'), { issuer });
    // Its type metadata: the template's name in each language, with the badge image as the card's logo.
    const type = (await (await fetch(payload.vct as string)).json()) as any;
    expect(type.display[0]).toMatchObject({ rendering: { simple: { logo: { uri: BADGE } } } });
  }, 60_000);
});

describe('an offer in the learner’s language', () => {
  it('describes the transaction code to the wallet in the language of the learner’s page', async () => {
    const page = await (await fetch(linkOf('flow-b'))).text();
    const href = unescapeHtml(/href="([^"]+)" data-wallet-offer="eu"/.exec(page)![1]!);
    const offerPage = await (await fetch(new URL(`${href}&lang=de`, tool.url))).text();
    const offerUri = unescapeHtml(/href="(openid-credential-offer:[^"]+)"/.exec(offerPage)![1]!);
    const offer = (await (
      await fetch(new URL(offerUri).searchParams.get('credential_offer_uri')!)
    ).json()) as any;
    const german = JSON.parse(readFileSync('src/i18n/catalogs/de.json', 'utf8'))['wallet.txCodeDescription'];
    expect(german).toMatch(/QR-Code/);
    expect(offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'].tx_code.description).toBe(
      german,
    );
  }, 30_000);
});

describe('an offer through the launch session', () => {
  it('is no offer for a learner of another LMS with the same user id', async () => {
    const token = randomToken();
    await LaunchSession.create({
      tokenHash: hashToken(token),
      institutionId,
      platformId: new Types.ObjectId(),
      deploymentId: 'd1',
      userId: 'flow-a', // the same id as the owner, on another platform
      role: 'learner',
      csrfToken: randomToken(),
      expiresAt: new Date(Date.now() + 600_000),
    });
    const res = await fetch(
      `${tool.url}/lti/me/wallet-offer?${new URLSearchParams({ credential: issued.get('flow-a')!._id, kind: 'eu' })}`,
      { headers: { cookie: `${SESSION_COOKIES.launch}=${token}` } },
    );
    const body = await res.text();
    expect(res.status).toBe(404);
    expect(body).not.toContain('openid-credential-offer://');
  }, 30_000);
});
