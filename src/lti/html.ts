import type { Request, Response } from 'express';
import { translator } from '../i18n/catalogs.js';
import { html } from '../render/html.js';
import { pickLanguage } from '../web/language.js';
import { sendPage, type PageOptions } from '../web/standalone-page.js';

/** A form that posts itself to `action` (the LTI way of handing a signed message back to the platform). */
export function sendAutoPost(
  req: Request,
  res: Response,
  action: string,
  fields: Record<string, string>,
  options: PageOptions = {},
): void {
  const lang = pickLanguage(req, res, req.ltiSession?.locale);
  const t = translator(lang);
  sendPage(
    res,
    200,
    t('autopost.title'),
    html`<form id="autopost" method="post" action="${action}">
      ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
      <button type="submit">${t('autopost.continue')}</button>
    </form>`,
    {
      ...options,
      lang,
      formTargets: [action, ...(options.formTargets ?? [])],
      script: "document.getElementById('autopost').submit();",
    },
  );
}
