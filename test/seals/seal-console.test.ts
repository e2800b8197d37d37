import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createInstitution } from '../../src/institutions/institutions.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { AuditEvent } from '../../src/db/models/audit-event.js';
import { consoleSession } from '../helpers/console.js';
import { exampleTemplate } from '../helpers/institution.js';
import { makeSealCa } from '../helpers/seal-ca.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * The console's seal page through real HTTP, as an institution administrator uses it: a PKCS#12 file uploaded
 * (multipart) with its password, a wrong password named, PEM pasted, rotation, a labelled test seal; another
 * institution's administrator sees none of it, and an upload without the session's CSRF token is refused.
 */
const ca = makeSealCa();
let tool: ToolUnderTest;
let a: Awaited<ReturnType<typeof consoleSession>>;
let b: Awaited<ReturnType<typeof consoleSession>>;

beforeAll(async () => {
  tool = await startTool();
  const kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  const profile = exampleTemplate().awardingBodies[0]!;
  for (const id of ['seal-a', 'seal-b'])
    await createInstitution(
      { id, profile: { ...profile, legalName: { en: id } } },
      { publicUrl: tool.url, kek },
    );
  a = await consoleSession(tool.url, 'admin-seal-a', 'seal-a');
  b = await consoleSession(tool.url, 'admin-seal-b', 'seal-b');
}, 60_000);

afterAll(async () => {
  await tool?.close();
  ca.remove();
});

const p12Form = (password: string, file = ca.pkcs12('rsa', 'right one')) => {
  const form = new FormData();
  form.set('pkcs12', new Blob([new Uint8Array(file)], { type: 'application/x-pkcs12' }), 'seal.p12');
  form.set('password', password);
  return form;
};

describe('the seal page of the console', () => {
  it('starts with no seal, and says what that means', async () => {
    const page = await (await a.get('/admin/seal')).text();
    expect(page).toContain('No seal yet: European credentials are signed, not sealed for Europass.');
    expect(page).toMatch(/<a[^>]*href="\/admin\/seal"[^>]*>Seal<\/a>/);
  });

  it('names a wrong password and keeps nothing', async () => {
    const res = await a.upload('/admin/seal/import', p12Form('wrong one'));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('password: the password does not open this PKCS#12 file');
    expect(await (await a.get('/admin/seal')).text()).toContain('No seal yet');
  });

  it('imports a PKCS#12 file and shows what its certificate says', async () => {
    const res = await a.upload('/admin/seal/import', p12Form('right one'));
    expect(res.status).toBe(303);
    const page = await (await a.get(res.headers.get('location')!)).text();
    expect(page).toContain('The seal is in use: new credentials are sealed with it.');
    expect(page).toContain('Atlantic Polytechnic Institute');
    expect(page).toContain('CN=Credbridge Test Seal CA');
    expect(page).toContain('No: not a qualified certificate');
    const audit = await AuditEvent.findOne({ action: 'seal.import', institutionId: 'seal-a' }).lean();
    expect(audit).not.toBeNull();
    // The password and the key never reach the audit log.
    expect(JSON.stringify(audit)).not.toMatch(/right one|PRIVATE KEY/);
  });

  it('rotates to a pasted PEM seal and lists the earlier one as retired; then a labelled test seal', async () => {
    const pem = ca.pem('ec');
    const form = new FormData();
    form.set('privateKey', pem.key);
    form.set('certificates', pem.chain);
    expect((await a.upload('/admin/seal/import', form)).status).toBe(303);
    let page = await (await a.get('/admin/seal')).text();
    expect(page).toContain('Earlier seals');
    expect(page.match(/retired on /g)).toHaveLength(1);
    expect((await a.post('/admin/seal/test')).status).toBe(303);
    page = await (await a.get('/admin/seal')).text();
    expect(page).toContain('Test seal, not qualified');
    expect(page).toContain('CN=Credbridge test seal, not qualified');
    expect(page.match(/retired on /g)).toHaveLength(2);
  });

  it('keeps institutions apart and refuses an upload without the session’s token or too large', async () => {
    const other = await (await b.get('/admin/seal')).text();
    expect(other).toContain('No seal yet');
    expect(other).not.toContain('Atlantic Polytechnic Institute');
    expect((await b.upload('/admin/seal/import', p12Form('right one'), false)).status).toBe(403);
    const big = await b.upload('/admin/seal/import', p12Form('x', Buffer.alloc(70 * 1024, 1)));
    expect(big.status).toBe(400);
    expect(await big.text()).toContain('pkcs12: File too large');
    expect(await (await b.get('/admin/seal')).text()).toContain('No seal yet');
  });
});
