import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { parseCookies, randomToken } from './cookies.js';
import { HttpError } from './errors.js';

const CSRF_COOKIE = 'credbridge_csrf';

/**
 * CSRF protection of the web layer. Writes inside a session (launch or console) carry that session's token
 * (src/web/sessions.ts); forms outside one (public verification, console sign-in) use a double-submit token: a
 * random value in a SameSite=Strict, HttpOnly cookie that the form must echo. A cross-site page can neither
 * read nor set it.
 */
export function formToken(req: Request, res: Response): string {
  const existing = parseCookies(req)[CSRF_COOKIE];
  if (existing && /^[A-Za-z0-9_-]{32,64}$/.test(existing)) return existing;
  const token = randomToken(24);
  res.cookie(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
  return token;
}

/** Whether a given token is the expected one, in constant time; lengths are compared in bytes (a non-ASCII token). */
export function sameToken(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || !expected) return false;
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

export function requireFormToken(req: Request): void {
  const body = req.body as Record<string, unknown> | undefined;
  if (!sameToken(body?._csrf, parseCookies(req)[CSRF_COOKIE]))
    throw new HttpError(403, 'csrf_mismatch', 'The form has expired; reload the page and try again.');
}

/** A write inside a session: the token given (X-CSRF-Token header, or the form's `_csrf`) must be the session's. */
export function requireSessionToken(req: Request, session: { csrfToken: string }): void {
  const given = req.get('x-csrf-token') ?? (req.body as { _csrf?: unknown } | undefined)?._csrf;
  if (!sameToken(given, session.csrfToken))
    throw new HttpError(403, 'csrf_mismatch', 'The form has expired; reload the page and try again.');
}
