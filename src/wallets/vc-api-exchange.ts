import { randomBytes } from 'node:crypto';
import { verifyPresentation } from '../credentials/presentation-verifier.js';
import type { DocumentLoader } from '../credentials/document-loader.js';
import { VC_V2_CONTEXT } from '../credentials/contexts.js';
import { claimOnce } from './claims.js';
import { hash, OFFER_TTL_MS, WalletError } from './offers.js';
import { WalletExchange } from './wallet-models.js';

/**
 * The VC API exchange of wallets such as the Learner Credential Wallet: the learner's page shows an interaction
 * URL (`?iuv=1`); the wallet reads which protocols it offers, starts the exchange, is asked to authenticate a DID
 * (DIDAuthentication, with this exchange's challenge), presents it signed, and receives the Open Badge bound to
 * that DID. One credential, once, within the offer's ten minutes.
 */

export const INTERACTIONS_PATH = '/wallet/interactions';
export const EXCHANGES_PATH = '/wallet/exchanges';
/** The holder DIDs a wallet may authenticate: did:key, computed from the identifier itself, nothing fetched. */
const HOLDER_DID = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,200}$/;

export interface NewExchange {
  exchangeId: string;
  expiresAt: Date;
}

/** A fresh exchange of one stored credential of the learner who asked for it. */
export async function createExchange(
  exchange: { credentialId: string; issuerId: string; learnerRef: string },
  now = new Date(),
): Promise<NewExchange> {
  const exchangeId = randomBytes(18).toString('base64url');
  const expiresAt = new Date(now.getTime() + OFFER_TTL_MS);
  await WalletExchange.create({
    _id: hash(exchangeId),
    ...exchange,
    challenge: randomBytes(16).toString('base64url'),
    state: 'pending',
    expiresAt,
  });
  return { exchangeId, expiresAt };
}

export const interactionUrl = (publicUrl: string, exchangeId: string) =>
  `${publicUrl}${INTERACTIONS_PATH}/${exchangeId}?iuv=1`;
export const exchangeUrl = (publicUrl: string, exchangeId: string) =>
  `${publicUrl}${EXCHANGES_PATH}/${exchangeId}`;

async function liveExchange(exchangeId: string, now: Date) {
  if (!/^[A-Za-z0-9_-]{20,40}$/.test(exchangeId)) return undefined;
  const found = await WalletExchange.findOne({
    _id: hash(exchangeId),
    state: 'pending',
    expiresAt: { $gt: now },
  }).lean();
  return found ?? undefined;
}

/** What the interaction URL answers a wallet: the protocols it may continue with (here the VC API). */
export async function interactionProtocols(
  publicUrl: string,
  exchangeId: string,
  now = new Date(),
): Promise<{ protocols: { vcapi: string } } | undefined> {
  return (await liveExchange(exchangeId, now))
    ? { protocols: { vcapi: exchangeUrl(publicUrl, exchangeId) } }
    : undefined;
}

/** The exchange's request for DID authentication (VC API: a Verifiable Presentation Request). */
function presentationRequest(publicUrl: string, exchangeId: string, challenge: string) {
  return {
    verifiablePresentationRequest: {
      query: [
        {
          type: 'DIDAuthentication',
          acceptedMethods: [{ method: 'key' }],
          acceptedCryptosuites: [
            { cryptosuite: 'eddsa-rdfc-2022' },
            { cryptosuite: 'ecdsa-rdfc-2019' },
            { cryptosuite: 'Ed25519Signature2020' },
          ],
        },
      ],
      challenge,
      domain: new URL(publicUrl).host,
      interact: {
        service: [
          {
            type: 'UnmediatedHttpPresentationService2021',
            serviceEndpoint: exchangeUrl(publicUrl, exchangeId),
          },
        ],
      },
    },
  };
}

/** What a DID authentication may hold; anything else is refused before any canonicalization. */
const DID_AUTH_KEYS = new Set(['@context', 'id', 'type', 'holder', 'proof']);
/** Bytes of a DID authentication: about one kilobyte in practice (a context list, a holder, one proof). */
const MAX_DID_AUTH_BYTES = 8_000;

/**
 * Why a presentation cannot be a DID authentication, checked cheaply first: canonicalizing a large or many-proof
 * document costs seconds of CPU, which a stranger with a live exchange could ask for again and again.
 */
function didAuthShapeProblem(vp: unknown): string | undefined {
  if (typeof vp !== 'object' || vp === null || Array.isArray(vp)) return ': must be a JSON object';
  if (JSON.stringify(vp).length > MAX_DID_AUTH_BYTES) return `: at most ${MAX_DID_AUTH_BYTES} bytes`;
  const extra = Object.keys(vp).find((k) => !DID_AUTH_KEYS.has(k));
  if (extra === 'verifiableCredential')
    return '.verifiableCredential: DID authentication carries no credentials';
  if (extra) return `.${extra}: not part of a DID authentication`;
  const proof = (vp as { proof?: unknown }).proof;
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof))
    return '.proof: one proof, by the holder, is required';
  return undefined;
}

export interface ExchangeStep {
  /** The DID the wallet proved, and the stored credential it may receive, once a presentation is accepted. */
  holder?: string;
  credentialId?: string;
  issuerId?: string;
  /** What to answer the wallet: the request for DID authentication, until then. */
  request?: ReturnType<typeof presentationRequest>;
}

/**
 * One step of the exchange. Without a presentation: the request for DID authentication. With one: it must be
 * signed by the holder it names (a did:key), for this exchange's challenge and domain; then the exchange
 * is taken, once, and the caller hands the credential bound to that DID.
 */
export async function exchangeStep(
  publicUrl: string,
  exchangeId: string,
  body: { verifiablePresentation?: unknown },
  documentLoader: DocumentLoader,
  now = new Date(),
): Promise<ExchangeStep> {
  const exchange = await liveExchange(exchangeId, now);
  if (!exchange) throw new WalletError('not_found', 'the exchange is unknown, complete or expired', 404);
  if (body.verifiablePresentation === undefined)
    return { request: presentationRequest(publicUrl, exchangeId, exchange.challenge) };
  const shape = didAuthShapeProblem(body.verifiablePresentation);
  if (shape) throw new WalletError('invalid_request', `verifiablePresentation${shape}`);
  const vp = body.verifiablePresentation as { holder?: unknown };
  const holder = typeof vp?.holder === 'string' ? vp.holder : (vp?.holder as { id?: unknown })?.id;
  if (typeof holder !== 'string' || !HOLDER_DID.test(holder))
    throw new WalletError('invalid_request', 'verifiablePresentation.holder: a did:key is required');
  const result = await verifyPresentation(vp, {
    documentLoader,
    // Nothing to recognise: the presentation carries no credential, only the holder's proof.
    recogniseIssuer: () => Promise.resolve(undefined),
    challenge: exchange.challenge,
    domain: new URL(publicUrl).host,
  });
  const failed = result.checks.find((c) => !c.ok);
  if (failed || !result.checks.some((c) => c.check === 'holder'))
    throw new WalletError(
      'invalid_request',
      `verifiablePresentation: ${failed ? `${failed.check}: ${failed.message}` : 'it must be signed by its holder'}`,
    );
  if (!(await claimOnce(`exchange:${exchange._id}`, exchange.expiresAt)))
    throw new WalletError('not_found', 'the exchange is complete', 404);
  await WalletExchange.updateOne({ _id: exchange._id }, { $set: { state: 'complete' } });
  return { holder, credentialId: exchange.credentialId, issuerId: exchange.issuerId };
}

/** The exchange's last answer: a presentation carrying the credential (unsigned: the credential is). */
export function deliveredPresentation(credential: Record<string, unknown>) {
  return {
    verifiablePresentation: {
      '@context': [VC_V2_CONTEXT],
      type: ['VerifiablePresentation'],
      verifiableCredential: [credential],
    },
  };
}
