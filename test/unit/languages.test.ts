import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { translator } from '../../src/i18n/catalogs.js';
import { EU_LANGUAGES, languageOf, textIn } from '../../src/i18n/languages.js';
import { describeIssues } from '../../src/i18n/problems.js';
import { renderCredentialMail } from '../../src/notifications/mailer.js';
import { organisationSchema, templateSchema } from '../../src/templates/schema.js';
import { HttpError, errorHandler } from '../../src/web/errors.js';
import { pickLanguage } from '../../src/web/language.js';
import { silentLogger } from '../helpers/env.js';

/** An app answering the language it picks for each request, and a page that fails with a 404 for a browser. */
function app() {
  const a = express();
  a.get('/lang', (req, res) => {
    res.json(pickLanguage(req, res, typeof req.query.launch === 'string' ? req.query.launch : undefined));
  });
  a.get('/missing', () => {
    throw new HttpError(404, 'not_found', 'No credential 42');
  });
  a.use(errorHandler(silentLogger()));
  return a;
}

describe('the reader’s language', () => {
  it.each([
    ['pl-PL,pl;q=0.9,en;q=0.8', 'pl'],
    ['pt-BR', 'pt'],
    ['ja, ga;q=0.5', 'ga'],
    ['ja', 'en'],
    ['*', 'en'],
    ['fr;q=0, mt', 'mt'],
  ])('negotiates Accept-Language %s as %s', async (header, lang) => {
    const res = await request(app()).get('/lang').set('Accept-Language', header);
    expect(res.body).toBe(lang);
  });

  it('lets a switch win and remembers it; the launch locale beats the browser', async () => {
    const agent = request.agent(app());
    const switched = await agent.get('/lang?lang=lv').set('Accept-Language', 'de');
    expect(switched.body).toBe('lv');
    expect(switched.headers['set-cookie']?.[0]).toMatch(/^credbridge_lang=lv;/);
    expect((await agent.get('/lang').set('Accept-Language', 'de')).body).toBe('lv');
    const launched = await request(app()).get('/lang?launch=hr_HR').set('Accept-Language', 'de');
    expect(launched.body).toBe('hr');
    // A language outside the 24 is no switch.
    expect((await request(app()).get('/lang?lang=xx').set('Accept-Language', 'et')).body).toBe('et');
  });

  it('shows an error page in the reader’s language, the message kept for the administrator', async () => {
    const res = await request(app()).get('/missing').set('Accept', 'text/html').set('Accept-Language', 'fr');
    expect(res.status).toBe(404);
    const fr = translator('fr');
    expect(res.text).toContain('<html lang="fr">');
    expect(res.text).toContain(fr('errorPage.notFound'));
    expect(res.text).toContain(fr('errorPage.details', { message: 'No credential 42' }));
  });

  it('reads locales of every shape and finds a text in the best language it has', () => {
    expect(EU_LANGUAGES.map((l) => languageOf(`${l.toUpperCase()}_XX`))).toEqual([...EU_LANGUAGES]);
    expect(languageOf('zh-CN')).toBeUndefined();
    expect(textIn({ fr: 'Titre', pl: 'Tytuł' }, 'pl')).toBe('Tytuł');
    expect(textIn({ fr: 'Titre', pl: 'Tytuł' }, 'de', 'fr')).toBe('Titre');
    // Neither asked nor English: the first in the EU's order (mt before pl).
    expect(textIn({ pl: 'Tytuł', mt: 'Titlu' }, 'de')).toBe('Titlu');
    expect(textIn({ en: 'Title', mt: 'Titlu' }, 'de')).toBe('Title');
  });
});

describe('validation problems in the reader’s language', () => {
  it('names each field with a problem in the language’s plural forms', () => {
    const parsed = organisationSchema.safeParse({
      legalName: {},
      country: 'ireland',
      homepage: 'ftp://x',
      shortName: 'x'.repeat(101),
      extra: 1,
    });
    expect(parsed.success).toBe(false);
    const pl = translator('pl');
    const problems = describeIssues(parsed.error!, pl);
    expect(problems).toEqual(
      expect.arrayContaining([
        `legalName: ${pl('problem.required')}`,
        `country: ${pl('problem.countryCode')}`,
        `homepage: ${pl('problem.invalidFormat', { format: 'url' })}`,
        `shortName: ${pl('problem.tooBig', { origin: 'string', maximum: 100 })}`,
        `(root): ${pl('problem.unrecognizedKeys', { count: 1, keys: 'extra' })}`,
      ]),
    );
    // Polish counts 2–4 and 5+ differently; English has one form beyond one.
    const lastWord = (n: number) => pl('problem.tooSmall', { origin: 'array', minimum: n }).split(' ').pop();
    expect(lastWord(2)).not.toBe(lastWord(5));
    expect(describeIssues(parsed.error!)).toContain('country: ' + translator('en')('problem.countryCode'));
  });

  it('accepts a template written in any EU language, English not required', () => {
    const parsed = templateSchema.safeParse({
      format: 'credbridge-template/1',
      key: 'mt-only',
      title: { mt: 'Analiżi tad-data' },
    });
    expect(parsed.success).toBe(true);
    const none = templateSchema.safeParse({ format: 'credbridge-template/1', key: 'none', title: {} });
    expect(describeIssues(none.error!, translator('ga'))).toEqual([
      `title: ${translator('ga')('problem.required')}`,
    ]);
  });
});

describe('the learner e-mail', () => {
  it.each(['fi-FI', 'ga', 'bg'])('is written in %s, values escaped in its HTML', (locale) => {
    const mail = renderCredentialMail({
      to: 'a@example.org',
      name: '<Aino>',
      locale,
      title: 'Data & analysis',
      issuer: 'Uni',
      url: 'https://cred.example/c/1',
    });
    const t = translator(languageOf(locale)!);
    expect(mail.subject).toBe(t('mail.subject', { title: 'Data & analysis' }));
    expect(mail.text).toContain(t('mail.footer'));
    expect(mail.html).toContain('&lt;Aino&gt;');
    expect(mail.html).not.toContain('<Aino>');
  });
});
