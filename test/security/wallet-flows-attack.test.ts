/* eslint-disable @typescript-eslint/no-explicit-any -- protocol answers are read as JSON */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import * as vc from '@digitalbazaar/vc';
import { decodeProtectedHeader } from 'jose';
import { Types } from 'mongoose';
import { Credential } from '../../src/credentials/credential-model.js';
import type { StoredCredential } from '../../src/credentials/credential-store.js';
import { AuditEvent } from '../../src/db/models/audit-event.js';
import { learnerLinkKey, learnerPageUrl } from '../../src/issuance/links.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestSeal } from '../../src/seals/seals.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { hashToken, randomToken } from '../../src/web/cookies.js';
import { LaunchSession, SESSION_COOKIES } from '../../src/web/sessions.js';
import { WalletAuthorization } from '../../src/wallets/wallet-models.js';
import { createTestInstitution, publishExampleTemplate } from '../helpers/institution.js';
import { bindCourse, issueThroughWorker } from '../helpers/issuing.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { Browser, type Page } from '../simulator/browser.js';
import {
  answerConsent,
  contextLoader,
  cookieHeader,
  credentialRequest,
  didAuthentication,
  didKey,
  hiddenFields,
  keyProof,
  pkce,
  postExchange,
  unescapeHtml,
  tokenByCode as redeemCode,
} from '../helpers/wallet.js';

/**
 * The wallet flows beyond the pre-authorized code attacked from outside, over real HTTP, as a hostile wallet app,
 * a hostile web site and a victim learner's browser would: the authorization code flow (pushed requests,
 * redirect_uri tricks, the consent page's CSP, framing, CSRF and the pending-request cookie, races on the answer
 * and on the code, cross-issuer codes), the VC API exchange (replayed and hijacked presentations, races, SSRF,
 * expensive JSON-LD), the seal-signed SD-JWT VC, and what the logs and the audit keep. Each test asserts the secure
 * behaviour: "held: ..." passed when written; "fixed: ..." failed until the weakness it names was fixed.
 */
const logLines: string[] = [];
let tool: ToolUnderTest;
let issued: Map<string, StoredCredential>;
let kek: Buffer;
let issuerA: string;
let issuerB: string;
let institutionB: string;
const REDIRECT = 'https://wallet.example/callback';
const CLIENT = 'test-wallet';
const ATTACKER_REDIRECT = 'https://attacker.example/cb';
const PENDING_COOKIE = 'credbridge_wallet_request';
const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

beforeAll(async () => {
  tool = await startTool(
    // Above the default budget, so that the suite's own bursts from 127.0.0.1 are not throttled.
    { ISSUE_BACKOFF_MS: '200', RATE_LIMIT_VC_API_PER_MINUTE: '5000' },
    { logger: createLogger('web', 'info', { write: (line: string) => void logLines.push(line) }) },
  );
  kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  const a = await createTestInstitution(tool);
  issuerA = a.issuer._id;
  const b = await createTestInstitution(tool, { id: 'other-university', rootDid: false });
  issuerB = b.issuer._id;
  institutionB = b.institutionId;
  const key = await publishExampleTemplate(a.institutionId);
  await tool.startWorker();
  issued = await issueThroughWorker(tool, await bindCourse(a.institutionId, issuerA, key), [
    { id: 'wf-a', name: 'Alice Almeida' },
    { id: 'wf-b', name: 'Bruno Borges' },
    { id: 'wf-v', name: 'Vera Vitima' },
  ]);
}, 180_000);

afterAll(async () => {
  await tool?.close();
});

// ---------------------------------------------------------------------------------------------------------------
// Helpers: a wallet (PAR, PKCE, token, key proof), a learner's browser (e-mail link or launch session).

const tokenOf = (learnerId: string) =>
  new URL(learnerPageUrl(tool.url, learnerLinkKey(kek), `conformance-lms:${learnerId}`, 1)).searchParams.get(
    't',
  )!;
const linkOf = (learnerId: string) =>
  learnerPageUrl(tool.url, learnerLinkKey(kek), `conformance-lms:${learnerId}`, 1);
const issuerUrl = (id: string) => `${tool.url}/wallet/issuers/${id}`;

const parRaw = (body: string | URLSearchParams) =>
  fetch(`${tool.url}/wallet/par`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  }).then(async (r) => ({ status: r.status, text: await r.text() }));

/** A pushed request as a wallet makes it; `change` replaces or (undefined) removes fields. */
async function par(change: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = pkce();
  const fields: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENT,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'wallet-state',
    scope: 'eu-microcredential',
    ...change,
  };
  const params = new URLSearchParams(
    Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const res = await parRaw(params);
  const body = (() => {
    try {
      return JSON.parse(res.text) as any;
    } catch {
      return {};
    }
  })();
  return {
    status: res.status,
    body,
    verifier,
    clientId: fields.client_id!,
    redirectUri: fields.redirect_uri!,
    requestUri: body.request_uri as string,
  };
}

const authorizeUrl = (clientId: string, requestUri: string, t?: string) =>
  `${tool.url}/wallet/authorize?${new URLSearchParams({
    client_id: clientId,
    request_uri: requestUri,
    ...(t ? { t } : {}),
  })}`;

const answer = (browser: Browser, page: Page, fields: Record<string, string>) =>
  answerConsent(tool.url, browser, page, fields);

/** A wallet's request and the learner's consent page, the learner signed in by their e-mail link. */
async function consent(learnerId: string, change: Record<string, string | undefined> = {}) {
  const pushed = await par(change);
  expect(pushed.status).toBe(201);
  const browser = new Browser();
  const page = await browser.get(authorizeUrl(pushed.clientId, pushed.requestUri, tokenOf(learnerId)));
  return { ...pushed, browser, page };
}

const tokenByCode = (params: Record<string, string>) =>
  redeemCode(`${tool.url}/wallet/token`, { client_id: CLIENT, redirect_uri: REDIRECT, ...params });

const walletProof = async (issuer: string) => (await keyProof(`${tool.url}/wallet/nonce`, issuer)).proof;

const requestCredential = (issuerId: string, accessToken: string, proof: string, configuration: string) =>
  credentialRequest(`${issuerUrl(issuerId)}/credential`, accessToken, proof, configuration);

/** A granted code of learner A's credential, and its verifier. */
async function grantedCode(learnerId = 'wf-a', change: Record<string, string | undefined> = {}) {
  const c = await consent(learnerId, change);
  const allowed = await answer(c.browser, c.page, {
    credential: issued.get(learnerId)!._id,
    decision: 'allow',
  });
  expect(allowed.status).toBe(303);
  const back = new URL(allowed.location!);
  return {
    ...c,
    location: allowed.location!,
    code: back.searchParams.get('code')!,
    state: back.searchParams,
  };
}

/** A launch session of a learner of another platform, who owns `credentialId` under that platform. */
async function launchSessionOwning(credentialId: string, userId: string) {
  const platformId = new Types.ObjectId();
  const token = randomToken();
  await LaunchSession.create({
    tokenHash: hashToken(token),
    institutionId: 'demo-university',
    platformId,
    deploymentId: 'd1',
    userId,
    role: 'learner',
    csrfToken: randomToken(),
    expiresAt: new Date(Date.now() + 600_000),
  });
  await Credential.updateOne(
    { _id: credentialId },
    { $set: { learnerRef: `${String(platformId)}:${userId}` } },
  );
  return `${SESSION_COOKIES.launch}=${token}`;
}

/** The stored row of a pushed request (its id is the SHA-256 of the request_uri's random part). */
const storedRequest = (requestUri: string) =>
  WalletAuthorization.findById(
    createHash('sha256').update(requestUri.slice(REQUEST_URI_PREFIX.length)).digest('base64url'),
  ).lean();

/** The directives of a CSP header, by name, as a browser reads them (first occurrence wins). */
function cspDirectives(header: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const policy of (header ?? '').split(',').slice(0, 1))
    for (const part of policy.split(';')) {
      const [name, ...values] = part.trim().split(/[\t\n\f\r ]+/);
      if (name && !out.has(name.toLowerCase())) out.set(name.toLowerCase(), values);
    }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The VC API exchange: a wallet authenticating a did:key.

/** A fresh exchange of the learner's badge, made by their offer page; its exchange (VC API) URL. */
async function exchangeOf(learnerId: string): Promise<{ vcapi: string; id: string; interaction: string }> {
  const page = await (await fetch(linkOf(learnerId))).text();
  const href = unescapeHtml(/href="([^"]+)" data-wallet-offer="badge"/.exec(page)![1]!);
  const offerPage = await (await fetch(new URL(href, tool.url))).text();
  const section = /<section[^>]*data-vc-api[\s\S]*?<\/section>/.exec(offerPage)![0];
  const appLink = new URL(unescapeHtml(/href="([^"]+)" data-lcw-link/.exec(section)![1]!));
  const vcapi = (JSON.parse(appLink.searchParams.get('request')!) as any).protocols.vcapi as string;
  const id = vcapi.split('/').at(-1)!;
  return { vcapi, id, interaction: `${tool.url}/wallet/interactions/${id}?iuv=1` };
}

const didAuth = (
  vcapi: string,
  options: { extra?: Record<string, unknown>; signer?: Awaited<ReturnType<typeof didKey>> } = {},
) => didAuthentication(vcapi, options);

// ---------------------------------------------------------------------------------------------------------------

describe('the authorization code flow attacked', () => {
  it('held: redirect_uri tricks (uppercase, whitespace, control characters, data:, blob:, non-loopback http, long) are refused', async () => {
    const refused = [
      'JAVASCRIPT:alert(document.domain)//',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      '\u0000javascript:alert(1)',
      'jAvAsCrIpT:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'vbscript:msgbox(1)',
      'blob:https://wallet.example/uuid',
      'file:///etc/passwd',
      'http://attacker.example/cb',
      'http://localhost.attacker.example/cb',
      'http://localhost@attacker.example/cb',
      'http://127.0.0.1.nip.io/cb',
      'http://[::ffff:127.0.0.1]@attacker.example/',
      'https://wallet.example/cb#',
      'https://wallet.example/cb%23x#y',
      '//attacker.example/cb',
      '/relative',
      `https://wallet.example/${'a'.repeat(1000)}`,
      'ws://127.0.0.1/cb',
      'about:blank',
    ];
    const accepted: string[] = [];
    for (const redirect_uri of refused) {
      const res = await par({ redirect_uri });
      if (res.status !== 400) accepted.push(redirect_uri);
    }
    expect(accepted).toEqual([]);
  }, 30_000);

  it('held: a redirect_uri with userinfo, backslashes or an IDN host: the page names the host the browser is sent to', async () => {
    const tricks = [
      'https://wallet.example@attacker.example/cb',
      'https://wallet.example%40attacker.example/cb',
      'https://wallet.example\\@attacker.example/cb',
      'https://attacker.example\\.wallet.example/cb',
      'https://wallet.example:443@attacker.example/cb',
      'https://wаllet.example/cb', // Cyrillic а: a homograph
      'HTTPS://ATTACKER.EXAMPLE/cb',
    ];
    const lies: unknown[] = [];
    for (const redirect_uri of tricks) {
      const pushed = await par({ redirect_uri });
      if (pushed.status !== 201) continue; // refused: nothing to lie about
      const browser = new Browser();
      const page = await browser.get(authorizeUrl(CLIENT, pushed.requestUri, tokenOf('wf-b')));
      const intro = /<section class="card"[\s\S]*?<\/p>\s*<p>/.exec(page.body)?.[0] ?? '';
      const answered = await answer(browser, page, { decision: 'deny' });
      const went = new URL(answered.location!);
      // The learner must have been shown the host the answer goes to, as the browser will read it (punycode).
      if (!intro.includes(went.host) || /[^\x20-\x7e]/.test(went.host))
        lies.push({ redirect_uri, went: went.host, intro });
    }
    expect(lies).toEqual([]);
  }, 30_000);

  it('fixed: a pushed request may name an OS protocol handler (search-ms:, ms-msdt:, smb:, ms-officecmd:) as redirect_uri', async () => {
    // No client is registered: anyone may push a request. A learner who clicks Allow, or Decline, on the
    // institution's own page is then sent by it to whatever handler the request named, with arguments of the
    // attacker's choosing (search-ms: and smb: reach a remote share from Windows Explorer).
    const handlers = [
      'search-ms:query=credential&crumb=location:%5C%5Cattacker.example%5Cshare',
      'ms-msdt:/id%20PCWDiagnostic%20/skip%20force',
      'smb://attacker.example/share/credential.lnk',
      'ms-officecmd:%7B%22id%22:3%7D',
      'ms-appinstaller:?source=https://attacker.example/x.msix',
    ];
    const accepted: string[] = [];
    for (const redirect_uri of handlers)
      if ((await par({ redirect_uri })).status === 201) accepted.push(redirect_uri);
    expect(accepted).toEqual([]);
  }, 30_000);

  it('fixed: a redirect_uri host with ";" or "*" is written into the consent page CSP (directive injection, form-action *)', async () => {
    const injected: unknown[] = [];
    for (const redirect_uri of [
      'https://x;sandbox/cb',
      'https://x;frame-ancestors/cb',
      'https://*/cb',
      'https://%2A/cb',
      'https://wallet.example,script-src/cb',
    ]) {
      const pushed = await par({ redirect_uri });
      if (pushed.status !== 201) continue; // refused at the door: held
      const page = await new Browser().get(authorizeUrl(CLIENT, pushed.requestUri, tokenOf('wf-b')));
      const header = page.headers.get('content-security-policy') ?? '';
      const directives = cspDirectives(header);
      const formAction = directives.get('form-action') ?? [];
      // Exactly the page's own directives, one policy, and form-action naming our origin and one wallet origin.
      const names = [...directives.keys()].sort();
      const expected = [
        'base-uri',
        'connect-src',
        'default-src',
        'form-action',
        'frame-ancestors',
        'img-src',
        'script-src',
        'style-src',
      ];
      if (
        header.includes(',') ||
        JSON.stringify(names) !== JSON.stringify(expected) ||
        formAction.some((s) => s.includes('*') || s.includes(';'))
      )
        injected.push({ redirect_uri, csp: header });
    }
    expect(injected).toEqual([]);
  }, 30_000);

  it('held: markup in client_id and state is escaped on the consent page, which runs no inline script', async () => {
    const xss = '"><img/src=x/onerror=alert(1)><script>alert(1)</script>';
    const { page } = await consent('wf-a', { client_id: xss, state: `${xss}</p>` });
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).not.toContain('<img/src=x');
    expect(page.body).toContain('&lt;script&gt;');
    expect(cspDirectives(page.headers.get('content-security-policy')).get('script-src')).toEqual(["'self'"]);
  }, 30_000);

  it('held: CR/LF and cookie syntax in state, client_id or redirect_uri split neither the redirect nor the pending-request cookie', async () => {
    const evil = 'x\r\nSet-Cookie: credbridge_lti=planted\r\nX-Injected: 1';
    const c = await consent('wf-a', {
      state: evil,
      redirect_uri: `${REDIRECT}?next=%0d%0aX-Injected:%201`,
    });
    const denied = await fetch(`${tool.url}/wallet/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(c.browser) },
      body: new URLSearchParams({ ...hiddenFields(c.page), decision: 'deny' }),
    });
    await denied.body?.cancel();
    expect(denied.status).toBe(303);
    expect(denied.headers.get('x-injected')).toBeNull();
    expect(denied.headers.getSetCookie().some((l) => l.startsWith('credbridge_lti='))).toBe(false);
    expect(new URL(denied.headers.get('location')!).searchParams.get('state')).toBe(evil);
    // The pending-request cookie of a client_id full of cookie syntax stays one cookie, with its own attributes.
    const pushed = await par({ client_id: 'w;Domain=attacker.example;Path=/;Max-Age=99999999,x=1"' });
    expect(pushed.status).toBe(201);
    const signIn = await fetch(authorizeUrl(pushed.clientId, pushed.requestUri), {
      headers: { 'sec-fetch-dest': 'document' }, // the learner opening it
    });
    await signIn.body?.cancel();
    const cookies = signIn.headers.getSetCookie().filter((l) => l.startsWith(`${PENDING_COOKIE}=`));
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).not.toMatch(/domain=attacker/i);
    expect(cookies[0]).not.toMatch(/max-age=99999999/i);
  }, 30_000);

  it('held: the consent page (and its sign-in variant) cannot be framed cross-site, is not cached, sends no referrer', async () => {
    const c = await consent('wf-a');
    const signIn = await new Browser().get(authorizeUrl(CLIENT, c.requestUri));
    expect(signIn.status).toBe(401);
    // In the LMS iframe, by a launch session whose LMS may frame the learner's page: still ours only.
    const session = await launchSessionOwning(issued.get('wf-v')!._id, 'frame-victim');
    const framed = await fetch(authorizeUrl(CLIENT, c.requestUri), { headers: { cookie: session } });
    for (const res of [c.page, signIn, { headers: framed.headers }]) {
      expect(cspDirectives(res.headers.get('content-security-policy')).get('frame-ancestors')).toEqual([
        "'self'",
      ]);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    await framed.body?.cancel();
  }, 30_000);

  it('held: a cross-site form in the victim’s browser (launch cookie sent, CSRF cookie not) grants nothing to the attacker', async () => {
    const victim = await launchSessionOwning(issued.get('wf-v')!._id, 'csrf-victim');
    // The attacker pushes their own request and reads a CSRF token from a consent page in their own browser.
    const attacker = await consent('wf-b', { redirect_uri: ATTACKER_REDIRECT });
    const ownToken = hiddenFields(attacker.page)._csrf!;
    const forged: Record<string, string>[] = [
      { _csrf: ownToken },
      { _csrf: '' },
      {},
      { _csrf: ownToken, t: tokenOf('wf-b') }, // login CSRF: the attacker's own identity
    ];
    const results = [];
    for (const extra of forged) {
      const res = await fetch(`${tool.url}/wallet/authorize`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: victim, // SameSite=None: a cross-site form carries it; the Strict CSRF cookie stays behind
          origin: 'https://attacker.example',
          'sec-fetch-site': 'cross-site',
        },
        body: new URLSearchParams({
          client_id: CLIENT,
          request_uri: attacker.requestUri,
          credential: issued.get('wf-v')!._id,
          decision: 'allow',
          ...extra,
        }),
      });
      results.push({ status: res.status, location: res.headers.get('location') });
      await res.body?.cancel();
    }
    expect(results.every((r) => r.location === null && r.status === 403)).toBe(true);
    expect((await storedRequest(attacker.requestUri))?.status).toBe('pending');
  }, 30_000);

  it('held: a link token and a session never mix: a bad token does not fall back to the session, a token cannot take the session’s credential', async () => {
    const session = await launchSessionOwning(issued.get('wf-v')!._id, 'mix-victim');
    const pushed = await par({ redirect_uri: ATTACKER_REDIRECT });
    const browser = new Browser();
    const [name, value] = session.split('=') as [string, string];
    browser.cookies.set(name, value);
    // The session's own page, with the session's credential offered.
    const page = await browser.get(authorizeUrl(CLIENT, pushed.requestUri));
    expect(page.body).toContain(issued.get('wf-v')!._id);
    const outcomes = [];
    for (const t of ['garbage.token', `${tokenOf('wf-b')}x`, tokenOf('wf-b')]) {
      const res = await answer(browser, page, { t, credential: issued.get('wf-v')!._id, decision: 'allow' });
      outcomes.push({ t: t.slice(0, 8), status: res.status, location: res.location });
    }
    expect(outcomes.every((o) => o.location === null && o.status >= 400)).toBe(true);
  }, 30_000);

  it('fixed: a cross-site image load plants a wallet request that the victim’s credentials page then asks them to continue', async () => {
    // The attacker pushes a request whose code comes to them, and makes the victim's browser load its
    // authorization URL as an <img> on any page; minutes later the victim opens their own credentials page.
    const attacker = await par({ client_id: 'EU-Digital-Identity-Wallet', redirect_uri: ATTACKER_REDIRECT });
    expect(attacker.status).toBe(201);
    const victim = new Browser();
    const planted = await fetch(authorizeUrl(attacker.clientId, attacker.requestUri), {
      headers: {
        accept: 'image/avif,image/webp,*/*',
        'sec-fetch-dest': 'image',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-site': 'cross-site',
        referer: 'https://attacker.example/',
      },
    });
    await planted.body?.cancel();
    const setCookie = planted.headers.getSetCookie().find((c) => c.startsWith(`${PENDING_COOKIE}=`));
    // A browser keeps a cookie set by a cross-site subresource only when it is SameSite=None.
    const kept = setCookie !== undefined && /samesite=none/i.test(setCookie);
    if (kept) {
      const [pair] = setCookie.split(';');
      victim.cookies.set(PENDING_COOKIE, pair!.slice(PENDING_COOKIE.length + 1));
    }
    const mine = await victim.get(linkOf('wf-v'));
    const banner = /data-wallet-waiting>[\s\S]*?href="([^"]+)"/.exec(mine.body)?.[1];
    expect({ kept, banner }).toEqual({ kept: false, banner: undefined });
  }, 30_000);

  it('held: request_uri values cannot be guessed, bent, or carried to another client or a POST under another client_id', async () => {
    const c = await consent('wf-a');
    const rid = c.requestUri.slice(REQUEST_URI_PREFIX.length);
    const variants = [
      `urn:ietf:params:oauth:request_uri:${rid.toUpperCase()}`,
      `urn:ietf:params:oauth:request_uri:${rid.slice(0, -1)}`,
      `urn:ietf:params:oauth:request_uri:${createHash('sha256').update(rid).digest('base64url')}`,
      rid,
      `URN:IETF:PARAMS:OAUTH:REQUEST_URI:${rid}`,
      `${c.requestUri} `,
    ];
    const statuses = [];
    for (const request_uri of variants)
      statuses.push((await c.browser.get(authorizeUrl(CLIENT, request_uri, tokenOf('wf-a')))).status);
    expect(statuses.every((s) => s === 400)).toBe(true);
    // The real page's form, posted under another client_id: no answer.
    const other = await answer(c.browser, c.page, {
      client_id: 'attacker-wallet',
      credential: issued.get('wf-a')!._id,
      decision: 'allow',
    });
    expect(other.location).toBeNull();
    // The hashed id in the database is not a request_uri either.
    const stored = createHash('sha256').update(rid).digest('base64url');
    expect(
      (await c.browser.get(authorizeUrl(CLIENT, `urn:ietf:params:oauth:request_uri:${stored}`))).status,
    ).toBe(400);
  }, 30_000);

  it('held: racing answers to one request (allow ×6, deny ×2) give one redirect and at most one code', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const c = await consent('wf-a');
      const decisions = ['allow', 'allow', 'deny', 'allow', 'allow', 'deny', 'allow', 'allow'];
      const answers = await Promise.all(
        decisions.map((decision) =>
          answer(c.browser, c.page, { credential: issued.get('wf-a')!._id, decision }),
        ),
      );
      expect(answers.filter((a) => a.status === 303)).toHaveLength(1);
      expect(answers.filter((a) => a.location?.includes('code=')).length).toBeLessThanOrEqual(1);
      const row = await storedRequest(c.requestUri);
      expect(['granted', 'denied']).toContain(row?.status);
    }
  }, 60_000);

  it('held: racing token requests with one authorization code get one access token', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const g = await grantedCode('wf-a');
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => tokenByCode({ code: g.code, code_verifier: g.verifier })),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    }
  }, 60_000);

  it('held: a code of issuer A’s credential is refused at issuer B, and a request naming issuer B cannot take A’s credential', async () => {
    const g = await grantedCode('wf-a');
    const token = await tokenByCode({ code: g.code, code_verifier: g.verifier });
    expect(token.status).toBe(200);
    const atB = await requestCredential(
      issuerB,
      token.body.access_token,
      await walletProof(issuerUrl(issuerB)),
      'eu-microcredential',
    );
    expect(atB).toMatchObject({ status: 401, body: { error: 'invalid_token' } });

    // The wallet asks for issuer B (mix-up): the page offers none of A's credentials, and a forged choice fails.
    const forB = await consent('wf-a', {
      scope: undefined,
      authorization_details: JSON.stringify([
        {
          type: 'openid_credential',
          credential_configuration_id: 'eu-microcredential',
          locations: [issuerUrl(issuerB)],
        },
      ]),
    });
    expect(forB.page.body).not.toContain(issued.get('wf-a')!._id);
    const forged = await answer(forB.browser, forB.page, {
      credential: issued.get('wf-a')!._id,
      decision: 'allow',
    });
    expect({ status: forged.status, location: forged.location }).toEqual({ status: 400, location: null });
    // Two issuers at once, or an issuer of another installation: refused at the door.
    for (const details of [
      [
        {
          type: 'openid_credential',
          credential_configuration_id: 'eu-microcredential',
          locations: [issuerUrl(issuerA)],
        },
        {
          type: 'openid_credential',
          credential_configuration_id: 'eu-microcredential',
          locations: [issuerUrl(issuerB)],
        },
      ],
      [
        {
          type: 'openid_credential',
          credential_configuration_id: 'eu-microcredential',
          locations: [`https://evil.example/wallet/issuers/${issuerA}`],
        },
      ],
      [
        {
          type: 'openid_credential',
          credential_configuration_id: 'eu-microcredential',
          locations: [`${issuerUrl(issuerA)}/../${issuerB}`],
        },
      ],
    ])
      expect((await par({ scope: undefined, authorization_details: JSON.stringify(details) })).status).toBe(
        400,
      );
    // The resource indicator naming B beside details naming A.
    expect(
      (
        await par({
          scope: undefined,
          resource: issuerUrl(issuerB),
          authorization_details: JSON.stringify([
            {
              type: 'openid_credential',
              credential_configuration_id: 'eu-microcredential',
              locations: [issuerUrl(issuerA)],
            },
          ]),
        })
      ).status,
    ).toBe(400);
  }, 60_000);

  it('held: huge or repeated PAR bodies, many authorization_details and oversized fields are refused cheaply', async () => {
    const base = {
      response_type: 'code',
      client_id: CLIENT,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    };
    const detail = { type: 'openid_credential', credential_configuration_id: 'open-badge' };
    const huge = new URLSearchParams({ ...base, scope: 'open-badge', state: 'x'.repeat(20_000) });
    const repeated = new URLSearchParams(base);
    repeated.append('scope', 'open-badge');
    repeated.append('scope', 'eu-microcredential');
    const manyParams = new URLSearchParams(base);
    for (let i = 0; i < 1500; i++) manyParams.append(`p${i}`, '1');
    const cases: [string, string | URLSearchParams][] = [
      ['20 kB body', huge],
      ['repeated scope', repeated],
      ['1500 parameters', manyParams],
      [
        '5 authorization_details',
        new URLSearchParams({ ...base, authorization_details: JSON.stringify(Array(5).fill(detail)) }),
      ],
      [
        'nested authorization_details',
        new URLSearchParams({
          ...base,
          authorization_details: `${'['.repeat(1900)}${']'.repeat(1900)}`,
        }),
      ],
      ['client_id of 201', new URLSearchParams({ ...base, scope: 'open-badge', client_id: 'c'.repeat(201) })],
      ['client_id with a newline', new URLSearchParams({ ...base, scope: 'open-badge', client_id: 'a\nb' })],
      ['client_id with a NUL', new URLSearchParams({ ...base, scope: 'open-badge', client_id: 'a\u0000b' })],
      ['state of 501', new URLSearchParams({ ...base, scope: 'open-badge', state: 's'.repeat(501) })],
      [
        'authorization_details prototype',
        new URLSearchParams({
          ...base,
          authorization_details:
            '[{"__proto__":{"type":"openid_credential"},"credential_configuration_id":"open-badge"}]',
        }),
      ],
    ];
    const accepted: string[] = [];
    const started = Date.now();
    for (const [what, body] of cases) {
      const res = await parRaw(body);
      if (res.status < 400 || res.status >= 500) accepted.push(`${what}: ${res.status}`);
    }
    expect(accepted).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 30_000);

  it('fixed: the authorization code and the wallet’s state reach the request log (the redirect’s Location header)', async () => {
    const g = await grantedCode('wf-a', { state: 'state-that-should-not-be-logged-1234' });
    await new Promise((r) => setTimeout(r, 200));
    const leaking = logLines.filter(
      (l) => l.includes(g.code) || l.includes('state-that-should-not-be-logged'),
    );
    expect(leaking.map((l) => l.slice(0, 300))).toEqual([]);
  }, 30_000);
});

describe('the VC API exchange attacked', () => {
  it('held: a presentation signed for one exchange is refused by another (challenge and domain are the exchange’s)', async () => {
    const [one, two] = [await exchangeOf('wf-a'), await exchangeOf('wf-a')];
    const { signed } = await didAuth(one.vcapi);
    const replayed = await postExchange(two.vcapi, { verifiablePresentation: signed });
    expect(replayed).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // Signed for another domain, with the right challenge.
    const { signed: elsewhere } = await didAuthentication(two.vcapi, {
      sign: { domain: 'attacker.example' },
    });
    expect((await postExchange(two.vcapi, { verifiablePresentation: elsewhere })).status).toBe(400);
    // The right one still works after the refusals.
    expect((await postExchange(one.vcapi, { verifiablePresentation: signed })).status).toBe(200);
  }, 60_000);

  it('held: presentations carrying credentials, two signers, a holder object naming another DID, or a did:web holder are refused', async () => {
    const ex = await exchangeOf('wf-b');
    const holder = await didAuth(ex.vcapi);
    const other = await didKey();
    // The holder's proof plus a second proof by another key (a proof "by the holder" riding beside another's).
    const twoSigners = await vc.signPresentation({
      presentation: structuredClone(holder.signed),
      suite: new Ed25519Signature2020({ key: other.key }),
      challenge: holder.vpr.challenge,
      domain: holder.vpr.domain,
      documentLoader: contextLoader,
    });
    const cases: [string, unknown][] = [
      ['with the learner’s own badge', { ...holder.signed, verifiableCredential: [issued.get('wf-b')!.ob3] }],
      ['with an empty credential list', { ...holder.signed, verifiableCredential: [] }],
      ['with a null credential', { ...holder.signed, verifiableCredential: null }],
      ['two signers', twoSigners],
      ['holder object naming another DID', { ...holder.signed, holder: { id: other.did } }],
      ['did:web holder', { ...holder.signed, holder: 'did:web:attacker.example' }],
      ['did:key holder with a path', { ...holder.signed, holder: `${holder.did}/x` }],
      ['array holder', { ...holder.signed, holder: [holder.did, other.did] }],
    ];
    const accepted: string[] = [];
    for (const [what, vp] of cases)
      if ((await postExchange(ex.vcapi, { verifiablePresentation: vp })).status !== 400) accepted.push(what);
    expect(accepted).toEqual([]);
    expect((await postExchange(ex.vcapi, { verifiablePresentation: holder.signed })).status).toBe(200);
  }, 60_000);

  it('held: racing presentations on one exchange (one DID or several) give one badge', async () => {
    for (let trial = 0; trial < 2; trial++) {
      const ex = await exchangeOf('wf-a');
      const vps = await Promise.all(Array.from({ length: 3 }, () => didAuth(ex.vcapi)));
      const answers = await Promise.all([
        ...vps.map((v) => postExchange(ex.vcapi, { verifiablePresentation: v.signed })),
        ...vps.map((v) => postExchange(ex.vcapi, { verifiablePresentation: v.signed })),
      ]);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    }
  }, 60_000);

  it('held: no presentation makes the server fetch a URL (remote context, https or did:web verification method)', async () => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/ld+json');
      res.end('{"@context":{}}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const here = `http://127.0.0.1:${port}`;
    try {
      const ex = await exchangeOf('wf-b');
      const { signed, did } = await didAuth(ex.vcapi);
      const proof = signed.proof as Record<string, unknown>;
      const cases: unknown[] = [
        { ...signed, '@context': [...(signed['@context'] as string[]), `${here}/context.jsonld`] },
        { ...signed, proof: { ...proof, verificationMethod: `${here}/keys#1` } },
        { ...signed, proof: { ...proof, verificationMethod: `https://127.0.0.1:${port}/keys#1` } },
        { ...signed, proof: { ...proof, verificationMethod: `did:web:127.0.0.1%3A${port}#key-1` } },
        { ...signed, holder: `did:web:127.0.0.1%3A${port}` },
        { ...signed, proof: { ...proof, '@context': `${here}/proof-context` } },
        { ...signed, proof: [proof, { ...proof, verificationMethod: `${here}/k#1` }] },
      ];
      for (const vp of cases) await postExchange(ex.vcapi, { verifiablePresentation: vp });
      expect(hits).toBe(0);
      expect(did).toMatch(/^did:key:/);
    } finally {
      server.close();
    }
  }, 60_000);

  it('fixed: a live exchange canonicalizes a 250 kB presentation once per proof (four) before refusing it: seconds of CPU per request', async () => {
    const ex = await exchangeOf('wf-b');
    // A DID authentication is a few hundred bytes. This one carries 250 kB of statements (absolute IRIs, so JSON-LD
    // safe mode keeps them) and four proofs: each proof canonicalizes the whole presentation before its signature
    // is found wrong. Anyone with a learner's link makes exchanges; a failed presentation leaves the exchange open.
    const { signed } = await didAuth(ex.vcapi);
    const proof = signed.proof as Record<string, unknown>;
    const E = 'https://padding.example/';
    const padding = Array.from({ length: 2400 }, (_, i) => ({
      [`${E}a`]: `v${i}`,
      [`${E}b`]: { [`${E}c`]: String(i) },
    }));
    const heavy = {
      ...signed,
      [`${E}padding`]: padding,
      proof: ['01', '02', '03', '04'].map((d) => ({ ...proof, created: `2024-01-${d}T00:00:00Z` })),
    };
    const body = JSON.stringify({ verifiablePresentation: heavy });
    expect(body.length).toBeLessThan(256 * 1024);
    const post = async () => {
      const started = performance.now();
      const res = await fetch(ex.vcapi, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.body?.cancel();
      return {
        status: res.status,
        ms: Math.round(performance.now() - started),
        budget: res.headers.get('ratelimit-policy'),
      };
    };
    // (Four such requests at once took 13 s each, and the health check waited 2 s meanwhile; an address may send
    // 300 a minute at the VC API budget.)
    const costly = await post();
    expect(costly.status).toBe(400);
    // Refused before any canonicalization: a DID authentication has no business being this large.
    expect(costly.ms < 1_000 ? 'cheap' : costly).toBe('cheap');
  }, 60_000);

  it('fixed: the exchange id (a bearer for the learner’s badge while live) reaches the request log, and a log reader takes the badge', async () => {
    const ex = await exchangeOf('wf-a');
    // The learner's wallet reads the interaction and starts the exchange, as the Learner Credential Wallet does.
    await (await fetch(ex.interaction)).body?.cancel();
    await postExchange(ex.vcapi, {});
    await new Promise((r) => setTimeout(r, 200));
    const leaked = [
      ...new Set(
        logLines.flatMap((l) =>
          [...l.matchAll(/\/wallet\/(?:exchanges|interactions)\/([A-Za-z0-9_-]{20,40})/g)].map((m) => m[1]!),
        ),
      ),
    ].filter((id) => id === ex.id);
    // Whoever reads the log finishes the exchange with a DID of their own, before the learner's wallet does.
    let stolen: string | undefined;
    if (leaked.length) {
      const thief = await didAuth(`${tool.url}/wallet/exchanges/${leaked[0]}`);
      const got = await postExchange(`${tool.url}/wallet/exchanges/${leaked[0]}`, {
        verifiablePresentation: thief.signed,
      });
      stolen = got.body?.verifiablePresentation?.verifiableCredential?.[0]?.credentialSubject?.id;
    }
    expect({ leaked, stolen }).toEqual({ leaked: [], stolen: undefined });
  }, 60_000);

  it('held: the audit trail keeps no code, access token, verifier, challenge or exchange id', async () => {
    const g = await grantedCode('wf-b');
    const token = await tokenByCode({ code: g.code, code_verifier: g.verifier });
    const ex = await exchangeOf('wf-b');
    const { vpr, signed } = await didAuth(ex.vcapi);
    expect((await postExchange(ex.vcapi, { verifiablePresentation: signed })).status).toBe(200);
    const audit = JSON.stringify(await AuditEvent.find({}).lean());
    for (const secret of [
      g.code,
      g.verifier,
      token.body.access_token as string,
      vpr.challenge,
      ex.id,
      g.requestUri,
    ])
      expect(audit.includes(secret)).toBe(false);
    // Nor the log: the access token, the verifier, the challenge.
    for (const secret of [g.verifier, token.body.access_token as string, vpr.challenge])
      expect(logLines.some((l) => l.includes(secret))).toBe(false);
  }, 60_000);
});

describe('the seal-signed SD-JWT VC attacked', () => {
  it('held: another institution’s seal never signs this institution’s SD-JWT VC', async () => {
    await createTestSeal(institutionB, 'Other University', kek);
    const md = (await (
      await fetch(`${tool.url}/.well-known/openid-credential-issuer/wallet/issuers/${issuerA}`)
    ).json()) as any;
    expect(
      md.credential_configurations_supported['eu-microcredential'].credential_signing_alg_values_supported,
    ).toEqual(['EdDSA']);
    const g = await grantedCode('wf-a');
    const token = await tokenByCode({ code: g.code, code_verifier: g.verifier });
    const got = await requestCredential(
      issuerA,
      token.body.access_token,
      await walletProof(issuerUrl(issuerA)),
      'eu-microcredential',
    );
    expect(got.status).toBe(200);
    const header = decodeProtectedHeader((got.body.credentials[0].credential as string).split('~')[0]!);
    expect(header.alg).toBe('EdDSA');
    expect(header.x5c).toBeUndefined();
    expect(String(header.kid)).toContain(':');
  }, 60_000);
});
