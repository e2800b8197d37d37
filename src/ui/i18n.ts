import type { Request, Response } from 'express';
import { MAIL_LANGUAGES, mailLanguage, type MailLanguage } from '../notifications/messages.js';
import { parseCookies } from '../web/cookies.js';
import { messages, type MessageKey } from './messages.js';

export type UiLanguage = MailLanguage;
export const UI_LANGUAGES = MAIL_LANGUAGES;
export const LANGUAGE_NAMES: Record<UiLanguage, string> = {
  en: 'English',
  es: 'Español',
  pt: 'Português',
  de: 'Deutsch',
  el: 'Ελληνικά',
};
const LANG_COOKIE = 'credbridge_lang';

function supported(tag: string | undefined): UiLanguage | undefined {
  const lang = mailLanguage(tag);
  return lang !== 'en' || (tag ?? '').toLowerCase().startsWith('en') ? lang : undefined;
}

/** The first supported language of an Accept-Language header, by quality. */
function fromAcceptLanguage(header: string | undefined): UiLanguage | undefined {
  const tags = (header ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.find((p) => p.trim().startsWith('q='));
      return { tag: tag!.trim(), q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .filter((t) => t.tag && t.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of tags) {
    const lang = supported(tag);
    if (lang) return lang;
  }
  return undefined;
}

/**
 * The screen language: a switch (`?lang=`, then remembered in a cookie) wins, then the LTI launch locale,
 * then the browser's Accept-Language, then English. The same picking as the e-mails (mailLanguage).
 */
export function pickLanguage(req: Request, res: Response, launchLocale?: string): UiLanguage {
  const asked = typeof req.query.lang === 'string' ? supported(req.query.lang) : undefined;
  if (asked) {
    res.cookie(LANG_COOKIE, asked, {
      httpOnly: true,
      sameSite: 'lax',
      secure: req.secure,
      path: '/',
      maxAge: 365 * 86_400_000,
    });
    return asked;
  }
  return (
    supported(parseCookies(req)[LANG_COOKIE]) ??
    (launchLocale ? supported(launchLocale) : undefined) ??
    fromAcceptLanguage(req.get('accept-language')) ??
    'en'
  );
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: UiLanguage): Translate {
  return (key, vars = {}) =>
    (messages[lang][key] ?? messages.en[key]).replace(/\{(\w+)\}/g, (m, name: string) =>
      name in vars ? String(vars[name]) : m,
    );
}
