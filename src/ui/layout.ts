import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { cspOrigins } from '../web/csp.js';
import { html, type Html } from '../render/html.js';
import { type Translate } from '../i18n/catalogs.js';
import { LANGUAGE_NAMES, EU_LANGUAGES, type Language } from '../i18n/languages.js';

export const STATIC_PATH = '/ui/static';

export interface PageOptions {
  lang: Language;
  t: Translate;
  title: string;
  body: Html;
  /** Origins that may frame the page (the LMS of the session); none means only our own. */
  frameAncestors?: string[];
  /** Script files under src/ui/static, loaded at the end of the body. */
  scripts?: string[];
  /** Top navigation: label and href, the current one marked. */
  nav?: { label: string; href: string; current?: boolean }[];
  /** Query parameters the language switch keeps (a signed link's token). */
  keep?: Record<string, string>;
  status?: number;
  /** Sources beyond our own that the page's forms may submit to or be redirected to (a wallet's redirect URI). */
  formTargets?: string[];
}

/**
 * Sends a screen. The CSP allows our own scripts and styles only (no inline code), images from anywhere over
 * HTTPS (badge images) and framing by the session's LMS, which is the only reason a page relaxes
 * frame-ancestors.
 */
export function sendScreen(req: Request, res: Response, options: PageOptions): void {
  const { lang, t, title, body } = options;
  const frame = cspOrigins(options.frameAncestors);
  res.removeHeader('X-Frame-Options');
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      "style-src 'self'",
      "script-src 'self'",
      "img-src 'self' data: https:",
      "connect-src 'self'",
      ["form-action 'self'", ...(options.formTargets ?? [])].join(' '),
      `frame-ancestors 'self' ${frame.join(' ')}`.trim(),
      "base-uri 'none'",
    ].join('; '),
  );
  res.setHeader('Cache-Control', 'no-store');
  // A token in the URL (signed link) must not leak to the sites a page links to.
  res.setHeader('Referrer-Policy', 'no-referrer');
  const nonce = randomBytes(8).toString('hex');
  const keep = Object.entries(options.keep ?? {});
  const page = html`<!doctype html>
    <html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Credbridge</title>
        <link rel="stylesheet" href="${STATIC_PATH}/app.css" />
      </head>
      <body>
        <a class="skip" href="#main">${t('skipToContent')}</a>
        <header class="top">
          <span class="brand">Credbridge</span>
          ${
            options.nav?.length
              ? html`<nav aria-label="${t('mainNavigation')}">
                  <ul>
                    ${options.nav.map(
                      (n) =>
                        html`<li>
                          <a href="${n.href}" ${n.current ? html` aria-current="page"` : ''}>${n.label}</a>
                        </li>`,
                    )}
                  </ul>
                </nav>`
              : ''
          }
          <form class="lang" method="get">
            ${keep.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
            <label for="lang-${nonce}">${t('language')}</label>
            <select id="lang-${nonce}" name="lang">
              ${EU_LANGUAGES.map(
                (l) =>
                  html`<option value="${l}" ${l === lang ? html` selected` : ''}>
                    ${LANGUAGE_NAMES[l]}
                  </option>`,
              )}
            </select>
            <button type="submit">${t('change')}</button>
          </form>
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${body}
        </main>
        ${(options.scripts ?? []).map((s) => html`<script src="${STATIC_PATH}/${s}" defer></script>`)}
      </body>
    </html>`;
  res
    .status(options.status ?? 200)
    .type('html')
    .send(page.value);
}
