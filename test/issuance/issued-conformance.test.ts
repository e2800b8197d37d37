/* eslint-disable @typescript-eslint/no-explicit-any -- the documents are read as JSON */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { translator } from '../../src/i18n/catalogs.js';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import type { StoredCredential } from '../../src/credentials/credential-store.js';
import { projectPath } from '../../src/credentials/project-files.js';
import { verifyCredential } from '../../src/credentials/verifier.js';
import { installationVerification } from '../../src/issuers/recognition.js';
import { findRedisServer, startRedis } from '../../scripts/services/redis.js';
import type { ServiceHandle } from '../../scripts/services/types.js';
import { createTestInstitution, exampleTemplate, publishExampleTemplate } from '../helpers/institution.js';
import { validateElm } from '../helpers/shacl.js';
import { startTool, ADMIN_TOKEN, type ToolUnderTest } from '../helpers/tool.js';
import { bindCourse, issueThroughWorker as issueWorker } from '../helpers/issuing.js';

/**
 * What the worker issues, as issued: credentials made end to end by a real worker process (status entry
 * included), judged by the official validators, the 1EdTech OB 3.0 JSON schema and the EU's EDC-generic-full
 * SHACL shapes. Two templates (the example, with every optional element, and one with only the mandatory
 * elements) and learners whose LMS locales differ, so the documents come out in different languages.
 */
let redisServer: ServiceHandle;
let redisDir: string;
let tool: ToolUnderTest;
let institutionId: string;
let issuerId: string;

const ajv = new Ajv2019.default({ strict: false, allErrors: true });
addFormats.default(ajv);
const ob3Schema = ajv.compile(
  JSON.parse(readFileSync(projectPath('config', 'ob3', 'achievementcredential.schema.json'), 'utf8')),
);

/** The example template with only the mandatory elements left, in English and Portuguese. */
function mandatoryOnly() {
  const example = exampleTemplate() as Record<string, any>;
  // The eleven elements (and the template's own key and format); every optional field left out.
  const kept = ['format', 'title', 'description', 'awardingBodies', 'learningOutcomes', 'workload', 'level'];
  const t: Record<string, any> = Object.fromEntries(
    [...kept, 'assessment', 'participation', 'qualityAssurance'].map((k) => [k, example[k]]),
  );
  const two = (m: Record<string, string>) => ({ en: m.en!, ...(m.pt ? { pt: m.pt } : {}) });
  t.key = 'mandatory-only';
  t.title = two(t.title);
  t.description = two(t.description);
  t.learningOutcomes = t.learningOutcomes.map((o: any) => ({ ...o, title: two(o.title) }));
  return t;
}

const bindingFor = (templateKey: string) => bindCourse(institutionId, issuerId, templateKey);
const issueThroughWorker = (bindingId: string, learners: { id: string; name: string; locale?: string }[]) =>
  issueWorker(tool, bindingId, learners);

let issued: Map<string, StoredCredential>;
let minimal: Map<string, StoredCredential>;
/** Issued from a template written in French and Polish only (no English), taught in French. */
let frenchPolish: Map<string, StoredCredential>;
const FR_PL_TEMPLATE = JSON.parse(
  readFileSync(projectPath('config', 'templates', 'analyse-de-donnees-fr-pl.json'), 'utf8'),
) as Record<string, any>;

beforeAll(async () => {
  redisDir = await mkdtemp(join(tmpdir(), 'credbridge-conformance-redis-'));
  redisServer = await startRedis(await findRedisServer(() => undefined), redisDir);
  tool = await startTool({ REDIS_URL: redisServer.url, ISSUE_BACKOFF_MS: '200' });
  const created = await createTestInstitution(tool);
  institutionId = created.institutionId;
  issuerId = created.issuer._id;
  const exampleKey = await publishExampleTemplate(institutionId);
  const minimalKey = await publishExampleTemplate(institutionId, mandatoryOnly());
  await tool.startWorker();
  issued = await issueThroughWorker(await bindingFor(exampleKey), [
    { id: 'pt-learner', name: 'Ana Andrade', locale: 'pt_br' },
    { id: 'de-learner', name: 'Anna Arndt', locale: 'de-DE' },
    { id: 'no-locale', name: 'Alex Abbott' },
  ]);
  const frenchPolishKey = await publishExampleTemplate(institutionId, FR_PL_TEMPLATE);
  frenchPolish = await issueThroughWorker(await bindingFor(frenchPolishKey), [
    { id: 'pl-learner', name: 'Łucja Żółkiewska', locale: 'pl_PL' },
    { id: 'fr-learner', name: 'Élodie Lefèvre', locale: 'fr-FR' },
    { id: 'de-in-fr-pl', name: 'Anna Arndt', locale: 'de' },
  ]);
  minimal = await issueThroughWorker(await bindingFor(minimalKey), [
    { id: 'pt-minimal', name: 'Ana Andrade', locale: 'pt' },
    { id: 'el-minimal', name: 'Eleni Argyrou', locale: 'el' },
  ]);
}, 180_000);

afterAll(async () => {
  await tool?.close();
  await redisServer?.stop();
  await rm(redisDir, { recursive: true, force: true });
});

const all = () => [...issued.entries(), ...minimal.entries(), ...frenchPolish.entries()];
const loader = () => installationVerification({ PUBLIC_URL: tool.url, TRUSTED_ISSUERS: [] }).documentLoader;

describe('credentials issued by the worker, as issued', () => {
  it('carry their status entry (the validators are judging the real thing)', () => {
    for (const [, c] of all()) {
      expect(c.ob3.credentialStatus).toMatchObject({ type: 'BitstringStatusListEntry', statusSize: 2 });
      expect(c.elm.credentialStatus).toBeDefined();
      expect(c.ob3.proof).toBeDefined();
    }
  });

  it('pass the 1EdTech OB 3.0 AchievementCredential JSON schema', () => {
    for (const [who, c] of all()) {
      const ok = ob3Schema(c.ob3);
      expect({ who, errors: ob3Schema.errors ?? [] }).toEqual({ who, errors: [] });
      expect(ok).toBe(true);
    }
    // The schema can fail: two status entries (the earlier design) do not pass it.
    const two = structuredClone(issued.get('pt-learner')!.ob3);
    two.credentialStatus = [two.credentialStatus, two.credentialStatus];
    expect(ob3Schema(two)).toBe(false);
  });

  it('conform to the EDC-generic-full SHACL shapes', async () => {
    for (const [who, c] of all()) {
      const report = await validateElm(c.elm, loader());
      expect({ who, messages: report.messages }).toEqual({ who, messages: [] });
      expect(report.conforms).toBe(true);
    }
    // The shapes can fail on the status: an object in place of the literal does not conform.
    const objectStatus = structuredClone(issued.get('pt-learner')!.elm);
    objectStatus.credentialStatus = {
      id: 'https://example.org/status/1#5',
      type: 'BitstringStatusListEntry',
    };
    objectStatus['@context'] = [
      ...(objectStatus['@context'] as string[]),
      'https://www.w3.org/ns/credentials/status/v1',
    ];
    expect((await validateElm(objectStatus, loader())).conforms).toBe(false);
  });

  it('speak the learner’s language where the template has it, and say so', () => {
    const primary = (c: StoredCredential) =>
      (c.elm.displayParameter as any).primaryLanguage.id.split('/').pop() as string;
    expect(primary(issued.get('pt-learner')!)).toBe('POR');
    expect(primary(issued.get('de-learner')!)).toBe('DEU');
    expect(primary(issued.get('no-locale')!)).toBe('ENG');
    // The template has no Greek: English, its always-present language.
    expect(primary(minimal.get('el-minimal')!)).toBe('ENG');
    expect(primary(minimal.get('pt-minimal')!)).toBe('POR');

    const example = exampleTemplate() as Record<string, any>;
    const pt = issued.get('pt-learner')!;
    expect(pt.ob3.name).toBe(example.title.pt);
    expect((pt.ob3.credentialSubject as any).achievement.name).toBe(example.title.pt);
    expect(issued.get('de-learner')!.ob3.name).toBe(example.title.de);
    expect(issued.get('no-locale')!.ob3.name).toBe(example.title.en);
    // The ELM keeps every translation, and tags texts in no language with the primary one.
    const subject = pt.elm.credentialSubject as any;
    expect(subject.fullName).toEqual({ pt: 'Ana Andrade' });
    expect(subject.hasClaim[0].title).toEqual(example.title);
    expect(subject.hasClaim[0].influencedBy[0].title).toEqual({ pt: 'Análise de dados — turma de 2026' });
    expect(subject.hasClaim[0].provenBy[0].grade.noteLiteral).toEqual({ pt: '87.5%' });
    const languages = (pt.elm.displayParameter as any).language.map((l: any) => l.id.split('/').pop());
    expect(languages.sort()).toEqual(['DEU', 'ELL', 'ENG', 'POR', 'SPA']);
    expect((minimal.get('pt-minimal')!.elm.displayParameter as any).language).toHaveLength(2);
  });

  it('come out in French and Polish from a template written in those languages alone', async () => {
    const primary = (c: StoredCredential) =>
      (c.elm.displayParameter as any).primaryLanguage.id.split('/').pop() as string;
    const pl = frenchPolish.get('pl-learner')!;
    const fr = frenchPolish.get('fr-learner')!;
    expect(primary(pl)).toBe('POL');
    expect(primary(fr)).toBe('FRA');
    // German is not among the template's languages: the language of instruction (French), not English.
    expect(primary(frenchPolish.get('de-in-fr-pl')!)).toBe('FRA');
    expect(pl.ob3.name).toBe(FR_PL_TEMPLATE.title.pl);
    expect((pl.ob3.credentialSubject as any).achievement.description).toBe(FR_PL_TEMPLATE.description.pl);
    expect((pl.ob3.credentialSubject as any).achievement.criteria.narrative).toContain(
      FR_PL_TEMPLATE.criteria.pl,
    );
    expect(fr.ob3.name).toBe(FR_PL_TEMPLATE.title.fr);
    const languages = (pl.elm.displayParameter as any).language.map((l: any) => l.id.split('/').pop());
    expect(languages.sort()).toEqual(['FRA', 'POL']);
    const claim = (pl.elm.credentialSubject as any).hasClaim[0];
    expect(claim.title).toEqual(FR_PL_TEMPLATE.title);
    expect((pl.elm.credentialSubject as any).fullName).toEqual({ pl: 'Łucja Żółkiewska' });
    // Notes the tool writes (cycle, larger credential) come in the template's languages, not in English.
    const notes = claim.specifiedBy.additionalNote.map((n: any) => n.noteLiteral);
    expect(notes.every((n: any) => Object.keys(n).sort().join() === 'fr,pl')).toBe(true);
    const narrative = (pl.ob3.credentialSubject as any).achievement.criteria.narrative as string;
    expect(narrative).toContain(
      `- ${translator('pl')('element.9')}: ${translator('pl')('vocab.assessmentType.project')}`,
    );
    expect(narrative).not.toMatch(/Notional workload|Type of assessment/);

    // The certificate: its labels from the Polish catalog, the template's Polish texts, every letter kept.
    const pdfText = async (c: StoredCredential) => {
      const res = await fetch(`${tool.url}/credentials/${c._id}/files/certificate.pdf`);
      expect(res.status).toBe(200);
      const doc = await getDocument({ data: new Uint8Array(await res.arrayBuffer()) }).promise;
      const content = await (await doc.getPage(1)).getTextContent();
      return content.items.map((i: any) => i.str).join(' ');
    };
    const polish = await pdfText(pl);
    expect(polish).toContain(translator('pl')('certifiesThat'));
    expect(polish).toContain('Łucja Żółkiewska');
    expect(polish).toContain(FR_PL_TEMPLATE.title.pl);
    const french = await pdfText(fr);
    expect(french).toContain(translator('fr')('certifiesThat'));
    expect(french).toContain(FR_PL_TEMPLATE.title.fr);
  });

  it('say, without an institution seal, that the European credential is not sealed for Europass', async () => {
    const c = issued.get('de-learner')!;
    expect(c.elm.proof).toBeDefined();
    const page = await fetch(`${tool.url}/credentials/${c._id}?lang=de`).then((r) => r.text());
    expect(page).toContain(translator('de')('seal.notSealed'));
    expect(page).not.toContain('data-seal="sealed"');
  });

  it('verify, and revoke and suspend through their one entry', async () => {
    const verification = installationVerification({ PUBLIC_URL: tool.url, TRUSTED_ISSUERS: [] });
    const id = String(minimal.get('pt-minimal')!._id);
    const c = minimal.get('pt-minimal')!;
    const status = async () =>
      Promise.all(
        [c.ob3, c.elm].map(async (doc) =>
          (await verifyCredential(doc, verification)).checks.find((k) => k.check === 'status')!,
        ),
      );
    expect((await status()).map((s) => s.ok)).toEqual([true, true]);
    const change = (statusPurpose: string, value: boolean) =>
      fetch(`${tool.url}/credentials/status`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          credentialId: id,
          credentialStatus: [{ type: 'BitstringStatusListEntry', statusPurpose, status: value }],
        }),
      }).then((r) => expect(r.status).toBe(200));
    await change('suspension', true);
    expect((await status()).map((s) => s.message)).toEqual(['suspended', 'suspended']);
    await change('suspension', false);
    expect((await status()).map((s) => s.ok)).toEqual([true, true]);
    await change('revocation', true);
    expect((await status()).map((s) => s.message)).toEqual(['revoked', 'revoked']);
    // The learner's page tells the same, in the credential's language unless the reader chose one.
    const page = await fetch(`${tool.url}/credentials/${id}`).then((r) => r.text());
    expect(page).toContain('lang="pt"');
  });

  it('are readable by browser verifiers on any site: public documents send CORS headers on GET only', async () => {
    const c = issued.get('de-learner')!;
    const id = String(c._id);
    const list = (c.ob3.credentialStatus as any).statusListCredential as string;
    const origin = { origin: 'https://wallet.example' };
    for (const path of [
      '/.well-known/did.json',
      new URL(list).pathname,
      `/credentials/${id}/ob3`,
      `/credentials/${id}/elm`,
      `/credentials/${id}/verification`,
      `/credentials/${id}/files/ob3.json`,
    ]) {
      const res = await fetch(`${tool.url}${path}`, { headers: origin });
      expect({ path, status: res.status, cors: res.headers.get('access-control-allow-origin') }).toEqual({
        path,
        status: 200,
        cors: '*',
      });
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
    // Nothing that changes state, and no page with a session, is opened to other sites.
    const status = await fetch(`${tool.url}/credentials/status`, {
      method: 'POST',
      headers: { ...origin, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(status.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${tool.url}/credentials/status`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const page = await fetch(`${tool.url}/credentials/${id}`, { headers: origin });
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });
});
