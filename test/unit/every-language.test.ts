import { describe, expect, it } from '@jest/globals';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { translator } from '../../src/i18n/catalogs.js';
import { EU_LANGUAGES } from '../../src/i18n/languages.js';
import { renderCredentialMail } from '../../src/notifications/mailer.js';
import { certificatePdf } from '../../src/ui/certificate.js';
import { sampleCredentialView } from '../helpers/credentials.js';

/** The certificate and the learner e-mail in each of the 24 EU languages, read back as a person would get them. */
const view = sampleCredentialView({ title: 'Ανάλυση δεδομένων — Łódź — Žilina — Ħamrun' });

/** Every text of the first page, without the line breaks and spacing layout puts in. */
async function pdfText(pdf: Buffer): Promise<string> {
  const doc = await getDocument({ data: new Uint8Array(pdf) }).promise;
  const content = await (await doc.getPage(1)).getTextContent();
  return content.items
    .map((i) => ('str' in i ? i.str : ''))
    .join('')
    .replace(/\s+/g, '');
}
const squeeze = (s: string) => s.replace(/\s+/g, '');

describe('every EU language', () => {
  it.each(EU_LANGUAGES)(
    '%s: the certificate carries its labels and every letter of the names',
    async (lang) => {
      const t = translator(lang);
      const text = await pdfText(await certificatePdf(view, 'https://cred.example/credentials/c1', t, lang));
      for (const words of [
        t('certificate').toLocaleUpperCase(lang),
        t('certifiesThat'),
        t('hasEarned'),
        t('scanToVerify'),
        view.title,
        view.learnerName,
      ])
        expect({ lang, words, found: text.includes(squeeze(words)) }).toEqual({ lang, words, found: true });
    },
  );

  it.each(EU_LANGUAGES)('%s: the learner e-mail is written in it', (lang) => {
    const t = translator(lang);
    const values = { name: 'Zoë', title: 'Data', issuer: 'API', url: 'https://cred.example/x' };
    const wallet = { eu: 'https://cred.example/my/wallet-offer?kind=eu', badge: 'https://cred.example/b' };
    const mail = renderCredentialMail({ to: 'zoe@example.org', locale: `${lang}-XX`, ...values, wallet });
    expect(mail.subject).toBe(t('mail.subject', values));
    expect(mail.text).toContain(t('mail.body', values));
    expect(mail.html).toContain(`>${t('mail.action')}</a>`);
    expect(mail.text).toContain(`${t('wallet.addEu')}: ${wallet.eu}`);
    expect(mail.html).toContain(t('mail.wallets'));
  });
});
