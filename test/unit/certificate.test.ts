import { describe, expect, it } from '@jest/globals';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { translator } from '../../src/i18n/catalogs.js';
import { exampleTemplate, sampleCredentialView } from '../helpers/credentials.js';
import { readImageDataUri } from '../../src/badges/data-uri.js';
import { certificatePdf, paperFor } from '../../src/ui/certificate.js';
import { DEFAULT_BRANDING } from '../../src/institutions/branding.js';

/** The printed certificate's layout, read back with pdf.js: paper, pictures, and nothing drawn over anything. */
const view = sampleCredentialView({
  title: 'Applied Data Analysis with Python, a micro-credential with a long title that wraps',
  // The most the certificate lists, each long enough to wrap.
  outcomes: Array.from(
    { length: 10 },
    (_, i) => `Outcome ${i + 1}: clean, reshape and document tabular data with pandas for others to reuse`,
  ),
  sealedBy: { holder: 'Atlantic Polytechnic Institute', test: false },
});
const t = translator('en');
const COLOURS = { color: DEFAULT_BRANDING.color, accent: DEFAULT_BRANDING.accent };
/** The example template's badge as the certificate gets it: PNG bytes. */
const PNG_BADGE = readImageDataUri(exampleTemplate().badgeImage?.dataUri)!.bytes;

async function read(pdf: Buffer) {
  const page = await (await getDocument({ data: new Uint8Array(pdf) }).promise).getPage(1);
  const [, , width, height] = page.view as number[];
  const ops = await page.getOperatorList();
  const images = ops.fnArray.filter((f) => f === OPS.paintImageXObject).length;
  const items = (await page.getTextContent()).items.flatMap((i) =>
    'str' in i && i.str.trim() ? [{ text: i.str, y: i.transform[5] as number }] : [],
  );
  // The colours drawn with (pdf.js gives each as a #rrggbb string).
  const colours = new Set(
    ops.fnArray.flatMap((f, i) =>
      f === OPS.setStrokeRGBColor || f === OPS.setFillRGBColor ? [String(ops.argsArray[i]?.[0])] : [],
    ),
  );
  return { width: Math.round(width!), height: Math.round(height!), images, items, colours };
}

describe('the certificate PDF', () => {
  it('prints on A4 or US Letter with the badge, the seal holder on the signature line, and nothing overlapping', async () => {
    for (const [paper, size] of [
      ['a4', [595, 842]],
      ['letter', [612, 792]],
    ] as const) {
      const pdf = await read(
        await certificatePdf(view, 'https://cred.example/credentials/c1', t, 'en', {
          paper,
          ...COLOURS,
          badge: PNG_BADGE,
        }),
      );
      expect([pdf.width, pdf.height]).toEqual(size);
      expect(pdf.images).toBe(2); // the badge and the QR code
      const line = pdf.items.find(
        (i) => i.text === t('seal.sealedBy', { holder: 'Atlantic Polytechnic Institute' }) && i.y < 300,
      );
      expect(line).toBeDefined();
      // Every outcome sits above the signature line (PDF y grows upwards).
      const outcomes = pdf.items.filter((i) => /Outcome \d+|reuse|…/.test(i.text));
      expect(Math.min(...outcomes.map((o) => o.y))).toBeGreaterThan(line!.y + 20);
      // As many as fit: all ten, or the first ones and "…" (the verification page lists them all).
      const listed = new Set(outcomes.flatMap((o) => /Outcome (\d+)/.exec(o.text)?.[1] ?? []));
      expect(listed.size === 10 || (listed.size >= 5 && outcomes.at(-1)!.text === '…')).toBe(true);
    }
    // Without pictures to print, the QR code alone; unsealed, the issuer signs.
    const plain = await read(
      await certificatePdf({ ...view, sealedBy: undefined }, 'https://cred.example/c', t, 'en'),
    );
    expect(plain.images).toBe(1);
    expect(plain.items.some((i) => i.text === 'Atlantic Polytechnic Institute' && i.y < 300)).toBe(true);
  });

  it('is drawn in the institution’s colours with its logo', async () => {
    const branded = await read(
      await certificatePdf(view, 'https://cred.example/c', t, 'en', {
        paper: 'a4',
        color: '#7a1f5c',
        accent: '#22a06b',
        badge: PNG_BADGE,
        logo: PNG_BADGE,
      }),
    );
    expect(branded.images).toBe(3); // the logo, the badge and the QR code
    expect([...branded.colours]).toEqual(expect.arrayContaining(['#7a1f5c', '#22a06b']));
    // Unbranded: the default colours; a picture PDF cannot read is left out, the rest whole.
    const plain = await read(
      await certificatePdf(view, 'https://cred.example/c', t, 'en', {
        paper: 'a4',
        ...COLOURS,
        badge: Buffer.from('not a picture'),
      }),
    );
    expect(plain.images).toBe(1);
    expect(plain.colours.has('#7a1f5c')).toBe(false);
    expect(plain.colours.has(COLOURS.color)).toBe(true);
  });

  it('picks the paper of the reader’s region', () => {
    expect(paperFor('en-US,en;q=0.9')).toBe('letter');
    expect(paperFor('es-MX')).toBe('letter');
    expect(paperFor('en-GB,en;q=0.9')).toBe('a4');
    expect(paperFor('de')).toBe('a4');
    expect(paperFor(undefined)).toBe('a4');
  });
});
