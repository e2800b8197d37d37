import { randomBytes } from 'node:crypto';
import type { Response } from 'express';

import { escape } from '../render/html.js';
import { cspOrigins } from '../web/csp.js';

/** The one HTML escape of the project (src/render/html.ts), under the name the LTI pages use. */
export const escapeHtml = escape;

export interface PageOptions {
  /** Origins that may frame the page (the LMS); none means only our own. */
  frameAncestors?: string[];
  /** Origins a form on the page may post to (the LMS's deep-linking return). */
  formTargets?: string[];
  /** Registration pages talk to their opener with postMessage, which a strict COOP would cut. */
  allowOpener?: boolean;
}

/**
 * Sends an HTML page under a CSP of its own: LTI pages live in the LMS's iframe and may post forms back to
 * it, which the app-wide helmet defaults (frame-ancestors 'self', form-action 'self') would block. Inline
 * script runs only with this response's nonce.
 */
export function sendPage(
  res: Response,
  status: number,
  title: string,
  body: string,
  options: PageOptions = {},
  script = '',
): void {
  const nonce = randomBytes(16).toString('base64');
  const frame = cspOrigins(options.frameAncestors);
  const forms = cspOrigins(options.formTargets);
  res.removeHeader('X-Frame-Options');
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      "style-src 'unsafe-inline'",
      `script-src 'nonce-${nonce}'`,
      `form-action 'self' ${forms.join(' ')}`.trim(),
      `frame-ancestors 'self' ${frame.join(' ')}`.trim(),
      "base-uri 'none'",
    ].join('; '),
  );
  if (options.allowOpener) res.setHeader('Cross-Origin-Opener-Policy', 'unsafe-none');
  res.setHeader('Cache-Control', 'no-store');
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
        `<body><main><h1>${escapeHtml(title)}</h1>${body}</main>` +
        (script ? `<script nonce="${nonce}">${script}</script>` : '') +
        `</body></html>`,
    );
}

/** A form that posts itself to `action` (the LTI way of handing a signed message back to the platform). */
export function sendAutoPost(
  res: Response,
  action: string,
  fields: Record<string, string>,
  options: PageOptions = {},
): void {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  sendPage(
    res,
    200,
    'Returning to your course',
    `<form id="autopost" method="post" action="${escapeHtml(action)}">${inputs}<button type="submit">Continue</button></form>`,
    { ...options, formTargets: [action, ...(options.formTargets ?? [])] },
    "document.getElementById('autopost').submit();",
  );
}
