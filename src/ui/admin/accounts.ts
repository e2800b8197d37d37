import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Schema, model } from 'mongoose';
import { registerExpiring } from '../../db/expiry.js';
import { hashToken } from '../../lti/session.js';

function scrypt(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** scrypt N=2^15, r=8, p=1 (OWASP's minimum is 2^17 with p=1 at 128 MiB; 2^15 keeps login under 100 ms on small hosts). */
const COST = { N: 32_768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

const adminUserSchema = new Schema(
  {
    username: { type: String, required: true, unique: true },
    /** `scrypt$N$r$p$salt$hash`, base64url parts. */
    passwordHash: { type: String, required: true },
  },
  { timestamps: true, versionKey: false, collection: 'admin_users' },
);
export const AdminUser = model('AdminUser', adminUserSchema);

const adminSessionSchema = new Schema(
  {
    tokenHash: { type: String, required: true, unique: true },
    username: { type: String, required: true },
    csrfToken: { type: String, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'admin_sessions' },
);
export const AdminSession = model('AdminSession', adminSessionSchema);
registerExpiring(AdminSession.modelName);

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

/** Creates (or resets the password of) an administrator; the CLI's `admin create-user`. */
export async function createAdminUser(username: string, password: string): Promise<void> {
  if (!USERNAME.test(username)) throw new Error('username: 2-63 lowercase letters, digits, ".", "_" or "-"');
  if (password.length < 12) throw new Error('password: at least 12 characters');
  await AdminUser.updateOne(
    { username },
    { $set: { passwordHash: await hashPassword(password) } },
    { upsert: true },
  );
}

/** A hash to compare against when the user does not exist, so timing does not tell which usernames exist. */
let dummyHash: Promise<string> | undefined;

export async function authenticate(username: string, password: string): Promise<boolean> {
  const user = USERNAME.test(username) ? await AdminUser.findOne({ username }).lean() : null;
  dummyHash ??= hashPassword(randomBytes(12).toString('hex'));
  const ok = await checkPassword(password, user?.passwordHash ?? (await dummyHash));
  return Boolean(user) && ok;
}

export async function startAdminSession(username: string, ttlMinutes: number) {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await AdminSession.create({
    tokenHash: hashToken(token),
    username,
    csrfToken,
    expiresAt: new Date(Date.now() + ttlMinutes * 60_000),
  });
  return { token, csrfToken };
}

export async function findAdminSession(token: string | undefined) {
  if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  return AdminSession.findOne({ tokenHash: hashToken(token), expiresAt: { $gt: new Date() } }).lean();
}

export async function endAdminSession(token: string | undefined): Promise<void> {
  if (token) await AdminSession.deleteOne({ tokenHash: hashToken(token) });
}
