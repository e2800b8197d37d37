import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { previousEncryptionKeys } from '../security/encryption.js';

/** The public page of a credential: what e-mails, LMS comments and share links point to. */
export function credentialPageUrl(publicUrl: string, credentialId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/credentials/${encodeURIComponent(credentialId)}`;
}

export const LEARNER_LINK_PATH = '/my/credentials';

/** The HMAC key of learner links, derived from KEY_ENCRYPTION_KEY so there is no second secret to keep. */
export function learnerLinkKey(kek: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'credbridge learner links v1', 32));
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

/** A token naming one learner (platform-scoped learnerRef) until `expiresAt`, signed with HMAC-SHA256. */
export function learnerLinkToken(key: Buffer, learnerRef: string, expiresAt: Date): string {
  const payload = Buffer.from(
    JSON.stringify({ r: learnerRef, e: Math.floor(expiresAt.getTime() / 1000) }),
  ).toString('base64url');
  return `${payload}.${mac(key, payload)}`;
}

/**
 * The learner's standalone "my credentials" page, reached from the e-mail without an LMS session.
 * Anyone holding the link sees that learner's credentials until it expires, like the e-mail itself.
 */
export function learnerPageUrl(publicUrl: string, key: Buffer, learnerRef: string, ttlDays: number): string {
  return pageWithToken(publicUrl, tokenForDays(key, learnerRef, ttlDays));
}

const tokenForDays = (key: Buffer, learnerRef: string, ttlDays: number) =>
  learnerLinkToken(key, learnerRef, new Date(Date.now() + ttlDays * 86_400_000));
const pageWithToken = (publicUrl: string, token: string) =>
  `${publicUrl.replace(/\/$/, '')}${LEARNER_LINK_PATH}?t=${token}`;

/** The page that offers one credential to the wallet of the learner of a signed link (a fresh offer per visit). */
export const LEARNER_WALLET_OFFER_PATH = '/my/wallet-offer';

/**
 * The links of one credential's e-mail, under one signed token: the learner's page, and the pages that offer the
 * credential to an EU wallet (`eu`) or an Open Badges wallet (`badge`).
 */
export function learnerMailLinks(
  publicUrl: string,
  key: Buffer,
  learnerRef: string,
  ttlDays: number,
  credentialId: string,
): { page: string; wallet: { eu: string; badge: string } } {
  const t = tokenForDays(key, learnerRef, ttlDays);
  const offer = (kind: 'eu' | 'badge') =>
    `${publicUrl.replace(/\/$/, '')}${LEARNER_WALLET_OFFER_PATH}?${new URLSearchParams({ credential: credentialId, kind, t })}`;
  return { page: pageWithToken(publicUrl, t), wallet: { eu: offer('eu'), badge: offer('badge') } };
}

/** The learnerRef a token names, or why it is refused. */
export function readLearnerLinkToken(
  key: Buffer,
  token: string,
  now = new Date(),
): { learnerRef: string } | { error: 'invalid' | 'expired' } {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined || payload.length > 2000) return { error: 'invalid' };
  const given = Buffer.from(signature);
  // During a key-encryption key rotation, links signed under the previous key keep working.
  const signedBy = (k: Buffer) => {
    const expected = Buffer.from(mac(k, payload));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  if (!signedBy(key) && !previousEncryptionKeys().map(learnerLinkKey).some(signedBy))
    return { error: 'invalid' };
  let data: { r?: unknown; e?: unknown };
  try {
    data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof data;
  } catch {
    return { error: 'invalid' };
  }
  if (typeof data.r !== 'string' || typeof data.e !== 'number') return { error: 'invalid' };
  if (data.e * 1000 <= now.getTime()) return { error: 'expired' };
  return { learnerRef: data.r };
}
