import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * Cookies and tokens of the web layer, used alike by LTI launches, the screens and the console: parsing the
 * Cookie header, setting and clearing httpOnly cookies under one policy, random tokens and the hash that is
 * stored in their place.
 */

export interface CookiePolicy {
  /**
   * false (default): `SameSite=None; Secure`, which a browser needs to send the cookie inside the LMS iframe
   * (a third-party context). Browsers accept Secure cookies from http://localhost, so local development
   * mostly works as is. true (LTI_INSECURE_COOKIES): `SameSite=Lax` without Secure, for plain-HTTP setups on
   * other hosts where the LMS and the tool share a site; never in production.
   */
  insecure: boolean;
}

export function parseCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 1) continue;
    const name = part.slice(0, at).trim();
    try {
      out[name] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // A malformed cookie is ignored, like an absent one.
    }
  }
  return out;
}

export function setCookie(
  res: Response,
  policy: CookiePolicy,
  name: string,
  value: string,
  maxAgeMs: number,
): void {
  res.cookie(name, value, {
    httpOnly: true,
    path: '/',
    maxAge: maxAgeMs,
    sameSite: policy.insecure ? 'lax' : 'none',
    secure: !policy.insecure,
  });
}

export function clearCookie(res: Response, policy: CookiePolicy, name: string): void {
  res.clearCookie(name, {
    httpOnly: true,
    path: '/',
    sameSite: policy.insecure ? 'lax' : 'none',
    secure: !policy.insecure,
  });
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
