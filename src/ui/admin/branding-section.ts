import type { Request } from 'express';
import { MAX_BADGE_BYTES } from '../../badges/badge-image.js';
import { badgeSvg } from '../../badges/generated-badge.js';
import type { Branding } from '../../institutions/branding.js';
import type { Translate } from '../../i18n/catalogs.js';
import { html, type Html } from '../../render/html.js';

/**
 * The institution page's branding form: two colours, a logo (PNG or SVG, checked like a badge) and a preview of the
 * badge made from them, drawn as SVG in the page (the stored badge is its PNG).
 */
export function brandingSection(t: Translate, csrf: Html, branding: Branding, institutionName: string): Html {
  const preview = badgeSvg({
    title: t('branding.sampleTitle'),
    ribbon: institutionName,
    ...branding,
  });
  const colour = (name: 'color' | 'accent') =>
    html`<label for="brand-${name}">${t(`branding.${name}`)}</label>
      <input id="brand-${name}" name="${name}" type="color" value="${branding[name]}" required />`;
  return html`<section class="panel branding" aria-labelledby="branding-h">
    <h2 id="branding-h">${t('branding.heading')}</h2>
    <p class="hint">${t('branding.help')}</p>
    <img
      class="badge-preview"
      src="data:image/svg+xml;base64,${Buffer.from(preview).toString('base64')}"
      alt="${t('branding.preview')}"
      width="160"
      height="160"
    />
    <form method="post" action="/admin/institution/branding" enctype="multipart/form-data" class="stack">
      ${csrf} ${colour('color')} ${colour('accent')}
      ${
        branding.logo
          ? html`<img class="logo" src="${branding.logo}" alt="${t('branding.currentLogo')}" height="48" />
              <label
                ><input type="checkbox" name="removeLogo" value="1" /> ${t('branding.removeLogo')}</label
              >`
          : ''
      }
      <label for="brand-logo">${t('branding.logo')}</label>
      <input id="brand-logo" name="logo" type="file" accept="image/png,image/svg+xml" />
      <p class="hint">${t('badge.help', { max: Math.round(MAX_BADGE_BYTES / 1000) })}</p>
      <button type="submit">${t('branding.save')}</button>
    </form>
  </section>`;
}

/** The form's logo: a new file, `null` to remove the stored one, undefined to keep it. */
export function logoFrom(req: Request): Buffer | null | undefined {
  const file = (req as Request & { file?: { buffer: Buffer } }).file;
  if (file?.buffer.length) return file.buffer;
  return (req.body as { removeLogo?: unknown }).removeLogo === '1' ? null : undefined;
}
