import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.js';

/** Requires `Authorization: Bearer <ADMIN_API_TOKEN>`; with no token configured, the admin API is closed. */
export function requireAdminToken(token: string | undefined): RequestHandler {
  const expected = token ? createHash('sha256').update(token).digest() : undefined;
  return (req, _res, next) => {
    if (!expected)
      return next(
        new HttpError(401, 'unauthorized', 'The admin API is disabled: ADMIN_API_TOKEN is not set'),
      );
    const header = req.get('authorization') ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    const given = match ? createHash('sha256').update(match[1]!).digest() : undefined;
    if (!given || !timingSafeEqual(given, expected)) {
      return next(new HttpError(401, 'unauthorized', 'A valid admin bearer token is required'));
    }
    next();
  };
}
