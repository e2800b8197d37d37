import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { translator } from '../../src/i18n/catalogs.js';
import type { CredentialView } from '../../src/ui/credential-view.js';
import { certificatePdf, paperFor } from '../../src/ui/certificate.js';

/** The printed certificate's layout, read back with pdf.js: paper, pictures, and nothing drawn over anything. */
const template = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as {
  badgeImage: { dataUri: string };
};
const view: CredentialView = {
  id: 'c1',
  title: 'Applied Data Analysis with Python, a micro-credential with a long title that wraps',
  description: '',
  issuer: 'Atlantic Polytechnic Institute',
  learnerName: 'Zoë Ó Súilleabháin',
  issuedAt: new Date('2026-12-01T10:00:00Z'),
  validUntil: new Date('2031-12-01T10:00:00Z'),
  level: 'EQF 5',
  workload: '2 ECTS',
  // The most the certificate lists, each long enough to wrap.
  outcomes: Array.from(
    { length: 10 },
    (_, i) => `Outcome ${i + 1}: clean, reshape and document tabular data with pandas for others to reuse`,
  ),
  image: template.badgeImage.dataUri,
  imageIsPng: true,
  state: 'valid',
  sealedBy: { holder: 'Atlantic Polytechnic Institute', test: false },
};
const t = translator('en');

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
        await certificatePdf(view, 'https://cred.example/credentials/c1', t, 'en', paper),
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
    // Without a picture PDF can draw, the QR code alone; unsealed, the issuer signs.
    const plain = await read(
      await certificatePdf(
        { ...view, image: undefined, sealedBy: undefined },
        'https://cred.example/c',
        t,
        'en',
      ),
    );
    expect(plain.images).toBe(1);
    expect(plain.items.some((i) => i.text === 'Atlantic Polytechnic Institute' && i.y < 300)).toBe(true);
  });

  it('is drawn in the institution’s colours with its logo, an SVG badge and logo drawn as pictures', async () => {
    const svg = (fill: string) =>
      `data:image/svg+xml;base64,${Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="18" fill="${fill}"/></svg>`,
      ).toString('base64')}`;
    const branded = await read(
      await certificatePdf({ ...view, image: svg('#aa0000') }, 'https://cred.example/c', t, 'en', 'a4', {
        color: '#7a1f5c',
        accent: '#22a06b',
        logo: svg('#0000aa'),
      }),
    );
    expect(branded.images).toBe(3); // the logo, the badge and the QR code
    expect([...branded.colours]).toEqual(expect.arrayContaining(['#7a1f5c', '#22a06b']));
    // Unbranded: the default colours, and a picture that is not one (a broken SVG) simply left out.
    const plain = await read(
      await certificatePdf(
        { ...view, image: 'data:image/svg+xml;base64,' + Buffer.from('<svg').toString('base64') },
        'https://cred.example/c',
        t,
        'en',
      ),
    );
    expect(plain.images).toBe(1);
    expect(plain.colours.has('#7a1f5c')).toBe(false);
    expect(plain.colours.has('#1d4f91')).toBe(true);
  });

  it('picks the paper of the reader’s region', () => {
    expect(paperFor('en-US,en;q=0.9')).toBe('letter');
    expect(paperFor('es-MX')).toBe('letter');
    expect(paperFor('en-GB,en;q=0.9')).toBe('a4');
    expect(paperFor('de')).toBe('a4');
    expect(paperFor(undefined)).toBe('a4');
  });
});
