import nodemailer, { type Transporter } from 'nodemailer';
import { learnerAddress } from './address.js';
import { credentialIssuedMail, mailLanguage } from './messages.js';
import { escape as escapeHtml } from '../render/html.js';

export interface CredentialMail {
  to: string;
  name: string;
  locale?: string | null;
  /** The credential's title, already in the learner's language where the template has it. */
  title: string;
  issuer: string;
  url: string;
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? '');
}

/** Renders the "credential issued" e-mail in the learner's language, as plain text and escaped HTML. */
export function renderCredentialMail(mail: CredentialMail): { subject: string; text: string; html: string } {
  const t = credentialIssuedMail[mailLanguage(mail.locale)];
  const values = { name: mail.name, title: mail.title, issuer: mail.issuer, url: mail.url };
  const safe = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeHtml(v)]));
  const text = [
    fill(t.greeting, values),
    '',
    fill(t.body, values),
    '',
    `${t.action}: ${mail.url}`,
    '',
    t.footer,
  ].join('\n');
  const html = [
    `<p>${fill(t.greeting, safe)}</p>`,
    `<p>${fill(t.body, safe)}</p>`,
    `<p><a href="${safe.url}">${escapeHtml(t.action)}</a></p>`,
    `<p style="color:#555;font-size:small">${escapeHtml(t.footer)}</p>`,
  ].join('\n');
  return { subject: fill(t.subject, values), text, html };
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
