import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { issueAndStoreCredential } from '../../src/credentials/credential-store.js';
import { Institution } from '../../src/institutions/institution-model.js';
import { findIssuer, signingIssuer } from '../../src/issuers/issuers.js';
import { installationDocumentLoader } from '../../src/issuers/resolvers.js';
import { LtiCourse } from '../../src/lti/models.js';
import { registerPlatform } from '../../src/lti/platforms.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { findTemplateVersion, importTemplate, publishTemplate } from '../../src/templates/lifecycle.js';
import { hashToken, randomToken } from '../../src/web/cookies.js';
import { LaunchSession, SESSION_COOKIES } from '../../src/web/sessions.js';
import { svgToPng } from '../../src/badges/rasterize.js';
import { writeChunk } from '../../src/badges/baking.js';
import { freePort } from '../../scripts/services/process.js';
import { brandingForm, consoleSession } from '../helpers/console.js';
import { createTestInstitution, exampleTemplate } from '../helpers/institution.js';
import { startEntry, waitForStatus, type RunningProcess } from '../helpers/processes.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * Attacks on institution branding (colours and logo), the badge generated from it and the branded certificate,
 * from outside over HTTP as a stranger or a hostile institution administrator would. Every test asserts that the
 * defence HOLDS; see the report for which ones fail today.
 *
 * - SSRF / local files: a logo full of external references (image, xlink, nested SVG, feImage, CSS @import and
 *   @font-face, url() fills) never makes the server fetch a loopback canary, through the console, the generated
 *   badge or the public certificate; resvg itself loads nothing, even from an unsanitised SVG.
 * - DoS: a tiny sanitised logo (a filter) must not freeze the web process's event loop when a stranger asks for a
 *   certificate (unauthenticated, unthrottled) or when the badge is generated.
 * - DoS: a logo resvg cannot draw (absurd aspect ratio) must not leak WebAssembly memory on every certificate.
 * - Crash: a PNG logo that passes the PNG check (CRCs intact) but whose pixels do not decode must not take down
 *   the web process serving the certificate (a separate real process, `src/server.ts`).
 * - Injection: colours that are not #rrggbb (attribute break-outs, look-alikes, duplicates, JSON) are refused,
 *   a logo cannot be smuggled as a text field, titles and names with XML characters make a valid badge.
 * - Authorisation: CSRF, another institution, an operator, an LMS-launched administrator, a stranger.
 */

let tool: ToolUnderTest;
let admin: Awaited<ReturnType<typeof consoleSession>>;
let other: Awaited<ReturnType<typeof consoleSession>>;
let operator: Awaited<ReturnType<typeof consoleSession>>;
let credentialId = '';
let draftPath = '';
let canary: Server;
let canaryUrl = '';
const canaryHits: string[] = [];
let web: RunningProcess | undefined;
let webUrl = '';

const U = 'atk-u';
const V = 'atk-v';

const stored = async (id: string) => (await Institution.findById(id).lean())?.branding;

const uploadLogo = (svgOrPng: string | Buffer, colours = { color: '#7a1f5c', accent: '#22a06b' }) =>
  admin.upload(
    '/admin/institution/branding',
    brandingForm(
      colours,
      typeof svgOrPng === 'string'
        ? { name: 'logo.svg', type: 'image/svg+xml', body: svgOrPng }
        : { name: 'logo.png', type: 'image/png', body: svgOrPng },
    ),
  );

const certificate = (base = tool.url, signal?: AbortSignal) =>
  fetch(`${base}/credentials/${credentialId}/files/certificate.pdf`, signal ? { signal } : {});

/** Runs `fn` while sampling this process's event loop (the tool runs in it): the longest stall, in ms. */
async function stallDuring<T>(fn: () => Promise<T>): Promise<{ result: T; stall: number }> {
  let stall = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last - 20);
    last = now;
  }, 20);
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 60));
    return { result, stall };
  } finally {
    clearInterval(timer);
  }
}

// --- PNG building (valid chunk CRCs, so badge-image.ts's check passes) ---
const chunk = (type: string, data: Buffer) => writeChunk({ type, data });
/** A 4×4 RGBA PNG whose chunks are intact but whose IDAT is not zlib data. */
function pngWithBrokenPixels(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(4, 0);
  ihdr.writeUInt32BE(4, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA: pdfkit must decode the pixels to split the alpha channel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from('these bytes are not zlib data')),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const SVG_NS = 'xmlns="http://www.w3.org/2000/svg"';
/** A small logo that makes resvg work for seconds per render: feTurbulence has no cap on its octaves. */
const turbulenceLogo = (octaves: number) =>
  `<svg ${SVG_NS} width="10" height="10"><filter id="f"><feTurbulence baseFrequency="0.5" numOctaves="${octaves}"/></filter><rect width="10" height="10" filter="url(#f)"/></svg>`;

/** Every way an SVG could reference something outside itself, pointing at the loopback canary or local files. */
function hostileSvg(base: string): string {
  const nested = Buffer.from(
    `<svg ${SVG_NS} width="10" height="10"><image href="${base}/nested-data-svg" width="10" height="10"/></svg>`,
  ).toString('base64');
  return `<?xml version="1.0"?>
<!DOCTYPE svg SYSTEM "${base}/dtd">
<svg ${SVG_NS} xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100" viewBox="0 0 100 100">
  <style>@import url(${base}/css-import); @font-face { font-family: evil; src: url(${base}/font); } rect { fill: url(${base}/css-fill) }</style>
  <image href="${base}/image" width="10" height="10"/>
  <image xlink:href="${base}/xlink-image" width="10" height="10"/>
  <image href="file:///etc/passwd" width="10" height="10"/>
  <image href="${resolve('docs/images/instructor-dashboard.png')}" width="100" height="100"/>
  <image href="file://${resolve('docs/images/instructor-dashboard.png')}" width="100" height="100"/>
  <image href="data:image/svg+xml;base64,${nested}" width="10" height="10"/>
  <svg x="50" y="50" width="20" height="20"><image href="${base}/inner-svg-image" width="20" height="20"/></svg>
  <use href="${base}/use.svg#x"/>
  <filter id="f"><feImage href="${base}/feimage"/></filter>
  <rect width="10" height="10" filter="url(#f)" fill="url(${base}/fill-attr)" style="fill: url(${base}/style-attr)"/>
  <pattern id="p" href="${base}/pattern"/>
  <a href="${base}/link"><text y="50" font-family="evil">x</text></a>
</svg>`;
}

beforeAll(async () => {
  canary = createServer((req, res) => {
    canaryHits.push(req.url ?? '');
    res.end('hit');
  });
  canary.listen(0, '127.0.0.1');
  await once(canary, 'listening');
  canaryUrl = `http://127.0.0.1:${(canary.address() as { port: number }).port}`;

  tool = await startTool({ RATE_LIMIT_DISABLED: 'true' });
  // A second real web process on the same storage, for the attack that crashes the process.
  const webPort = await freePort();
  webUrl = `http://127.0.0.1:${webPort}`;
  web = startEntry('src/server.ts', { ...tool.env, PORT: String(webPort), LOG_LEVEL: 'error' });

  const kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  const { issuer } = await createTestInstitution(tool, {
    id: U,
    settings: { ltiAdminsAreAdmins: true, manualAwardApproval: false },
  });
  await createTestInstitution(tool, { id: V, rootDid: false });
  admin = await consoleSession(tool.url, 'atk-admin', U);
  other = await consoleSession(tool.url, 'atk-other', V);
  operator = await consoleSession(tool.url, 'atk-operator');

  const published = await importTemplate(U, { ...exampleTemplate(), key: 'atk-pub' });
  await publishTemplate(U, published.key, published.version);
  const draft = await importTemplate(U, { ...exampleTemplate(), key: 'atk-draft', badgeImage: undefined });
  draftPath = `/admin/templates/${draft.key}/${draft.version}`;

  credentialId = `atk-${randomToken(6)}`;
  const signing = await signingIssuer((await findIssuer(issuer._id))!, kek);
  await issueAndStoreCredential({
    template: { ...published.data, version: published.version },
    issuer: signing,
    learner: { fullName: 'Ada Learner' },
    learnerRef: 'atk-platform:learner-1',
    evidence: { grade: '90', courseTitle: 'Course', assessedAt: new Date().toISOString() },
    credentialId,
    publicUrl: tool.url,
    documentLoader: installationDocumentLoader(tool.url),
  });
}, 60_000);

afterAll(async () => {
  web?.child.kill('SIGKILL');
  canary?.close();
  await tool?.close();
});

describe('SSRF and local files through the logo', () => {
  it('a logo full of external references is stored without them and nothing is ever fetched', async () => {
    const saved = await uploadLogo(hostileSvg(canaryUrl));
    expect(saved.status).toBe(303);
    const logo = (await stored(U))!.logo!;
    const text = Buffer.from(logo.split(',')[1]!, 'base64').toString('utf8');
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toMatch(/file:|\/etc\/passwd|docs\/images|@import|@font-face|DOCTYPE|ENTITY/);

    // Everything that draws it: the console page (preview), the generated badge, the public certificate.
    expect((await admin.get('/admin/institution')).status).toBe(200);
    expect((await admin.post(`${draftPath}/badge-image/generate`)).status).toBe(303);
    const res = await certificate();
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(canaryHits).toEqual([]);
  });

  it('resvg itself loads nothing: an unsanitised SVG with URLs and local paths draws none of them', async () => {
    let png: Buffer | undefined;
    try {
      png = await svgToPng(hostileSvg(canaryUrl), { width: 100, height: 100 });
    } catch {
      // refusing to draw it is a defence too
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(canaryHits).toEqual([]);
    if (png) {
      // The local screenshot referenced by path and by file:// URL would cover the whole picture if read.
      const { data } = PNG.sync.read(png);
      const covered = [...Array(data.length / 4).keys()].filter((i) => data[i * 4 + 3]! > 0).length;
      expect(covered / (data.length / 4)).toBeLessThan(0.5);
    }
    // Control: the canary does count what reaches it.
    await fetch(`${canaryUrl}/control`);
    expect(canaryHits).toEqual(['/control']);
  });
});

describe('denial of service through the rasterizer', () => {
  it('a stranger’s certificate request with a pathological logo does not freeze the web process', async () => {
    // Warm up (resvg's WebAssembly compiled, fonts read) with an ordinary logo.
    expect(
      (await uploadLogo(`<svg ${SVG_NS} width="10" height="10"><rect width="10" height="10"/></svg>`)).status,
    ).toBe(303);
    expect((await certificate()).status).toBe(200);

    // ~200 bytes; 100 octaves is ~2-4 s per certificate here, 100000 octaves is more than half an hour.
    const upload = await uploadLogo(turbulenceLogo(100));
    if (upload.status === 400) return; // refused at the door: held
    expect(upload.status).toBe(303);
    const { result, stall } = await stallDuring(() => certificate(tool.url, AbortSignal.timeout(20_000)));
    expect(result.status).toBe(200);
    // No single request may hold the event loop that serves every institution for a second.
    expect(stall).toBeLessThan(1000);
  }, 30_000);

  it('generating a badge from a pathological logo does not freeze the web process', async () => {
    // Drawn at 68 px inside the badge: ~0.33 ms per octave, so 5000 is ~2-3 s (and 10^7 is about an hour).
    const upload = await uploadLogo(turbulenceLogo(5000));
    if (upload.status === 400) return;
    expect(upload.status).toBe(303);
    const { result, stall } = await stallDuring(() => admin.post(`${draftPath}/badge-image/generate`));
    expect([303, 400]).toContain(result.status);
    expect(stall).toBeLessThan(1000);
  }, 30_000);

  it('a logo resvg cannot draw (a 1 × 100000 viewBox) is left out without leaking memory on each request', async () => {
    // resvg traps ("unreachable") allocating the pixmap; Resvg.free() then throws "recursive use of an object"
    // and the parsed tree stays in the WebAssembly memory, which never shrinks (about 4 GB after ~40 requests
    // with a 140 KB text logo, each also ~12 s of CPU).
    const text = `<text x="0" y="10" font-size="10">${'Wg@ '.repeat(2500)}</text>`;
    const upload = await uploadLogo(`<svg ${SVG_NS} viewBox="0 0 1 100000">${text}</svg>`);
    if (upload.status === 400) return;
    expect(upload.status).toBe(303);
    expect((await certificate()).status).toBe(200); // the certificate is still whole
    expect((await certificate()).status).toBe(200);
    const before = process.memoryUsage().external;
    for (let i = 0; i < 6; i++) expect((await certificate()).status).toBe(200);
    const grown = (process.memoryUsage().external - before) / 1e6;
    expect(grown).toBeLessThan(8); // MB over six requests (about 6 MB each today)
  }, 30_000);

  it('a tall logo (a 1 × 100 viewBox, 100 bytes) does not make a stranger’s request allocate a huge bitmap', async () => {
    // Last of these: its high-water mark would hide the leak above. Drawn 440 px wide, aspect kept: 440 × 44000
    // px (77 MB of pixels alone), and the WebAssembly memory never shrinks (1 × 2000 is 3.2 GB and 21 s of CPU
    // per certificate).
    const upload = await uploadLogo(
      `<svg ${SVG_NS} viewBox="0 0 1 100"><rect width="1" height="100" fill="#123456"/></svg>`,
    );
    if (upload.status === 400) return;
    expect(upload.status).toBe(303);
    const before = process.memoryUsage().external;
    const { result, stall } = await stallDuring(() => certificate());
    expect(result.status).toBe(200);
    expect((process.memoryUsage().external - before) / 1e6).toBeLessThan(50);
    expect(stall).toBeLessThan(1000);
  }, 30_000);
});

describe('a PNG logo that passes the PNG check but not pdfkit', () => {
  it('does not take down the web process serving the certificate', async () => {
    const upload = await uploadLogo(pngWithBrokenPixels());
    expect([303, 400]).toContain(upload.status);
    await waitForStatus(`${webUrl}/healthz`, 200, 30_000);
    // (fetch's errors come from another realm than jest's Error: tell them apart by `status`.)
    const answer = (r: Response | { message: string }) =>
      'status' in r ? r.status : `no answer (${r.message}); web process: ${web!.output().slice(-300)}`;
    const res = await certificate(webUrl, AbortSignal.timeout(10_000)).catch(
      (err: { message: string }) => err,
    );
    expect(answer(res)).toBe(200);
    const health = await fetch(`${webUrl}/healthz`).catch((err: { message: string }) => err);
    expect(answer(health)).toBe(200);
    expect(web!.child.exitCode).toBeNull();
  }, 45_000);
});

describe('injection through colours, names and titles', () => {
  it('refuses every colour that is not #rrggbb and stores nothing', async () => {
    await admin.upload(
      '/admin/institution/branding',
      brandingForm({ color: '#102030', accent: '#405060', removeLogo: '1' }),
    );
    const before = await stored(U);
    const bad: Record<string, string | string[]>[] = [
      { color: '#123456" onload="alert(1)', accent: '#22a06b' },
      { color: '#123456"/><script>alert(1)</script>', accent: '#22a06b' },
      { color: '#12345', accent: '#22a06b' },
      { color: '#1234567', accent: '#22a06b' },
      { color: 'url(#x)', accent: '#22a06b' },
      { color: '#１２３４５６', accent: '#22a06b' }, // fullwidth digits
      { color: '#123456;fill:url(http://x)', accent: '#22a06b' },
      { color: '#123456\n<script>', accent: '#22a06b' },
      { color: ['#123456', '" onload="x'], accent: '#22a06b' }, // the field twice
      { color: '#123456', accent: 'transparent' },
      { color: '#123456' }, // accent missing
    ];
    for (const fields of bad) {
      const res = await admin.upload('/admin/institution/branding', brandingForm(fields));
      expect(`${JSON.stringify(fields)} -> ${res.status}`).toBe(`${JSON.stringify(fields)} -> 400`);
      const body = await res.text();
      expect(body).not.toContain('<script>alert');
      expect(body).not.toContain('onload="');
    }
    expect(await stored(U)).toEqual(before);

    // Spaces around a colour are only trimmed, and the stored value is the canonical one.
    expect(
      (
        await admin.upload(
          '/admin/institution/branding',
          brandingForm({ color: ' #ABCDEF ', accent: '#22A06B' }),
        )
      ).status,
    ).toBe(303);
    expect(await stored(U)).toMatchObject({ color: '#abcdef', accent: '#22a06b' });
  });

  it('a logo cannot be smuggled in as a text field (urlencoded or JSON) instead of a checked file', async () => {
    const raw = `data:image/svg+xml;base64,${Buffer.from(`<svg ${SVG_NS} onload="alert(1)"><image href="${canaryUrl}/smuggled"/></svg>`).toString('base64')}`;
    const before = await stored(U);
    await admin.post('/admin/institution/branding', { color: '#111111', accent: '#222222', logo: raw });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(
      await (await admin.get('/admin/institution')).text(),
    )![1]!;
    await fetch(`${tool.url}/admin/institution/branding`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: `credbridge_admin=${admin.token}`,
        'content-type': 'application/json',
        accept: 'text/html',
      },
      body: JSON.stringify({
        _csrf: csrf,
        color: '#111111',
        accent: '#222222',
        logo: raw,
        branding: { logo: raw },
      }),
    });
    const after = await stored(U);
    expect(after?.logo).toBe(before?.logo);
    expect(JSON.stringify(after)).not.toContain(raw);
  });

  it('titles and names full of XML characters make a valid badge, never a server error', async () => {
    await Institution.updateOne({ _id: U }, { $set: { name: 'Ü & <Co> "Ltd" ]]> &amp; <!--' } });
    const tricky = await importTemplate(U, {
      ...exampleTemplate(),
      key: 'atk-xml',
      title: { en: `A & B <svg onload=alert(1)> "q" 'r' ]]> &lt; <![CDATA[x]]> <!-- -->` },
      badgeImage: undefined,
    });
    const path = `/admin/templates/${tricky.key}/${tricky.version}`;
    expect((await admin.post(`${path}/badge-image/generate`)).status).toBe(303);
    const uri = (await findTemplateVersion(U, tricky.key, tricky.version))!.data.badgeImage!.dataUri!;
    const png = PNG.sync.read(Buffer.from(uri.split(',')[1]!, 'base64'));
    expect([png.width, png.height]).toEqual([400, 400]);
    // The console page with the name in its preview is a page, not an error.
    expect((await admin.get('/admin/institution')).status).toBe(200);
  });

  it('a title with characters XML cannot hold is refused by name or cleaned, not a 500', async () => {
    const ctl = await importTemplate(U, {
      ...exampleTemplate(),
      key: 'atk-ctl',
      title: { en: 'Data\u0001Analysis\u0008 \uFFFE' },
      badgeImage: undefined,
    });
    const res = await admin.post(`/admin/templates/${ctl.key}/${ctl.version}/badge-image/generate`);
    expect([303, 400]).toContain(res.status);
  });
});

describe('who may change branding and generate badges', () => {
  it('CSRF: without the session’s token neither the branding nor the badge changes', async () => {
    const before = await stored(U);
    const noToken = await admin.upload(
      '/admin/institution/branding',
      brandingForm({ color: '#000001', accent: '#000002' }),
      false,
    );
    expect(noToken.status).toBe(403);
    const otherToken = brandingForm({ color: '#000001', accent: '#000002', _csrf: 'x'.repeat(43) });
    expect((await admin.upload('/admin/institution/branding', otherToken, false)).status).toBe(403);
    // A cross-site form: the session cookie rides along, the token does not.
    const crossSite = await fetch(`${tool.url}/admin/institution/branding`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: `credbridge_admin=${admin.token}`,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'color=%23000001&accent=%23000002&removeLogo=1',
    });
    expect(crossSite.status).toBe(403);
    expect(await stored(U)).toEqual(before);

    const badge = (await findTemplateVersion(U, 'atk-draft', 1))!.data.badgeImage;
    const gen = await fetch(`${tool.url}${draftPath}/badge-image/generate`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: `credbridge_admin=${admin.token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    expect(gen.status).toBe(403);
    expect((await findTemplateVersion(U, 'atk-draft', 1))!.data.badgeImage).toEqual(badge);
  });

  it('another institution, an operator and a stranger cannot change U’s branding or badges', async () => {
    await admin.upload('/admin/institution/branding', brandingForm({ color: '#0a0b0c', accent: '#0d0e0f' }));
    const before = await stored(U);
    const badge = (await findTemplateVersion(U, 'atk-draft', 1))!.data.badgeImage;
    expect(
      (
        await other.upload(
          '/admin/institution/branding',
          brandingForm({ color: '#ffffff', accent: '#ffffff' }),
        )
      ).status,
    ).toBe(303); // its own
    expect((await other.post(`${draftPath}/badge-image/generate`)).status).toBe(404);
    expect(
      (
        await operator.upload(
          '/admin/institution/branding',
          brandingForm({ color: '#ffffff', accent: '#ffffff' }),
        )
      ).status,
    ).toBe(403);
    const stranger = await fetch(`${tool.url}/admin/institution/branding`, {
      method: 'POST',
      redirect: 'manual',
      body: brandingForm({ color: '#ffffff', accent: '#ffffff' }),
    });
    expect([401, 403, 302, 303]).toContain(stranger.status);
    if (stranger.status === 303 || stranger.status === 302)
      expect(stranger.headers.get('location')).toMatch(/login/);
    const strangerGen = await fetch(`${tool.url}${draftPath}/badge-image/generate`, {
      method: 'POST',
      redirect: 'manual',
    });
    expect([401, 403, 404, 302, 303]).toContain(strangerGen.status);
    if (strangerGen.status === 303 || strangerGen.status === 302)
      expect(strangerGen.headers.get('location')).toMatch(/login/);
    expect(await stored(U)).toEqual(before);
    expect((await findTemplateVersion(U, 'atk-draft', 1))!.data.badgeImage).toEqual(badge);
    expect((await stored(V))?.color).toBe('#ffffff');
  });

  it('an LMS-launched administrator (no console account) cannot change the branding', async () => {
    const platform = await registerPlatform(U, {
      issuer: 'https://lms-atk.example',
      clientId: 'tool',
      authLoginUrl: 'https://lms-atk.example/auth',
      tokenUrl: 'https://lms-atk.example/token',
      jwksUrl: 'https://lms-atk.example/jwks',
      deploymentIds: ['d1'],
    });
    const course = await LtiCourse.create({
      platformId: String(platform._id),
      deploymentId: 'd1',
      contextId: 'ATK',
      title: 'ATK',
    });
    const token = randomToken();
    const csrf = randomToken();
    await LaunchSession.create({
      tokenHash: hashToken(token),
      institutionId: U,
      platformId: String(platform._id),
      deploymentId: 'd1',
      courseId: String(course._id),
      userId: 'lms-admin',
      role: 'admin',
      csrfToken: csrf,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    // Control: this session does reach U's console (U lets its LMS administrators in).
    const page = await fetch(`${tool.url}/admin/institution`, {
      headers: { cookie: `${SESSION_COOKIES.launch}=${token}`, accept: 'text/html' },
      redirect: 'manual',
    });
    expect(page.status).toBe(200);
    const before = await stored(U);
    const form = brandingForm({ color: '#ff0000', accent: '#00ff00', removeLogo: '1', _csrf: csrf });
    const res = await fetch(`${tool.url}/admin/institution/branding`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `${SESSION_COOKIES.launch}=${token}`, accept: 'text/html' },
      body: form,
    });
    expect(res.status).toBe(403);
    expect(await stored(U)).toEqual(before);
  });

  it('the console shows the logo and the preview only as data: images under a script-less CSP', async () => {
    await uploadLogo(
      `<svg ${SVG_NS} width="10" height="10" onload="alert(1)"><rect width="10" height="10"/></svg>`,
    );
    const res = await admin.get('/admin/institution');
    const page = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline'?\s*;?\s*$|script-src[^;]*unsafe/);
    const imgs = [...page.matchAll(/<img[^>]*class="(?:badge-preview|logo)"[^>]*>/g)].map((m) => m[0]);
    expect(imgs.length).toBe(2);
    for (const img of imgs) {
      expect(img).toMatch(/src="data:image\/(svg\+xml|png);base64,[A-Za-z0-9+/=]+"/);
      expect(img).not.toMatch(/onload|onerror|javascript:/i);
    }
    const logo = (await stored(U))!.logo!;
    expect(Buffer.from(logo.split(',')[1]!, 'base64').toString()).not.toContain('onload');
  });
});
