import nodemailer, { type Transporter } from 'nodemailer';
import { learnerAddress } from './address.js';

import { translator } from '../i18n/catalogs.js';
import { languageOf } from '../i18n/languages.js';
import { escape as escapeHtml } from '../render/html.js';

export interface CredentialMail {
  to: string;
  name: string;
  locale?: string | null;
  /** The credential's title, already in the learner's language where the template has it. */
  title: string;
  issuer: string;
  url: string;
  /** Who sealed the European credential for Europass, when it is sealed: the e-mail says where to take it. */
  sealHolder?: string;
  /** The pages that offer this credential to a wallet app (each makes a fresh, single-use offer). */
  wallet?: { eu: string; badge: string };
}

/** Renders the "credential issued" e-mail in the learner's language, as plain text and escaped HTML. */
export function renderCredentialMail(mail: CredentialMail): { subject: string; text: string; html: string } {
  const t = translator(languageOf(mail.locale) ?? 'en');
  const values = { name: mail.name, title: mail.title, issuer: mail.issuer, url: mail.url };
  const safe = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeHtml(v)]));
  const text = [
    t('mail.greeting', values),
    '',
    t('mail.body', values),
    '',
    `${t('mail.action')}: ${mail.url}`,
    '',
    ...(mail.sealHolder ? [t('mail.europass', { holder: mail.sealHolder }), ''] : []),
    ...(mail.wallet
      ? [
          t('mail.wallets'),
          `- ${t('wallet.addEu')}: ${mail.wallet.eu}`,
          `- ${t('wallet.addOpenBadge')}: ${mail.wallet.badge}`,
          '',
        ]
      : []),
    t('mail.footer'),
  ].join('\n');
  const html = [
    `<p>${t('mail.greeting', safe)}</p>`,
    `<p>${t('mail.body', safe)}</p>`,
    `<p><a href="${safe.url}">${escapeHtml(t('mail.action'))}</a></p>`,
    ...(mail.sealHolder ? [`<p>${escapeHtml(t('mail.europass', { holder: mail.sealHolder }))}</p>`] : []),
    ...(mail.wallet
      ? [
          `<p>${escapeHtml(t('mail.wallets'))} <a href="${escapeHtml(mail.wallet.eu)}">${escapeHtml(t('wallet.addEu'))}</a> · ` +
            `<a href="${escapeHtml(mail.wallet.badge)}">${escapeHtml(t('wallet.addOpenBadge'))}</a></p>`,
        ]
      : []),
    `<p style="color:#555;font-size:small">${escapeHtml(t('mail.footer'))}</p>`,
  ].join('\n');
  return { subject: t('mail.subject', values), text, html };
}

export interface Mailer {
  sendCredentialMail(mail: CredentialMail): Promise<void>;
  close(): void;
}

/** SMTP through nodemailer; without SMTP_URL, mail is not sent (and the caller records that). */
export function createMailer(smtpUrl: string | undefined, from: string): Mailer | undefined {
  if (!smtpUrl) return undefined;
  const transport: Transporter = nodemailer.createTransport(smtpUrl);
  return {
    async sendCredentialMail(mail) {
      // nodemailer would read a list or a display name in `to` as recipients of its own; the address itself
      // stays out of the error, which reaches the logs.
      const to = learnerAddress(mail.to);
      if (!to) throw new Error('refusing to send: the recipient is not one valid e-mail address');
      const rendered = renderCredentialMail(mail);
      await transport.sendMail({ from, to, ...rendered });
    },
    close: () => transport.close(),
  };
}
