import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { claimOnce } from './claims.js';

/** How long a c_nonce may be put in a key proof. */
export const NONCE_TTL_MS = 5 * 60_000;

const mac = (key: Buffer, body: string) =>
  createHmac('sha256', key).update(`nonce:${body}`).digest('base64url');

/**
 * A fresh c_nonce: `<expiry>.<random>.<mac>`, checkable without storing it, so the public nonce endpoint writes
 * nothing; the key is the one offer codes are derived with.
 */
export function newNonce(key: Buffer, now = new Date()): string {
  const body = `${now.getTime() + NONCE_TTL_MS}.${randomBytes(16).toString('base64url')}`;
  return `${body}.${mac(key, body)}`;
}

/** Whether a nonce was made here, is still fresh, and was not used before: it is used now (one claim). */
export async function consumeNonce(key: Buffer, nonce: string, now = new Date()): Promise<boolean> {
  const parts = nonce.split('.');
  if (parts.length !== 3) return false;
  const body = `${parts[0]}.${parts[1]}`;
  const [given, expected] = [Buffer.from(parts[2]!), Buffer.from(mac(key, body))];
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const expires = Number(parts[0]);
  if (!(expires > now.getTime())) return false;
  return claimOnce(`nonce:${createHash('sha256').update(nonce).digest('base64url')}`, new Date(expires));
}
