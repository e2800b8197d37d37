import type { RequestHandler } from 'express';
import { hashToken, parseCookies } from '../web/cookies.js';
import { LtiSession, type SessionDoc } from './models.js';

export const SESSION_COOKIE = 'credbridge_lti';
export const STATE_COOKIE_PREFIX = 'credbridge_lti_state_';

declare module 'express-serve-static-core' {
  interface Request {
    ltiSession?: SessionDoc;
  }
}

/** Loads the session named by the cookie, if any and not expired, onto req.ltiSession. */
export const loadSession: RequestHandler = async (req, _res, next) => {
  const token = parseCookies(req)[SESSION_COOKIE];
  if (token && /^[A-Za-z0-9_-]{20,100}$/.test(token)) {
    const session = await LtiSession.findOne({ tokenHash: hashToken(token), expiresAt: { $gt: new Date() } });
    if (session) req.ltiSession = session;
  }
  next();
};
