import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { CredentialView } from './credential-view.js';
import type { Translate } from '../i18n/catalogs.js';
import type { Language } from '../i18n/languages.js';
import { formatDate } from './views/credential-card.js';

/**
 * PDF's built-in fonts cover Western European letters only; DejaVu Sans (a dependency, so every install has it)
 * covers the Latin, Greek and Cyrillic of all 24 EU languages, and pdfkit embeds only the glyphs used.
 */
const FONT_DIR = join(
  dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
  'ttf',
);
const fonts = { regular: join(FONT_DIR, 'DejaVuSans.ttf'), bold: join(FONT_DIR, 'DejaVuSans-Bold.ttf') };

/**
 * A printable one-page A4 certificate: who earned what from whom, when, the key facts, and a QR code to the
 * public verification page, which is the thing to trust (the PDF itself is not signed).
 */
export async function certificatePdf(
  view: CredentialView,
  verifyUrl: string,
  t: Translate,
  lang: Language,
): Promise<Buffer> {
  const qr = await QRCode.toBuffer(verifyUrl, { errorCorrectionLevel: 'M', margin: 1, width: 240 });
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: view.title, Author: view.issuer, Subject: t('certificate') },
    lang,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));

  const width = doc.page.width - 112;
  doc
    .rect(28, 28, doc.page.width - 56, doc.page.height - 56)
    .lineWidth(2)
    .stroke('#1d4f91');
  doc
    .font(fonts.regular)
    .fontSize(12)
    .fillColor('#444')
    .text(t('certificate').toLocaleUpperCase(lang), 56, 80, {
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
    .fillColor('#1d4f91')
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
    for (const outcome of view.outcomes.slice(0, 10)) doc.text(`•  ${outcome}`, { width, lineGap: 2 });
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
  const qrSize = 110;
  const bottom = doc.page.height - 56 - qrSize - 10;
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
    .fillColor('#1d4f91')
    .text(verifyUrl, { width: width - qrSize - 16, link: verifyUrl });
  doc.end();
  return done;
}
