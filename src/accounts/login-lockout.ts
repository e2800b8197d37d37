import { createHash } from 'node:crypto';
import { Schema, model } from 'mongoose';
import { registerExpiring } from '../db/expiry.js';

/**
 * One failed console sign-in, counted while `expiresAt` is ahead. A record per failure rather than a counter per
 * key: an insert is atomic on every store, while FerretDB 1.24 (the tests' store) loses concurrent `$inc`s on
 * one document, and a burst of guesses must not be able to slip through that way. Address and username are
 * hashed: a username is whatever a client typed, of any length (hashing bounds it; it does not hide an address).
 */
const loginFailureSchema = new Schema(
  {
    address: { type: String, required: true },
    /** The (address, username) pair; emptied when that pair signs in, so the address alone still counts it. */
    pair: { type: String, default: '' },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'login_failures' },
);
loginFailureSchema.index({ address: 1, expiresAt: 1 });
export const LoginFailure = model('LoginFailure', loginFailureSchema);
registerExpiring(LoginFailure.modelName);

export interface LoginAttempt {
  address: string;
  username: string;
}

export interface LockoutOptions {
  /** Failures of one address on one username, within the window, that lock that pair. */
  pairLimit?: number;
  /** Failures of one address within the window, whatever the usernames, that lock the address. */
  addressLimit?: number;
  windowMs?: number;
  now?: () => number;
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64url');
const keys = (attempt: LoginAttempt) => ({
  address: hash('address', attempt.address),
  pair: hash('pair', attempt.address, attempt.username),
});

/**
 * The console's lockout after failed sign-ins, in MongoDB so every web process counts together. Keyed by
 * (address, username), not by username alone, so failures from an attacker's address never lock the real
 * administrator out from theirs; and by address alone with a higher limit, so one address cannot try many
 * usernames instead. Failures count for `windowMs` each; a locked attempt is not counted again.
 */
export function loginLockout({
  pairLimit = 5,
  addressLimit = 20,
  windowMs = 15 * 60_000,
  now = Date.now,
}: LockoutOptions = {}) {
  return {
    async blocked(attempt: LoginAttempt): Promise<boolean> {
      const { address, pair } = keys(attempt);
      // The address's failures include the pair's: one indexed read answers both.
      const recent = await LoginFailure.find(
        { address, expiresAt: { $gt: new Date(now()) } },
        { pair: 1, _id: 0 },
      ).lean();
      return recent.length >= addressLimit || recent.filter((f) => f.pair === pair).length >= pairLimit;
    },

    async fail(attempt: LoginAttempt): Promise<void> {
      await LoginFailure.create({ ...keys(attempt), expiresAt: new Date(now() + windowMs) });
    },

    /** Clears the pair; its failures still count for the address, so a valid account cannot reset that. */
    async succeed(attempt: LoginAttempt): Promise<void> {
      const { address, pair } = keys(attempt);
      await LoginFailure.updateMany({ address, pair }, { $set: { pair: '' } });
    },
  };
}
