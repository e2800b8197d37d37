import type { Request, RequestHandler } from 'express';
import { Schema, model } from 'mongoose';
import { registerExpiring } from '../db/expiry.js';
import { hashToken, parseCookies, randomToken } from './cookies.js';

/**
 * The one session store of the web layer, for every signed-in browser: a person who launched the tool from their
 * LMS, and a console login. The cookie holds a random token, the database only its SHA-256; each session has its
 * CSRF token and the reader's locale. The two kinds live side by side (a mongoose discriminator on `kind`) and
 * keep their own cookies, because their browsers send them under different rules: a launch cookie must cross
 * sites (SameSite=None, inside the LMS iframe), a console cookie never does (SameSite=Strict, path /admin).
 */
const sessionSchema = new Schema(
  {
    tokenHash: { type: String, required: true, unique: true },
    csrfToken: { type: String, required: true },
    /** The reader's locale as the LMS or the login gave it; the screens' language follows it (src/web/language.ts). */
    locale: { type: String, default: '' },
    expiresAt: { type: Date, required: true, index: true },
  },
  { timestamps: true, versionKey: false, collection: 'web_sessions', discriminatorKey: 'kind' },
);
// Ending an account's sessions (removed, or a new password) finds them by username.
sessionSchema.index({ username: 1 });
export const WebSession = model('WebSession', sessionSchema);
registerExpiring(WebSession.modelName);

/** After an LMS launch: who launched, from which platform, course and activity, in which role. */
export const LaunchSession = WebSession.discriminator(
  'LaunchSession',
  new Schema({
    /** The institution of the launching platform: the only one whose templates and issuers the session reaches. */
    institutionId: { type: String, required: true },
    platformId: { type: Schema.Types.ObjectId, required: true },
    deploymentId: { type: String, required: true },
    courseId: { type: Schema.Types.ObjectId },
    /** The LMS's resource link the launch came from (an activity), when it came from one. */
    resourceLinkId: { type: String, default: '' },
    userId: { type: String, required: true },
    role: { type: String, required: true, enum: ['admin', 'instructor', 'learner'] },
    name: { type: String, default: '' },
    email: { type: String, default: '' },
    deepLinking: {
      type: new Schema(
        {
          returnUrl: { type: String, required: true },
          data: { type: String },
          acceptTypes: { type: [String], default: [] },
          acceptLineItem: { type: Boolean, default: false },
        },
        { _id: false },
      ),
      default: undefined,
    },
  }),
  'launch',
);
export type LaunchSessionDoc = InstanceType<typeof LaunchSession>;

/** After a console sign-in: the account, read afresh on every request (src/ui/admin/console.ts). */
export const ConsoleSession = WebSession.discriminator(
  'ConsoleSession',
  new Schema({ username: { type: String, required: true } }),
  'console',
);
export type ConsoleSessionDoc = InstanceType<typeof ConsoleSession>;

export const SESSION_COOKIES = { launch: 'credbridge_lti', console: 'credbridge_admin' } as const;

declare module 'express-serve-static-core' {
  interface Request {
    ltiSession?: LaunchSessionDoc;
    consoleSession?: ConsoleSessionDoc;
  }
}

type Kind = keyof typeof SESSION_COOKIES;
type Fields<K extends Kind> = K extends 'launch'
  ? Omit<ConstructorParameters<typeof LaunchSession>[0] & object, 'tokenHash' | 'csrfToken' | 'expiresAt'>
  : { username: string; locale?: string };

/** Starts a session of one kind; the caller sets the token as that kind's cookie. */
export async function startSession<K extends Kind>(
  kind: K,
  fields: Fields<K>,
  ttlMs: number,
): Promise<{ token: string; csrfToken: string }> {
  const token = randomToken();
  const csrfToken = randomToken(24);
  const Model = kind === 'launch' ? LaunchSession : ConsoleSession;
  await Model.create({
    ...fields,
    tokenHash: hashToken(token),
    csrfToken,
    expiresAt: new Date(Date.now() + ttlMs),
  });
  return { token, csrfToken };
}

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

async function findSession<K extends Kind>(
  kind: K,
  token: string | undefined,
): Promise<(K extends 'launch' ? LaunchSessionDoc : ConsoleSessionDoc) | undefined> {
  if (!token || !TOKEN.test(token)) return undefined;
  const Model = (kind === 'launch' ? LaunchSession : ConsoleSession) as typeof WebSession;
  const found = await Model.findOne({ tokenHash: hashToken(token), expiresAt: { $gt: new Date() } });
  return (found ?? undefined) as (K extends 'launch' ? LaunchSessionDoc : ConsoleSessionDoc) | undefined;
}

/** Ends the session the request's cookie of that kind names (the caller clears the cookie). */
export async function endSession(req: Request, kind: Kind): Promise<void> {
  const token = parseCookies(req)[SESSION_COOKIES[kind]];
  if (token && TOKEN.test(token)) await WebSession.deleteOne({ tokenHash: hashToken(token), kind });
}

/** Ends every console session of an account (removed, or its password set anew). */
export async function endConsoleSessions(username: string): Promise<void> {
  await ConsoleSession.deleteMany({ username });
}

/** Loads the sessions the request's cookies name, if unexpired, onto req.ltiSession and req.consoleSession. */
export const loadSessions: RequestHandler = async (req, _res, next) => {
  const cookies = parseCookies(req);
  const [launch, console] = await Promise.all([
    req.ltiSession ? req.ltiSession : findSession('launch', cookies[SESSION_COOKIES.launch]),
    req.consoleSession ? req.consoleSession : findSession('console', cookies[SESSION_COOKIES.console]),
  ]);
  if (launch) req.ltiSession = launch;
  if (console) req.consoleSession = console;
  next();
};
