import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import type { Language } from '../i18n/languages.js';
import { html, type Html } from '../render/html.js';
import { cspOrigins } from './csp.js';

export interface PageOptions {
  /** Origins that may frame the page (the LMS); none means only our own. */
  frameAncestors?: string[];
  /** Origins a form on the page may post to (the LMS's deep-linking return). */
  formTargets?: string[];
  /** Registration pages talk to their opener with postMessage, which a strict COOP would cut. */
  allowOpener?: boolean;
  /** Inline script, run under this response's nonce. */
  script?: string;
  lang?: Language;
}

/**
 * Sends a page outside the screens' layout (errors, LTI hand-offs) under a CSP of its own: LTI pages live in the
 * LMS's iframe and may post forms back to it, which the app-wide helmet defaults (frame-ancestors 'self',
 * form-action 'self') would block. Inline script runs only with this response's nonce.
 */
export function sendPage(
  res: Response,
  status: number,
  title: string,
  body: Html,
  options: PageOptions = {},
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
  // The script is the caller's constant code; only the nonce attribute is ours.
  const script = options.script ? `<script nonce="${nonce}">${options.script}</script>` : '';
  const page = html`<!doctype html>
    <html lang="${options.lang ?? 'en'}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
      </head>
      <body>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`;
  res
    .status(status)
    .type('html')
    .send(page.value.replace('</body>', () => `${script}</body>`));
}
