import type { Request, Response } from 'express';
import { EU_LANGUAGES, languageOf, type Language } from '../i18n/languages.js';
import { parseCookies } from './cookies.js';

const LANG_COOKIE = 'credbridge_lang';
const OFFERED = ['en', ...EU_LANGUAGES.filter((l) => l !== 'en')];

/**
 * The reader's language: a switch (`?lang=`, then remembered in a cookie) wins, then the LTI launch locale,
 * then the browser's Accept-Language (negotiated by Express, so `pt-BR` finds `pt`), then English. The e-mail
 * uses the same languages (languageOf on the learner's LMS locale).
 */
export function pickLanguage(req: Request, res: Response, launchLocale?: string | null): Language {
  const asked = typeof req.query.lang === 'string' ? languageOf(req.query.lang) : undefined;
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
  // English first: a wildcard (`*`, which fetch clients send) then means English, not the list's first entry.
  const negotiated = req.get('accept-language') ? req.acceptsLanguages(...OFFERED) : false;
  return (
    languageOf(parseCookies(req)[LANG_COOKIE]) ??
    languageOf(launchLocale) ??
    (negotiated ? languageOf(negotiated) : undefined) ??
    'en'
  );
}
