import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Schema, model } from 'mongoose';
import { hashToken } from '../web/cookies.js';
import { endConsoleSessions } from '../web/sessions.js';

function scrypt(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** scrypt N=2^15, r=8, p=1 (OWASP's minimum is 2^17 with p=1 at 128 MiB; 2^15 keeps login under 100 ms on small hosts). */
const COST = { N: 32_768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * A console account. Without `institutionId` it is an operator of the installation (institutions, queues);
 * with it, an administrator of that institution alone. A new account invited from the console or the admin
 * API has no password until its holder opens the one-time setup link.
 */
const adminUserSchema = new Schema(
  {
    username: { type: String, required: true, unique: true },
    institutionId: { type: String },
    /** `scrypt$N$r$p$salt$hash`, base64url parts; empty until the setup link is used. */
    passwordHash: { type: String, default: '' },
    setupTokenHash: { type: String },
    setupExpiresAt: { type: Date },
  },
  { timestamps: true, versionKey: false, collection: 'admin_users' },
);
adminUserSchema.index({ setupTokenHash: 1 }, { sparse: true });
export const AdminUser = model('AdminUser', adminUserSchema);

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: COST.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

export const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;
const USERNAME_RULE = 'username: 2-63 lowercase letters, digits, ".", "_" or "-"';
const PASSWORD_RULE = 'password: at least 12 characters';

/** A setup link works this long; after that the operator or an administrator invites again. */
export const SETUP_LINK_TTL_MS = 72 * 3_600_000;

export class AccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountError';
  }
}

/** Who a console account is: an operator of the installation, or an administrator of one institution. */
export interface ConsoleAccount {
  username: string;
  institutionId?: string;
}

function scopeName(institutionId: string | undefined): string {
  return institutionId ? `an administrator of institution "${institutionId}"` : 'an operator';
}

/**
 * Creates an operator (no institution) or an institution administrator, or resets the password of an
 * existing account of the same kind; the CLI's `admin create-user`. An account never changes institution here.
 */
export async function createAdminUser(
  username: string,
  password: string,
  institutionId?: string,
): Promise<void> {
  if (!USERNAME.test(username)) throw new AccountError(USERNAME_RULE);
  if (password.length < 12) throw new AccountError(PASSWORD_RULE);
  const existing = await AdminUser.findOne({ username }).lean();
  if (existing && (existing.institutionId ?? undefined) !== institutionId)
    throw new AccountError(
      `username: "${username}" is already ${scopeName(existing.institutionId ?? undefined)}`,
    );
  await AdminUser.updateOne(
    { username },
    {
      $set: { passwordHash: await hashPassword(password), ...(institutionId ? { institutionId } : {}) },
      $unset: { setupTokenHash: 1, setupExpiresAt: 1 },
    },
    { upsert: true },
  );
  // A new password ends every session of the old one (a reset is often meant to shut out a stolen one).
  await endConsoleSessions(username);
}

/**
 * Removes a console account and ends its sessions: of the given institution only, or (without one) an operator.
 * Returns false when there is no such account of that kind.
 */
export async function removeAdminUser(username: string, institutionId?: string): Promise<boolean> {
  const removed = await AdminUser.deleteOne({
    username,
    ...(institutionId ? { institutionId } : { institutionId: { $exists: false } }),
  });
  // Only the removed account's: another institution naming this username ends nobody's session.
  if (removed.deletedCount !== 1) return false;
  await endConsoleSessions(username);
  return true;
}

/**
 * A new account without a password and a one-time link to choose one (console and admin API), so nobody
 * passes a password around. The token is returned once; only its hash is stored.
 */
export async function inviteAdminUser(username: string, institutionId?: string): Promise<{ token: string }> {
  if (!USERNAME.test(username)) throw new AccountError(USERNAME_RULE);
  const token = randomBytes(32).toString('base64url');
  try {
    await AdminUser.create({
      username,
      ...(institutionId ? { institutionId } : {}),
      passwordHash: '',
      setupTokenHash: hashToken(token),
      setupExpiresAt: new Date(Date.now() + SETUP_LINK_TTL_MS),
    });
  } catch (err) {
    if ((err as { code?: number }).code === 11000)
      throw new AccountError(`username: "${username}" is already taken`);
    throw err;
  }
  return { token };
}

/** The account a setup link opens, if the link is still good. */
export async function findSetupAccount(token: string): Promise<ConsoleAccount | undefined> {
  if (!/^[A-Za-z0-9_-]{40,100}$/.test(token)) return undefined;
  const user = await AdminUser.findOne({
    setupTokenHash: hashToken(token),
    setupExpiresAt: { $gt: new Date() },
  }).lean();
  return user ? { username: user.username, institutionId: user.institutionId ?? undefined } : undefined;
}

/** Sets the password through a setup link, which is spent by the same atomic update. */
export async function completeSetup(token: string, password: string): Promise<ConsoleAccount | undefined> {
  if (password.length < 12) throw new AccountError(PASSWORD_RULE);
  if (!/^[A-Za-z0-9_-]{40,100}$/.test(token)) return undefined;
  const user = await AdminUser.findOneAndUpdate(
    { setupTokenHash: hashToken(token), setupExpiresAt: { $gt: new Date() } },
    {
      $set: { passwordHash: await hashPassword(password) },
      $unset: { setupTokenHash: 1, setupExpiresAt: 1 },
    },
    { returnDocument: 'after' },
  ).lean();
  return user ? { username: user.username, institutionId: user.institutionId ?? undefined } : undefined;
}

export async function findAccount(username: string): Promise<ConsoleAccount | undefined> {
  const user = USERNAME.test(username) ? await AdminUser.findOne({ username }).lean() : null;
  return user ? { username: user.username, institutionId: user.institutionId ?? undefined } : undefined;
}

/** The administrators of an institution (or the operators, without one), for the console's list. */
export async function listAccounts(institutionId?: string) {
  const users = await AdminUser.find(
    institutionId ? { institutionId } : { institutionId: { $exists: false } },
    { username: 1, passwordHash: 1, setupExpiresAt: 1, createdAt: 1 },
  )
    .sort({ username: 1 })
    .lean();
  return users.map((u) => ({
    username: u.username,
    active: Boolean(u.passwordHash),
    setupExpiresAt: u.setupExpiresAt ?? undefined,
  }));
}

/** A hash to compare against when the user does not exist, so timing does not tell which usernames exist. */
let dummyHash: Promise<string> | undefined;

/** The account, when the password is right; an account still waiting for its setup link never signs in. */
export async function authenticate(username: string, password: string): Promise<ConsoleAccount | undefined> {
  const user = USERNAME.test(username) ? await AdminUser.findOne({ username }).lean() : null;
  dummyHash ??= hashPassword(randomBytes(12).toString('hex'));
  const ok = await checkPassword(password, user?.passwordHash || (await dummyHash));
  return user?.passwordHash && ok
    ? { username: user.username, institutionId: user.institutionId ?? undefined }
    : undefined;
}
