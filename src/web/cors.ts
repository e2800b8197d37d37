import type { NextFunction, Request, Response } from 'express';

/**
 * Lets a browser-based verifier or wallet on any site read a public document (DID documents, status lists,
 * credentials, their verification): `Access-Control-Allow-Origin: *` on GET and HEAD only. Never with
 * credentials (`*` forbids them), and nothing that changes state is opened to other sites. The resource policy
 * is relaxed the same way, since helmet's default (same-origin) would block embedding, e.g. a badge image.
 */
export function publicReadCors(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') {
    res.set('access-control-allow-origin', '*');
    res.set('cross-origin-resource-policy', 'cross-origin');
  }
  next();
}
