import { createHash, randomBytes } from 'node:crypto';
import { WalletNonce } from './wallet-models.js';

/** How long a c_nonce may be put in a key proof. */
export const NONCE_TTL_MS = 5 * 60_000;

const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

/** A fresh c_nonce (the nonce endpoint's answer): the database keeps its hash until used or expired. */
export async function newNonce(now = new Date()): Promise<string> {
  const nonce = randomBytes(24).toString('base64url');
  await WalletNonce.create({ _id: hash(nonce), expiresAt: new Date(now.getTime() + NONCE_TTL_MS) });
  return nonce;
}

/** Whether a nonce was issued here, is still fresh, and was not used before: it is used now. */
export async function consumeNonce(nonce: string, now = new Date()): Promise<boolean> {
  const removed = await WalletNonce.deleteOne({ _id: hash(nonce), expiresAt: { $gt: now } });
  return removed.deletedCount === 1;
}
