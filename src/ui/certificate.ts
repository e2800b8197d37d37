import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { DEFAULT_BRANDING } from '../institutions/branding.js';
import { fonts } from '../render/fonts.js';
import { PRINTED_SIZES } from '../badges/printable.js';
import type { CredentialView } from './credential-view.js';
import type { Translate } from '../i18n/catalogs.js';
import type { Language } from '../i18n/languages.js';
import { formatDate } from './views/credential-card.js';

export const PAPER_SIZES = ['a4', 'letter'] as const;
export type PaperSize = (typeof PAPER_SIZES)[number];

/** Where US Letter is the paper in the printer: the Americas that use it, and the Philippines. */
const LETTER_REGIONS = new Set([
  'US',
  'CA',
  'MX',
  'CL',
  'CO',
  'VE',
  'PH',
  'PR',
  'GT',
  'CR',
  'PA',
  'DO',
  'SV',
  'NI',
  'HN',
]);

/** The paper a reader's first Accept-Language region prints on (`en-US` -> Letter); A4 otherwise. */
export function paperFor(acceptLanguage: string | undefined): PaperSize {
  const region = /^[a-z]{2,3}-([A-Z]{2})\b/i.exec((acceptLanguage ?? '').trim())?.[1]?.toUpperCase();
  return region && LETTER_REGIONS.has(region) ? 'letter' : 'a4';
}

/** How a certificate looks: its paper, the institution's colours, and the pictures to print (PNGs from printablePng). */
export interface CertificateLook {
  paper: PaperSize;
  color: string;
  accent: string;
  badge?: Buffer;
  logo?: Buffer;
}

/**
 * A printable one-page certificate on A4 or US Letter, in the institution's colours with its logo: the badge, who
 * earned what from whom, when, the key facts, who sealed it, a signature line for the awarding body, and a QR code
 * to the public verification page, which is the thing to trust (the PDF itself is not signed).
 */
export async function certificatePdf(
  view: CredentialView,
  verifyUrl: string,
  t: Translate,
  lang: Language,
  look: CertificateLook = { paper: 'a4', color: DEFAULT_BRANDING.color, accent: DEFAULT_BRANDING.accent },
): Promise<Buffer> {
  const { paper, badge, logo } = look;
  const qr = await QRCode.toBuffer(verifyUrl, { errorCorrectionLevel: 'M', margin: 1, width: 240 });
  const doc = new PDFDocument({
    size: paper === 'letter' ? 'LETTER' : 'A4',
    margin: 56,
    info: { Title: view.title, Author: view.issuer, Subject: t('certificate') },
    lang,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));

  const width = doc.page.width - 112;
  // The foot of the page: the QR code at the bottom, the awarding body's signature line above it.
  const qrSize = 110;
  const bottom = doc.page.height - 56 - qrSize - 10;
  const signatureLine = bottom - 34;
  doc
    .rect(28, 28, doc.page.width - 56, doc.page.height - 56)
    .lineWidth(2)
    .stroke(look.color);
  doc
    .rect(34, 34, doc.page.width - 68, doc.page.height - 68)
    .lineWidth(0.8)
    .stroke(look.accent);
  // resvg's PNGs are ones pdfkit reads; should one still fail, the certificate is whole without it.
  const draw = (picture: Buffer | undefined, x: number, y: number, [w, h]: readonly [number, number]) => {
    if (!picture) return false;
    try {
      doc.image(picture, x, y, { fit: [w, h], align: 'center', valign: 'center' });
      return true;
    } catch {
      return false;
    }
  };
  draw(logo, 48, 46, PRINTED_SIZES.logo);
  const [badgeWidth] = PRINTED_SIZES.badge;
  const top = draw(badge, (doc.page.width - badgeWidth) / 2, 52, PRINTED_SIZES.badge) ? 148 : 80;
  doc
    .font(fonts.regular)
    .fontSize(12)
    .fillColor('#444')
    .text(t('certificate').toLocaleUpperCase(lang), 56, top, {
      width,
      align: 'center',
      characterSpacing: 2,
    });
  doc.moveDown(1.5).fontSize(14).fillColor('#222').text(t('certifiesThat'), { width, align: 'center' });
  doc
    .moveDown(0.5)
    .font(fonts.bold)
    .fontSize(26)
    .text(view.learnerName || '—', { width, align: 'center' });
  doc.moveDown(0.5).font(fonts.regular).fontSize(14).text(t('hasEarned'), { width, align: 'center' });
  doc
    .moveDown(0.5)
    .font(fonts.bold)
    .fontSize(22)
    .fillColor(look.color)
    .text(view.title, { width, align: 'center' });
  doc.moveDown(0.8).font(fonts.regular).fontSize(13).fillColor('#222');
  doc.text(`${t('issuer')}: ${view.issuer}`, { width, align: 'center' });
  doc.text(`${t('issuedOn')}: ${formatDate(view.issuedAt, lang)}`, { width, align: 'center' });
  if (view.sealedBy) {
    const test = view.sealedBy.test ? ` (${t('seal.testLabel')})` : '';
    doc.text(`${t('seal.sealedBy', { holder: view.sealedBy.holder })}${test}`, { width, align: 'center' });
  }
  if (view.validUntil)
    doc.text(`${t('validUntil')}: ${formatDate(view.validUntil, lang)}`, { width, align: 'center' });
  const line = [
    view.level && `${t('level')}: ${view.level}`,
    view.workload && `${t('workload')}: ${view.workload}`,
  ]
    .filter(Boolean)
    .join('   ·   ');
  if (line) doc.text(line, { width, align: 'center' });
  if (view.outcomes.length) {
    doc.moveDown(1).font(fonts.bold).fontSize(12).text(t('outcomes'), 56);
    doc.font(fonts.regular).fontSize(10.5);
    // Down to the signature line at most (a long title or many outcomes): the rest is on the verification page.
    const limit = signatureLine - 8;
    for (const outcome of view.outcomes.slice(0, 10)) {
      if (doc.y + doc.heightOfString(`•  ${outcome}`, { width, lineGap: 2 }) > limit) {
        doc.text('…', { width });
        break;
      }
      doc.text(`•  ${outcome}`, { width, lineGap: 2 });
    }
  }
  if (view.state !== 'valid') {
    doc
      .moveDown(1)
      .font(fonts.bold)
      .fontSize(14)
      .fillColor('#b00020')
      .text(t(`state.${view.state}`), {
        width,
        align: 'center',
      });
  }
  // The awarding body's line, above the QR code: its name under a rule, and who sealed it when sealed.
  const signatureWidth = 220;
  const signatureX = doc.page.width - 56 - signatureWidth;
  doc
    .moveTo(signatureX, signatureLine)
    .lineTo(signatureX + signatureWidth, signatureLine)
    .lineWidth(0.8)
    .stroke('#444');
  doc
    .font(fonts.regular)
    .fontSize(10)
    .fillColor('#222')
    .text(
      view.sealedBy ? t('seal.sealedBy', { holder: view.sealedBy.holder }) : view.issuer,
      signatureX,
      signatureLine + 6,
      {
        width: signatureWidth,
        align: 'center',
      },
    );
  doc.image(qr, 56, bottom, { width: qrSize, height: qrSize });
  doc
    .font(fonts.regular)
    .fontSize(10)
    .fillColor('#222')
    .text(t('scanToVerify'), 56 + qrSize + 16, bottom + 20, {
      width: width - qrSize - 16,
    });
  doc
    .fontSize(9)
    .fillColor(look.color)
    .text(verifyUrl, { width: width - qrSize - 16, link: verifyUrl });
  doc.end();
  return done;
}
