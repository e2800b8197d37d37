import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { verifyCredential } from '../../src/credentials/verifier.js';
import { installationVerification } from '../../src/issuers/recognition.js';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { generateDidKey } from '../../src/credentials/did-key.js';
import { createDocumentLoader } from '../../src/credentials/document-loader.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { LtiPlatform } from '../../src/lti/models.js';
import { learnerLinkKey, learnerPageUrl } from '../../src/issuance/links.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { importTemplate } from '../../src/templates/lifecycle.js';
import { Template } from '../../src/templates/template-model.js';
import { createAdminUser } from '../../src/accounts/accounts.js';
import { createTestSeal } from '../../src/seals/seals.js';
import { makeSealCa } from '../helpers/seal-ca.js';
import { issueExamplePair } from '../helpers/credentials.js';
import type { RunningProcess } from '../helpers/processes.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { setUpInstitution } from '../helpers/lti.js';
import { PlatformSimulator } from '../simulator/platform.js';
import { SCREENSHOTS, screenshot, seriousViolations, startChromium, type Chromium } from './chromium.js';
import { translator } from '../../src/i18n/catalogs.js';
import { EU_LANGUAGES } from '../../src/i18n/languages.js';
import { renderCredentialMail } from '../../src/notifications/mailer.js';

/**
 * The screens in a real browser (Debian's chromium), driven through the LTI platform simulator against the
 * whole tool with a real worker process: instructor, learner, stranger, administrator.
 */
const LEARNERS = 12;
const learnerIds = Array.from({ length: LEARNERS }, (_, i) => String(2000 + i));
const quizOf = (i: number) => (i % 3 === 0 ? 30 : 80);
const projectOf = (i: number) => (i % 4 === 0 ? 40 : 90);
const qualifies = (i: number) => quizOf(i) >= 50 && projectOf(i) >= 60;
const QUALIFIED = learnerIds.filter((_, i) => qualifies(i));
const TEMPLATE_KEY = 'applied-data-analysis-python';

let tool: ToolUnderTest;
let sim: PlatformSimulator;
let worker: RunningProcess;
let browser: Chromium;
let kek: Buffer;
let clientId: string;
let institutionId: string;

/** The text of a PNG's `iTXt` chunk with the keyword `openbadgecredential` (OB 3.0 baking), walked chunk by chunk. */
function bakedInPng(png: Buffer): string {
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'iTXt' && data.toString('latin1', 0, 20) === 'openbadgecredential\0') {
      // keyword \0, flag 0, method 0, empty language tag \0, empty translated keyword \0, then the text
      return data.subarray(24).toString('utf8');
    }
    at += 12 + length;
  }
  throw new Error('no baked credential in the PNG');
}

/** Text as a reader sees it: white space folded. */
const words = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();

async function accessible(page: Page, name: string): Promise<void> {
  const violations = await seriousViolations(page);
  expect({ page: name, violations }).toEqual({ page: name, violations: [] });
  await screenshot(page, name);
}

async function launch(page: Page, userId: string): Promise<void> {
  // What the LMS does when someone opens the activity: send the browser to the tool's login URL.
  const { url, params } = sim.loginRequest(clientId, userId, '2');
  await page.goto(`${url}?${new URLSearchParams(params)}`);
  await page.waitForURL(/\/lti\/(courses\/[0-9a-f]{24}|me\/credentials)/);
}

beforeAll(async () => {
  tool = await startTool({
    ISSUE_BACKOFF_MS: '200',
    ISSUE_CLAIM_TIMEOUT_MS: '5000',
    RECONCILE_INTERVAL_MS: '2000',
    WORKER_CONCURRENCY: '2',
  });
  sim = await new PlatformSimulator().start();
  kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  ({ clientId, institutionId } = await setUpInstitution(sim, tool));
  // Credentials issued here are sealed for Europass with a test seal (the administrator imports a real one below).
  await createTestSeal(institutionId, 'Atlantic Polytechnic Institute', kek);

  sim.addUser('3', 'Terry Teacher');
  sim.addCourse('2', 'Applied Data Analysis', 'ADA101');
  sim.enrol('2', '3', 'Instructor');
  const quiz = sim.addLineItem('2', 'Quiz 1', { clientId, scoreMaximum: 100 });
  const project = sim.addLineItem('2', 'Project', { clientId, scoreMaximum: 100 });
  learnerIds.forEach((id, i) => {
    sim.addUser(id, `Learner ${id}`);
    sim.enrol('2', id, 'Learner');
    sim.grade(quiz.id, id, quizOf(i));
    sim.grade(project.id, id, projectOf(i));
  });
  [worker, browser] = await Promise.all([tool.startWorker(), startChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  worker?.child.kill('SIGTERM');
  await tool?.close();
  await sim?.stop();
});

describe('instructor dashboard', () => {
  it('enables and maps a template by picking assessments, and watches the batch reach 100%', async () => {
    const page = await browser.context.newPage();
    await launch(page, '3');
    await accessible(page, 'instructor-dashboard-empty');

    const form = page.locator(`form.enable-form[data-template="${TEMPLATE_KEY}"]`);
    await form.getByLabel('Proved by').nth(0).selectOption({ label: 'Quiz 1' });
    await form.getByLabel('Pass threshold (%)').nth(0).fill('50');
    await form.getByLabel('Proved by').nth(1).selectOption({ label: 'Project' });
    await form.getByLabel('Pass threshold (%)').nth(1).fill('60');
    await form.getByRole('button', { name: 'Enable' }).click();

    const section = page.locator('section.binding');
    await section.waitFor();
    // The bar reads 100% whenever no request is open, so also after a sync that failed and will be retried
    // (nothing requested yet): wait for the batch itself, and say what the sync and the worker saw if it never comes.
    const batchDone = async () =>
      (await section.locator('progress').getAttribute('value')) === '100' &&
      (await section.locator('[data-count="issued"] b').textContent()) === String(QUALIFIED.length);
    for (const deadline = Date.now() + 120_000; !(await batchDone());) {
      if (Date.now() > deadline) {
        const sync = (await CourseBinding.findOne({ templateId: TEMPLATE_KEY }, { sync: 1 }).lean())?.sync;
        throw new Error(
          `batch not done; sync ${JSON.stringify(sync)}; worker: ${worker.output().slice(-4000)}`,
        );
      }
      await page.waitForTimeout(500);
    }
    expect(await section.locator('.percent').textContent()).toBe('100%');
    expect(await section.locator('[data-count="issued"] b').textContent()).toBe(String(QUALIFIED.length));
    expect(await IssuanceRequest.countDocuments({ state: 'issued' })).toBe(QUALIFIED.length);

    await section.getByRole('button', { name: 'Dry run' }).click();
    const rows = section.locator('.dry-run-result tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(LEARNERS);
    await expect(section.locator('.dry-run-result').textContent()).resolves.toMatch(/Quiz 1: 30%, needs 50%/);

    await page.reload();
    await page.locator('table.requests tbody tr').first().waitFor();
    expect(await page.locator('table.requests tbody tr').count()).toBe(QUALIFIED.length);
    await accessible(page, 'instructor-dashboard-issued');

    const csv = await Promise.all([
      page.waitForEvent('download'),
      section.getByRole('link', { name: 'Export CSV' }).click(),
    ]).then(([d]) => d.path().then((p) => readFile(p, 'utf8')));
    expect(csv.split('\r\n')[0]).toBe(
      'learner_id,name,email,state,issued_at,reason,flag,credential_id,replaced_by,reissue_reason',
    );
    await page.close();
  }, 240_000);

  it('revokes one credential with a reason', async () => {
    const page = await browser.context.newPage();
    await launch(page, '3');
    const target = (await IssuanceRequest.findOne({ state: 'issued', learnerId: QUALIFIED[0] }).lean())!;
    const row = page.locator(`tr[data-request-row="${target._id}"]`);
    await row.getByLabel('Action').selectOption({ label: 'Revoke' });
    await row.getByLabel('Reason').fill('Academic misconduct found');
    await row.getByRole('button', { name: 'Apply' }).click();
    await page.locator(`tr[data-request-row="${target._id}"] .state-revoked`).waitFor();
    expect((await IssuanceRequest.findById(target._id).lean())!.state).toBe('revoked');
    await page.close();
  }, 60_000);
});

describe('learner', () => {
  it('sees the credential as a card and downloads OB3, ELM and the PDF certificate', async () => {
    const page = await browser.context.newPage();
    await launch(page, QUALIFIED[1]!);
    const card = page.locator('article.card');
    await card.first().waitFor();
    expect(await card.count()).toBe(1);
    await expect(card.textContent()).resolves.toMatch(/Valid/);
    await expect(card.textContent()).resolves.toMatch(/ECTS/);
    await accessible(page, 'learner-credentials');

    const download = async (name: RegExp) => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        card.getByRole('link', { name }).click(),
      ]);
      return readFile((await file.path())!);
    };
    const ob3 = JSON.parse((await download(/Download Open Badge/)).toString('utf8')) as { type: string[] };
    expect(ob3.type).toContain('OpenBadgeCredential');
    // Sealed for Europass: the file is the JAdES document, its payload the European credential.
    await expect(card.locator('[data-seal="sealed"]').textContent()).resolves.toMatch(
      /sealed by Atlantic Polytechnic Institute[\s\S]*Test seal, not qualified/,
    );
    const sealed = JSON.parse((await download(/Sealed credential for Europass/)).toString('utf8')) as {
      payload: string;
      signatures: unknown[];
    };
    expect(sealed.signatures).toHaveLength(1);
    expect((JSON.parse(sealed.payload) as { type: string[] }).type).toContain('EuropeanDigitalCredential');
    const pdf = await download(/certificate/);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    // The badge pictures with the Open Badge baked in: read back without the product's code (the PNG's chunks
    // walked here, the SVG parsed by the browser), each is the downloaded credential, and it verifies.
    const png = await download(/Badge image \(PNG\)/);
    expect(PNG.sync.read(png).width).toBeGreaterThan(0); // still a PNG any reader opens
    const fromPng = bakedInPng(png);
    const svg = (await download(/Badge image \(SVG\)/)).toString('utf8');
    const fromSvg = (await page.evaluate(
      `new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml')` +
        `.getElementsByTagNameNS('https://purl.imsglobal.org/ob/v3p0', 'credential')[0]?.textContent ?? ''`,
    )) as string;
    const verification = installationVerification({ PUBLIC_URL: tool.url, TRUSTED_ISSUERS: [] });
    for (const baked of [fromPng, fromSvg]) {
      expect(JSON.parse(baked)).toEqual(ob3);
      expect((await verifyCredential(JSON.parse(baked), verification)).verified).toBe(true);
    }

    const share = await card.getByLabel('Share link').inputValue();
    expect(share).toMatch(/\/credentials\/[^/]+$/);
    const linkedIn = await card.getByRole('link', { name: 'Add to LinkedIn' }).getAttribute('href');
    expect(linkedIn).toContain('https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME');
    await page.close();
  }, 120_000);

  it('sees what is still missing towards the course’s credential, with the grades the LMS holds', async () => {
    // A learner who does not qualify: the quiz under its threshold, the project over it (or under, for some).
    const i = learnerIds.findIndex((_, n) => !qualifies(n) && projectOf(n) >= 60);
    const page = await browser.context.newPage();
    await launch(page, learnerIds[i]!);
    const offer = page.locator('article.offer');
    await offer.waitFor();
    expect(await offer.count()).toBe(1);
    await expect(offer.locator('h3').textContent().then(words)).resolves.toMatch(/Applied Data Analysis/);
    await expect(offer.locator('.rule').textContent().then(words)).resolves.toBe(
      'To earn it, show all 2 learning outcomes below.',
    );
    await expect(offer.locator('.standing').textContent().then(words)).resolves.toMatch(
      /1 of 2 learning outcomes shown so far\./,
    );
    const outcomes = offer.locator('ol.outcomes > li');
    expect(await outcomes.count()).toBe(2);
    // Each outcome with its own evidence: the simulator's grades against the instructor's thresholds.
    await expect(outcomes.nth(0).getAttribute('class')).resolves.toBe('unmet');
    await expect(outcomes.nth(0).locator('.outcome-state').textContent().then(words)).resolves.toBe(
      'Not yet shown',
    );
    await expect(outcomes.nth(0).locator('.checks li').textContent().then(words)).resolves.toBe(
      `Quiz 1 is ${quizOf(i)}%, 50% needed`,
    );
    await expect(outcomes.nth(1).getAttribute('class')).resolves.toBe('met');
    await expect(outcomes.nth(1).locator('.checks li').textContent().then(words)).resolves.toBe(
      `Project is ${projectOf(i)}%, 60% needed`,
    );
    await expect(offer.locator('.missing').textContent().then(words)).resolves.toMatch(
      new RegExp(`Still needed:\\s+Quiz 1 is ${quizOf(i)}%, 50% needed`),
    );
    await expect(page.locator('p.empty').textContent().then(words)).resolves.toMatch(/no credentials yet/);
    await accessible(page, 'learner-progress');
    await page.setViewportSize({ width: 390, height: 844 });
    await accessible(page, 'learner-progress-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // A learner who earned it sees it so, beside the card, and nothing of anyone else's grades.
    await launch(page, QUALIFIED[2]!);
    await expect(page.locator('article.offer .standing').textContent().then(words)).resolves.toMatch(
      /You have met the rule/,
    );
    expect(await page.locator('article.offer ol.outcomes').count()).toBe(0);
    await page.close();
  }, 120_000);

  it('reaches the same page standalone through the signed e-mail link, in Greek on request', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const platformId = (await IssuanceRequest.findOne({ learnerId: QUALIFIED[1] }).lean())!.platformId;
    const url = learnerPageUrl(tool.url, learnerLinkKey(kek), `${platformId}:${QUALIFIED[1]}`, 1);
    await page.goto(url);
    await page.locator('article.card').waitFor();
    await page.getByLabel('Language').selectOption('el');
    await page.getByRole('button', { name: 'Change' }).click();
    await page.locator('h1', { hasText: 'Τα διαπιστευτήριά μου' }).waitFor();
    expect(await page.locator('article.card').count()).toBe(1);
    await accessible(page, 'learner-standalone-el');

    const forged = await page.goto(url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    expect(forged!.status()).toBe(403);
    await page.close();
  }, 60_000);

  it('takes the credential to wallets: the offer with both QR codes, and a wallet’s consent page', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const platformId = (await IssuanceRequest.findOne({ learnerId: QUALIFIED[1] }).lean())!.platformId;
    const url = learnerPageUrl(tool.url, learnerLinkKey(kek), `${platformId}:${QUALIFIED[1]}`, 1);
    await page.goto(url);
    await page.getByRole('link', { name: 'Add to Open Badges wallet' }).click();
    await page.locator('[data-tx-code]').waitFor();
    expect(await page.locator('img.qr').count()).toBe(2);
    await expect(page.locator('[data-lcw-link]').getAttribute('href')).resolves.toMatch(
      /^https:\/\/lcw\.app\/request\?request=/,
    );
    await accessible(page, 'wallet-offer-badge');
    await page.setViewportSize({ width: 390, height: 844 });
    await accessible(page, 'wallet-offer-badge-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // A wallet pushes its request; the learner's browser, not signed in, is told how; the e-mail link resumes it.
    const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
    const pushed = (await (
      await fetch(`${tool.url}/wallet/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          response_type: 'code',
          client_id: 'Screens Wallet',
          redirect_uri: 'https://wallet.example/done',
          code_challenge: challenge,
          code_challenge_method: 'S256',
          scope: 'eu-microcredential',
          state: 's1',
        }),
      })
    ).json()) as { request_uri: string };
    const signIn = await page.goto(
      `${tool.url}/wallet/authorize?${new URLSearchParams({ client_id: 'Screens Wallet', request_uri: pushed.request_uri })}`,
    );
    expect(signIn!.status()).toBe(401);
    await accessible(page, 'wallet-sign-in');
    await page.goto(url);
    await page.locator('[data-wallet-waiting] a').click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await expect(page.locator('main').textContent()).resolves.toMatch(/Screens Wallet[\s\S]*wallet\.example/);
    await accessible(page, 'wallet-consent');
    await page.setViewportSize({ width: 390, height: 844 });
    await accessible(page, 'wallet-consent-phone');
    // Allow: the browser goes back to the wallet with a code; CSP form-action lets the redirect through (the
    // wallet's host does not resolve here, so the request itself is what shows it).
    const [toWallet] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith('https://wallet.example/done?')),
      page.getByRole('button', { name: 'Allow' }).click(),
    ]);
    const back = new URL(toWallet.url());
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(back.searchParams.get('state')).toBe('s1');
    await page.close();
  }, 90_000);
});

describe('every EU language', () => {
  // The learner page speaks each of the 24 languages: its labels all from that language's catalog (no English
  // left where the language has its own words), a screenshot of each, and three at phone width.
  const KEYS = [
    'myCredentials',
    'issuer',
    'issuedOn',
    'status',
    'outcomes',
    'downloadOb3',
    // Sealed with the institution's test seal: the European file is offered for Europass, and labelled.
    'seal.europassFile',
    'seal.testLabel',
    'downloadPdf',
    'shareLink',
    'state.valid',
    // Each way to keep it, with its line of help.
    'wallet.addEu',
    'wallet.helpEu',
    'wallet.helpBadge',
    'files.helpPdf',
  ] as const;
  const PHONE = new Set(['pl', 'ga', 'bg']);

  it('shows the learner page and the e-mail in each, with no missing text', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const platformId = (await IssuanceRequest.findOne({ learnerId: QUALIFIED[1] }).lean())!.platformId;
    const url = learnerPageUrl(tool.url, learnerLinkKey(kek), `${platformId}:${QUALIFIED[1]}`, 1);
    const english = translator('en');
    // English words standing alone ("Valid" inside French "Valide" is French).
    const wholeWords = (words: string) =>
      new RegExp(`(?<!\\p{L})${words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\p{L})`, 'u');
    const wrong: string[] = [];
    for (const lang of EU_LANGUAGES) {
      await page.setViewportSize(
        PHONE.has(lang) ? { width: 390, height: 844 } : { width: 1280, height: 900 },
      );
      await page.goto(`${url}&lang=${lang}`);
      await page.locator('article.card').waitFor();
      const t = translator(lang);
      expect(await page.locator('html').getAttribute('lang')).toBe(lang);
      const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
      for (const key of KEYS) {
        if (!text.includes(t(key).replace(/\s+/g, ' '))) wrong.push(`${lang}: no "${t(key)}" (${key})`);
        if (lang !== 'en' && t(key) !== english(key) && wholeWords(english(key)).test(text))
          wrong.push(`${lang}: English "${english(key)}" (${key})`);
      }
      await page.screenshot({
        path: `${SCREENSHOTS}/learner-${lang}${PHONE.has(lang) ? '-phone' : ''}.png`,
        fullPage: true,
      });
      // The learner e-mail as a mail reader shows its HTML part.
      const values = { name: 'Zoë', title: 'Data', issuer: 'IPA', url: url };
      const mail = renderCredentialMail({ to: 'zoe@example.org', locale: lang, ...values });
      await page.setContent(`<!doctype html><html lang="${lang}"><body>${mail.html}</body></html>`);
      const shown = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
      for (const key of ['mail.greeting', 'mail.body', 'mail.action', 'mail.footer'] as const)
        if (!shown.includes(t(key, values).replace(/\s+/g, ' ')))
          wrong.push(`${lang}: e-mail lacks "${t(key, values)}" (${key})`);
      await page.screenshot({ path: `${SCREENSHOTS}/mail-${lang}.png` });
    }
    expect(wrong).toEqual([]);
    await page.close();
  }, 180_000);
});

describe('stranger', () => {
  it('verifies a credential on its public page and by pasting it, and sees a revoked one marked revoked', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const valid = (await IssuanceRequest.findOne({ learnerId: QUALIFIED[1] }).lean())!;
    const revoked = (await IssuanceRequest.findOne({ state: 'revoked' }).lean())!;

    await page.goto(`${tool.url}/credentials/${valid._id}`);
    await page.locator('.verdict.ok').waitFor();
    await expect(page.locator('main').textContent()).resolves.toMatch(/The digital signature is intact/);
    await accessible(page, 'public-credential-valid');

    await page.goto(`${tool.url}/credentials/${revoked._id}`);
    await page.locator('.verdict.fail').waitFor();
    await expect(page.locator('[role="alert"]').first().textContent()).resolves.toMatch(/revoked/);
    await expect(page.locator('main').textContent()).resolves.toMatch(/The issuer has revoked it\./);
    await accessible(page, 'public-credential-revoked');

    const ob3 = await (await fetch(`${tool.url}/credentials/${revoked._id}/ob3`)).text();
    await page.goto(`${tool.url}/verify`);
    await accessible(page, 'verify-form');
    await page.getByLabel('Credential (JSON)').fill(ob3);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.verdict.fail').waitFor();
    await expect(page.locator('.checks').textContent()).resolves.toMatch(/The issuer has revoked it\./);

    const good = await (await fetch(`${tool.url}/credentials/${valid._id}/elm`)).text();
    await page.getByLabel('Credential (JSON)').fill(good);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.verdict.ok').waitFor();
    await accessible(page, 'verify-result');

    // The institution's name under a stranger's did:key: its own look, never "genuine".
    const forged = await issueExamplePair(await generateDidKey(), createDocumentLoader(), {
      credentialId: 'forged',
      evidence: {},
    });
    await page.getByLabel('Credential (JSON)').fill(JSON.stringify(forged.ob3));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.verdict.unrecognised').waitFor();
    await expect(page.locator('.verdict').textContent()).resolves.toMatch(/issuer not recognised/);
    await accessible(page, 'verify-unrecognised');
    await page.close();
  }, 90_000);
});

describe('re-issue', () => {
  it('re-issues the revoked credential from the dashboard: a new one is issued, the old stays revoked', async () => {
    const page = await browser.context.newPage();
    await launch(page, '3');
    const revoked = (await IssuanceRequest.findOne({ state: 'revoked' }).lean())!;
    const row = page.locator(`tr[data-request-row="${revoked._id}"]`);
    await row.getByLabel('Reason').fill('Misconduct finding overturned on appeal');
    await row.getByRole('button', { name: 'Re-issue as a new credential' }).click();
    await row.waitFor({ state: 'detached' });
    const current = await IssuanceRequest.findOne({ learnerId: revoked.learnerId }).lean();
    expect(current?._id).not.toBe(revoked._id);
    await page.locator(`tr[data-request-row="${current!._id}"]`).waitFor();
    const issued = async () => (await IssuanceRequest.findById(current!._id).lean())?.state === 'issued';
    for (let i = 0; i < 100 && !(await issued()); i++) await new Promise((r) => setTimeout(r, 300));
    expect(await issued()).toBe(true);
    const page2 = await browser.context.newPage();
    await page2.goto(`${tool.url}/credentials/${revoked._id}`);
    await expect(page2.locator('main').textContent()).resolves.toMatch(/The issuer has revoked it\./);
    await page2.close();

    // The list keeps the replaced credential as a row of its own, marked replaced, just before the new one.
    await page.reload();
    const section = page.locator('section.binding');
    const old = section.locator(`tr[data-superseded-row="${revoked._id}"]`);
    await old.waitFor();
    await expect(old.locator('.state').textContent()).resolves.toBe('Replaced');
    await expect(old.textContent()).resolves.toContain(`Revoked credential: ${revoked._id}`);
    await expect(old.textContent()).resolves.toContain('Misconduct finding overturned on appeal');
    const pointer = old.getByRole('link', { name: current!._id });
    expect(await pointer.getAttribute('href')).toBe(`#r-${current!._id}`);
    const replacement = section.locator(`tr#r-${current!._id}`);
    await expect(replacement.locator('.state').textContent()).resolves.toBe('Issued');
    expect(await replacement.getByRole('link', { name: revoked._id }).getAttribute('href')).toBe(
      `#r-${revoked._id}`,
    );
    expect(
      await old.evaluate(
        (row) => (row as unknown as { nextElementSibling: { id: string } }).nextElementSibling.id,
      ),
    ).toBe(`r-${current!._id}`);
    // History does not count as issuance work: every current request is issued, none revoked, 100%.
    expect(await section.locator('tr[data-superseded-row]').count()).toBe(1);
    expect(await section.locator('tr[data-request-row]').count()).toBe(QUALIFIED.length);
    await section.locator('.percent', { hasText: '100%' }).waitFor();
    expect(await section.locator('[data-count="issued"] b').textContent()).toBe(String(QUALIFIED.length));
    expect(await section.locator('[data-count="revoked"] b').textContent()).toBe('0');
    await accessible(page, 'instructor-reissued');

    // The CSV export lists it too, as superseded, with the id of the credential that replaced it.
    const csv = await Promise.all([
      page.waitForEvent('download'),
      section.getByRole('link', { name: 'Export CSV' }).click(),
    ]).then(([d]) => d.path().then((p) => readFile(p, 'utf8')));
    const rows = csv
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(rows).toHaveLength(QUALIFIED.length + 1);
    const byId = new Map(rows.map((r) => [r[7], r]));
    expect(byId.get(revoked._id)).toEqual([
      revoked.learnerId,
      revoked.learner!.name,
      revoked.learner!.email ?? '',
      'superseded',
      revoked.issuedAt!.toISOString(),
      'Academic misconduct found',
      '',
      revoked._id,
      current!._id,
      'Misconduct finding overturned on appeal',
    ]);
    expect(byId.get(current!._id)?.slice(0, 4)).toEqual([
      revoked.learnerId,
      revoked.learner!.name,
      revoked.learner!.email ?? '',
      'issued',
    ]);
    expect(byId.get(current!._id)?.slice(8)).toEqual(['', '']);
    await page.close();
  }, 90_000);
});

describe('issuance list paging', () => {
  it('pages through the list with plain links, filters it by state, and refuses bad paging by field', async () => {
    const page = await browser.context.newPage();
    await launch(page, '3');
    const dashboard = page.url().split('?')[0]!;
    const order = (await IssuanceRequest.find({}).sort({ createdAt: 1 }).lean()).map((r) => String(r._id));
    expect(order).toHaveLength(QUALIFIED.length);
    const section = page.locator('section.binding');
    const shownRows = () =>
      section
        .locator('tr[data-request-row]')
        .evaluateAll((rows) =>
          rows.map((r) => (r as unknown as { dataset: { requestRow: string } }).dataset.requestRow),
        );

    // Page one of a small page size: the first four requests, and a link on to the rest.
    await page.goto(`${dashboard}?limit=4`);
    await expect(section.locator('[data-range]').textContent()).resolves.toContain(
      `Showing 1–4 of ${QUALIFIED.length}`,
    );
    expect(await shownRows()).toEqual(order.slice(0, 4));
    expect(await section.getByRole('link', { name: 'Previous' }).count()).toBe(0);
    await accessible(page, 'instructor-list-page-1');

    // Page two: the next requests, with the replaced credential listed just before its replacement.
    await section.getByRole('link', { name: 'Next' }).click();
    await page.waitForURL(/skip=4/);
    await expect(section.locator('[data-range]').textContent()).resolves.toContain(
      `Showing 5–${QUALIFIED.length} of ${QUALIFIED.length}`,
    );
    expect(await shownRows()).toEqual(order.slice(4));
    expect(await section.locator('tr[data-superseded-row]').count()).toBe(1);
    expect(await section.getByRole('link', { name: 'Next' }).count()).toBe(0);
    await section.getByRole('link', { name: 'Previous' }).click();
    await page.waitForURL((url) => !url.search.includes('skip='));
    expect(await shownRows()).toEqual(order.slice(0, 4));

    // The filter is a plain form: one state only, starting again at page one, the page size kept.
    await section.getByLabel('Status', { exact: true }).selectOption({ label: 'Replaced' });
    await section.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/state=superseded/);
    expect(page.url()).toContain('limit=4');
    expect(await shownRows()).toEqual([]);
    expect(await section.locator('tr[data-superseded-row] .state').allTextContents()).toEqual(['Replaced']);
    await expect(section.locator('[data-range]').textContent()).resolves.toContain('Showing 1–1 of 1');
    await page.goto(`${dashboard}?state=failed`);
    await expect(section.locator('.empty').textContent()).resolves.toBe('Nobody is in this state.');
    await page.goto(`${dashboard}?state=issued&limit=4&skip=4`);
    expect(await shownRows()).toEqual(order.slice(4));
    expect(new Set(await section.locator('tr[data-request-row] .state').allTextContents())).toEqual(
      new Set(['Issued']),
    );
    await accessible(page, 'instructor-list-filtered');

    // Bad paging is refused with a page that names the field; the JSON API refuses it the same way.
    for (const [query, field] of [
      ['skip=-1', 'skip'],
      ['limit=1001', 'limit'],
      ['limit=0', 'limit'],
      ['state=bogus', 'state'],
      ['binding=000000000000000000000000', 'binding'],
    ] as const) {
      const answer = await page.goto(`${dashboard}?${query}`);
      expect({ query, status: answer?.status() }).toEqual({ query, status: 400 });
      await expect(page.locator('.problems').textContent()).resolves.toMatch(new RegExp(`^\\s*${field}: `));
      const api = await page.request.get(
        `${dashboard.replace('/lti/courses/', '/lti/api/courses/')}/bindings/${await IssuanceRequest.findOne()
          .lean()
          .then((r) => r!.bindingId)}/requests?${query}`,
      );
      if (field !== 'binding') {
        expect({ query, status: api.status() }).toEqual({ query, status: 400 });
        expect(((await api.json()) as { error: { message: string } }).error.message).toContain(`${field}: `);
      }
    }
    await page.close();
  }, 90_000);
});

describe('administrator', () => {
  it('signs in, and publishing a template with a missing element is refused by name until it is added', async () => {
    await createAdminUser('ada', 'correct horse battery staple', institutionId);
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(`${tool.url}/admin`);
    await page.waitForURL(/\/admin\/login$/);
    await accessible(page, 'admin-login');
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong username or password.').waitFor();
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/platforms$/);
    await expect(page.locator('main').textContent()).resolves.toContain(sim.issuer);
    await accessible(page, 'admin-platforms');

    const full = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Record<
      string,
      unknown
    >;
    delete full.version;
    delete full.status;
    full.key = 'data-literacy-basics';
    const { participation: _dropped, ...incomplete } = full;
    await page.goto(`${tool.url}/admin/templates`);
    await page.getByText('Advanced: JSON').click();
    await page.getByLabel('Template (JSON)').fill(JSON.stringify(incomplete, null, 2));
    // Live validation names the missing element while typing.
    await page.locator('#template-check', { hasText: 'form of participation' }).waitFor();
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForURL(/\/admin\/templates\/data-literacy-basics\/1$/);
    await page.getByRole('button', { name: 'Publish' }).click();
    const refusal = page.locator('[role="alert"]');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toContain(
      'missing mandatory element 10 “form of participation in the learning activity”',
    );
    await accessible(page, 'admin-template-refused');

    await page.getByText('Advanced: JSON').click();
    await page.getByLabel('Template (JSON)').fill(JSON.stringify(full, null, 2));
    await page.locator('#template-check', { hasText: 'Every mandatory element is present.' }).waitFor();
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('h1', { hasText: '(published)' }).waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain('Open Badges 3.0');
    await accessible(page, 'admin-template-published');

    await page.getByRole('link', { name: 'Issuers' }).click();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByText('key-2').waitFor();
    await accessible(page, 'admin-issuers');
    await page.getByRole('link', { name: 'Approvals' }).click();
    await accessible(page, 'admin-approvals');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect(page.locator('main').textContent()).resolves.toContain('template.publish');
    await accessible(page, 'admin-audit');
    await page.close();
  }, 120_000);

  it('imports the institution’s seal from a PKCS#12 file, at desktop and phone width', async () => {
    const ca = makeSealCa();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${tool.url}/admin/seal`);
      await expect(page.locator('main').textContent()).resolves.toContain('Test seal, not qualified');
      await accessible(page, 'admin-seal-test');
      await page.getByLabel('PKCS#12 file').setInputFiles({
        name: 'seal.p12',
        mimeType: 'application/x-pkcs12',
        buffer: ca.pkcs12('rsa', 'browser pass'),
      });
      await page.getByLabel('Password').fill('browser pass');
      await page.getByRole('button', { name: 'Import and use this seal' }).click();
      await page.getByText('The seal is in use: new credentials are sealed with it.').waitFor();
      const active = page.locator('section', { hasText: 'Active seal' });
      await expect(active.textContent()).resolves.toContain('CN=Credbridge Test Seal CA');
      await expect(page.locator('section', { hasText: 'Earlier seals' }).textContent()).resolves.toContain(
        'Test seal, not qualified',
      );
      await accessible(page, 'admin-seal');
      await page.setViewportSize({ width: 390, height: 844 });
      await accessible(page, 'admin-seal-phone');
      await page.close();
    } finally {
      ca.remove();
    }
  }, 60_000);

  it('sets the institution’s colours and logo, and makes a draft’s badge from them, at desktop and phone width', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${tool.url}/admin/institution`);
    await page.getByLabel('Main colour').fill('#7a1f5c');
    await page.getByLabel('Accent colour').fill('#22a06b');
    await page.getByLabel('Logo (a PNG or SVG file)').setInputFiles({
      name: 'logo.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 10"><rect width="30" height="10" fill="#7a1f5c"/></svg>',
      ),
    });
    await page.getByRole('button', { name: 'Save branding' }).click();
    await page.getByRole('img', { name: 'The logo now' }).waitFor();
    await expect(page.getByLabel('Main colour').inputValue()).resolves.toBe('#7a1f5c');
    // The preview is drawn: the browser decoded it at its full size.
    const preview = page.getByRole('img', { name: 'A badge made from this branding' });
    await expect(
      preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).resolves.toBe(400);
    await accessible(page, 'admin-branding');
    await page.setViewportSize({ width: 390, height: 844 });
    await accessible(page, 'admin-branding-phone');

    await page.setViewportSize({ width: 1280, height: 900 });
    const draft = await importTemplate(institutionId, {
      ...(JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as object),
      key: 'branded-badge',
      badgeImage: undefined,
    });
    await page.goto(`${tool.url}/admin/templates/${draft.key}/${draft.version}`);
    await expect(page.locator('.badge-upload').textContent()).resolves.toContain('No badge image yet');
    await page.getByRole('button', { name: 'Make a badge from the institution’s branding' }).click();
    const badge = page.getByRole('img', { name: 'The badge image now' });
    await badge.waitFor();
    await expect(badge.getAttribute('src')).resolves.toMatch(/^data:image\/png;base64,/);
    await expect(
      badge.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).resolves.toBe(400);
    await page.locator('.badge-upload').scrollIntoViewIfNeeded();
    await accessible(page, 'admin-badge');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.badge-upload').scrollIntoViewIfNeeded();
    await accessible(page, 'admin-badge-phone');
    await page.close();
  }, 60_000);

  it('registers a platform by hand, naming the wrong field, and adds and removes its deployment ids', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${tool.url}/admin`);
    await page.getByText('Register a platform by hand').click();
    const form = page.locator('form[action="/admin/platforms"]');
    await form.getByLabel('Name').fill('Hand-made LMS');
    await form.getByLabel('Issuer').fill('https://lms.example.edu');
    await form.getByLabel('Client id').fill('hand-1');
    await form.getByLabel('Auth login URL').fill('https://lms.example.edu/auth');
    await form.getByLabel('Token URL').fill('ftp://lms.example.edu/token');
    await form.getByLabel('JWKS URL').fill('https://lms.example.edu/jwks');
    await form.getByLabel('Deployment ids (one per line)').fill('dep-1\ndep-2');
    await form.getByRole('button', { name: 'Register a platform' }).click();
    const alert = page.locator('[role="alert"]');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('tokenUrl');
    // The form keeps what was typed; only the wrong field needs fixing.
    await form.getByLabel('Token URL').fill('https://lms.example.edu/token');
    await form.getByRole('button', { name: 'Register a platform' }).click();
    const row = page.locator('tr', { hasText: 'https://lms.example.edu' });
    await row.waitFor();
    await expect(row.locator('.deployments').textContent()).resolves.toMatch(/dep-1[\s\S]*dep-2/);
    await accessible(page, 'admin-platform-registered');

    await row.getByLabel('Add deployment id').fill('dep-3');
    await row.getByRole('button', { name: 'Add deployment id' }).click();
    await page.locator('tr', { hasText: 'dep-3' }).waitFor();
    await page.getByRole('button', { name: 'Remove deployment dep-1' }).click();
    await page.getByRole('button', { name: 'Remove deployment dep-1' }).waitFor({ state: 'detached' });
    const stored = await LtiPlatform.findOne({ issuer: 'https://lms.example.edu' }).lean();
    expect(stored?.deploymentIds).toEqual(['dep-2', 'dep-3']);
    await page.close();
  }, 60_000);
  it('edits a template field by field: live validation names the missing element, and the saved JSON is the same document', async () => {
    const full = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Record<
      string,
      unknown
    >;
    full.key = 'fields-made';
    const { participation, ...incomplete } = full;
    await importTemplate(institutionId, incomplete);
    const page = await browser.context.newPage();
    await page.goto(`${tool.url}/admin/templates/fields-made/1`);
    await page.locator('#template-check', { hasText: 'form of participation' }).waitFor();
    // The problem names the field by its label in words, and by its path.
    await page
      .locator('#template-check', { hasText: 'Form of participation — missing mandatory element 10' })
      .waitFor();
    const p = participation as { mode: string; context: string; nonFormal: boolean };
    const mode = page.getByLabel('Form of participation', { exact: true });
    // The element path stays visible as the field's description.
    await expect(mode.getAttribute('aria-describedby')).resolves.toBeTruthy();
    await expect(
      page.locator(`#${await mode.getAttribute('aria-describedby')}`).textContent(),
    ).resolves.toMatch(/In the JSON:\s*participation\.mode$/);
    await mode.selectOption(p.mode);
    await page.getByLabel('Context of participation', { exact: true }).selectOption(p.context);
    await page.getByLabel('Non-formal learning', { exact: true }).selectOption({ label: 'Yes' });
    await page.locator('#template-check', { hasText: 'Every mandatory element is present.' }).waitFor();

    // A new outcome with an ESCO skill, through the list's own buttons.
    await page.getByRole('button', { name: 'Add to “Learning outcomes”', exact: true }).click();
    const outcome = page.locator('[data-list="learningOutcomes"] [data-item]').last();
    await outcome
      .getByLabel('Learning outcome title (English)', { exact: true })
      .fill('Explain results to a lay audience');
    await outcome.getByRole('button', { name: 'Add to “ESCO skills”' }).click();
    const esco = 'http://data.europa.eu/esco/skill/15d76317-c71a-4fa2-aadc-2ecc34e627b7';
    await outcome.getByLabel('ESCO skill URI').fill(esco);
    await outcome.getByLabel('ESCO skill name (English)').fill('communicate with a non-scientific audience');
    await page.locator('#template-check', { hasText: 'Every mandatory element is present.' }).waitFor();
    await accessible(page, 'admin-template-fields');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForURL(/\/admin\/templates\/fields-made\/1$/);

    const stored = await Template.findOne({ key: 'fields-made', version: 1 }).lean();
    const outcomes = full.learningOutcomes as unknown[];
    // What the JSON editor shows (and posts) of a draft, with the fields' changes.
    expect(stored?.data).toEqual({
      ...full,
      version: 1,
      status: 'draft',
      participation,
      learningOutcomes: [
        ...outcomes,
        {
          title: { en: 'Explain results to a lay audience' },
          escoSkills: [{ uri: esco, label: { en: 'communicate with a non-scientific audience' } }],
        },
      ],
    });
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('h1', { hasText: '(published)' }).waitFor();
    await page.close();
  }, 60_000);

  it('chooses the languages of the texts: a ticked one gets a field in every text, an unticked one leaves the JSON', async () => {
    const example = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Record<
      string,
      unknown
    >;
    await importTemplate(institutionId, { ...example, key: 'languages-chosen' });
    const page = await browser.context.newPage();
    await page.goto(`${tool.url}/admin/templates/languages-chosen/1`);
    const json = page.locator('#template-json');
    const french = page.getByLabel('French', { exact: true });
    await expect(french.isChecked()).resolves.toBe(false);
    await expect(page.getByLabel('Title (French)', { exact: true }).isVisible()).resolves.toBe(false);
    await french.check();
    await page.getByLabel('Title (French)', { exact: true }).fill('Analyse de données appliquée');
    await expect(json.inputValue()).resolves.toContain('"fr": "Analyse de données appliquée"');
    // An outcome added now has its French field too.
    await page.getByRole('button', { name: 'Add to “Learning outcomes”', exact: true }).click();
    const added = page.locator('[data-list="learningOutcomes"] [data-item]').last();
    await expect(
      added.getByLabel('Learning outcome title (French)', { exact: true }).isVisible(),
    ).resolves.toBe(true);
    await french.uncheck();
    await expect(json.inputValue()).resolves.not.toContain('Analyse de données appliquée');
    await french.check();
    await expect(json.inputValue()).resolves.toContain('"fr": "Analyse de données appliquée"');
    await page.close();
  }, 60_000);

  it('keeps the fields and the JSON editor in step both ways, and leaves the fields alone while the JSON is broken', async () => {
    const full = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Record<
      string,
      unknown
    >;
    full.key = 'two-way';
    await importTemplate(institutionId, full);
    const page = await browser.context.newPage();
    await page.goto(`${tool.url}/admin/templates/two-way/1`);
    await page.getByText('Advanced: JSON').click();
    const json = page.getByLabel('Template (JSON)');
    const jsonNow = async () => JSON.parse(await json.inputValue()) as Record<string, unknown>;
    const until = async (what: string, probe: () => Promise<boolean>) => {
      for (let i = 0; i < 50; i++) {
        if (await probe()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const outcomes = page.locator('[data-list="learningOutcomes"] > .items > [data-item]');
    const ects = page.getByLabel('ECTS credits', { exact: true });
    expect(await outcomes.count()).toBe(3);

    // Fields -> JSON.
    await page.getByLabel('Title (English)', { exact: true }).fill('Data analysis, both ways');
    expect(((await jsonNow()).title as Record<string, string>).en).toBe('Data analysis, both ways');

    // JSON -> fields: a changed number and choice, one outcome fewer and a new one, a language removed.
    const edited = await jsonNow();
    edited.workload = { ects: 3, hours: 75 };
    edited.participation = { mode: 'blended', context: 'classroom', nonFormal: false };
    edited.learningOutcomes = [
      (edited.learningOutcomes as unknown[])[0],
      { title: { en: 'Present findings to a lay audience' } },
    ];
    delete (edited.title as Record<string, string>).pt;
    await json.fill(JSON.stringify(edited, null, 2));
    await until('the fields to follow the JSON', async () => (await ects.inputValue()) === '3');
    expect(await page.getByLabel('Hours of learning', { exact: true }).inputValue()).toBe('75');
    expect(await page.getByLabel('Form of participation', { exact: true }).inputValue()).toBe('blended');
    await expect(
      page.getByLabel('Form of participation', { exact: true }).locator('option:checked').textContent(),
    ).resolves.toContain('Blended (online and on site)');
    expect(await page.getByLabel('Non-formal learning', { exact: true }).inputValue()).toBe('false');
    expect(await outcomes.count()).toBe(2);
    expect(
      await outcomes.nth(1).getByLabel('Learning outcome title (English)', { exact: true }).inputValue(),
    ).toBe('Present findings to a lay audience');
    expect(await page.getByLabel('Title (Portuguese)', { exact: true }).inputValue()).toBe('');
    await page.locator('#template-check', { hasText: 'Every mandatory element is present.' }).waitFor();

    // Broken JSON: the problem and where it is, next to the textarea; the fields keep what they had.
    const text = JSON.stringify(edited, null, 2);
    const broken = text.replace('"key": "two-way",', '"key": "two-way",,');
    await json.fill(broken);
    const status = page.locator('#template-json-status');
    await status.filter({ hasText: 'The JSON cannot be read' }).waitFor();
    const at = broken.indexOf(',,') + 1;
    const line = broken.slice(0, at).split('\n').length;
    const column = at - broken.lastIndexOf('\n', at - 1);
    await expect(status.textContent()).resolves.toContain(`line ${line}, column ${column}: `);
    expect(await json.getAttribute('aria-invalid')).toBe('true');
    expect(await ects.inputValue()).toBe('3');
    expect(await outcomes.count()).toBe(2);
    await accessible(page, 'admin-template-json-broken');

    // A field edited meanwhile rewrites the JSON from the fields, with the keys they do not cover kept.
    await ects.fill('4');
    const rewritten = await jsonNow();
    expect(rewritten).toMatchObject({ format: 'credbridge-template/1', version: 1, status: 'draft' });
    expect(rewritten.workload).toEqual({ ects: 4, hours: 75 });
    expect(await status.textContent()).toBe('');
    expect(await json.getAttribute('aria-invalid')).toBeNull();

    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForURL(/\/admin\/templates\/two-way\/1$/);
    const stored = await Template.findOne({ key: 'two-way', version: 1 }).lean();
    expect(stored?.data).toEqual({
      ...edited,
      key: 'two-way',
      version: 1,
      status: 'draft',
      workload: { ects: 4, hours: 75 },
    });
    // A JSON file chosen in the advanced editor fills the fields too.
    await page.getByText('Advanced: JSON').click();
    await page.getByLabel('Import JSON').setInputFiles({
      name: 'two-way.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ ...edited, workload: { ects: 5 } })),
    });
    await until('the fields to follow the file', async () => (await ects.inputValue()) === '5');
    expect(await page.getByLabel('Hours of learning', { exact: true }).inputValue()).toBe('');
    await page.close();
  }, 60_000);
});

describe('operator and a new institution', () => {
  it('creates an institution whose administrator sets a password through the link and makes a registration link that registers an LMS', async () => {
    await createAdminUser('olga', 'correct horse battery staple');
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(`${tool.url}/admin/login`);
    await page.getByLabel('Username').fill('olga');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/institutions$/);
    await page.getByLabel('Identifier', { exact: false }).fill('second-college');
    await page.getByLabel('Legal name').fill('Second College');
    await page.getByLabel('Country', { exact: false }).fill('PT');
    await page.getByLabel('Website').fill('https://second.example.edu');
    await page.getByLabel('Username of its first administrator').fill('sofia');
    await page.getByRole('button', { name: 'Create institution' }).click();
    const setup = page.locator('#setup-link');
    await setup.waitFor();
    await accessible(page, 'operator-institution-created');
    const link = await setup.inputValue();
    expect(link).toMatch(new RegExp(`^${tool.url}/admin/setup/`));
    // Only the operator's pages: nothing of an institution.
    expect(await page.getByRole('link', { name: 'Platforms' }).count()).toBe(0);
    // The queues page counts issuance from MongoDB, beside the queues.
    await page.getByRole('link', { name: 'Queues' }).click();
    const issued = page.locator('td[data-scope="all"][data-count="issued"]');
    await issued.waitFor();
    expect(Number(await issued.textContent())).toBe(
      await IssuanceRequest.countDocuments({ state: 'issued' }),
    );
    await accessible(page, 'operator-queues');

    await browser.context.clearCookies();
    await page.goto(link);
    await accessible(page, 'admin-setup');
    await page.getByLabel('Password', { exact: true }).fill('sofia chooses a long one');
    await page.getByLabel('Password again').fill('sofia chooses a long one');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(/\/admin\/platforms$/);
    // Institution A's LMS is not Second College's.
    await expect(page.locator('main').textContent()).resolves.not.toContain(sim.issuer);
    await page.getByLabel('Label', { exact: false }).fill('Second Moodle');
    await page.getByRole('button', { name: 'Create a registration link' }).click();
    const registration = page.locator('#registration-link');
    await registration.waitFor();
    await page.getByText('Add LTI Advantage', { exact: false }).waitFor();
    await accessible(page, 'admin-registration-link');
    const second = await new PlatformSimulator().start();
    try {
      const { Browser } = await import('../simulator/browser.js');
      const registered = await new Browser().get(
        await second.registrationUrl(await registration.inputValue()),
      );
      expect(registered.status).toBe(200);
      await page.goto(`${tool.url}/admin/platforms`);
      await page.locator('tr', { hasText: second.issuer }).waitFor();
      await expect(page.locator('main').textContent()).resolves.toContain('used on');
    } finally {
      await second.stop();
    }
    await page.getByRole('link', { name: 'Institution' }).click();
    await accessible(page, 'admin-institution');
    await page.close();
  }, 90_000);
});
