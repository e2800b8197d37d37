/* eslint-disable @typescript-eslint/no-explicit-any -- the tests walk signed JSON documents by path */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import { generateDidKey } from '../../src/credentials/did-key.js';
import { createDocumentLoader } from '../../src/credentials/document-loader.js';
import { AwardRefusedError, issueCredentialPair, type SignedPair } from '../../src/credentials/issue-pair.js';
import { buildElmCredential } from '../../src/credentials/elm.js';
import { credentialProblems } from '../../src/credentials/input-checks.js';
import { projectPath } from '../../src/credentials/project-files.js';
import {
  trustedListRecogniser,
  verifyCredential,
  type VerifyOptions,
} from '../../src/credentials/verifier.js';
import { decryptSecret, encryptSecret, requireEncryptionKey } from '../../src/security/encryption.js';
import { didWebFor, didWebUrl } from '../../src/issuers/did-web.js';
import { MANDATORY_ELEMENTS, missingElements, publishingProblems } from '../../src/templates/elements.js';
import type { TemplateData } from '../../src/templates/schema.js';
import { validateElm } from '../helpers/shacl.js';
import { LEARNER, exampleTemplate, issueExamplePair, tamper } from '../helpers/credentials.js';

const loader = createDocumentLoader();
let key: Ed25519KeyPair;
let pair: SignedPair;
/** The test's own did:key, trusted as TRUSTED_ISSUERS would trust it. */
let trusting: VerifyOptions;

beforeAll(async () => {
  key = await generateDidKey();
  trusting = { documentLoader: loader, recogniseIssuer: trustedListRecogniser([key.controller!]) };
  pair = await issueExamplePair(key, loader, {
    credentialId: 'unit-award-1',
    evidence: { grade: '87%', activityStart: '2025-01-06T09:00:00Z', activityEnd: '2025-02-28T17:00:00Z' },
  });
}, 60_000);

describe('ELM (European Digital Credential)', () => {
  it('conforms to the official EDC-generic-full shapes, signed and unsigned', async () => {
    const signed = await validateElm(pair.elm, loader);
    expect(signed.messages).toEqual([]);
    expect(signed.conforms).toBe(true);
    const { proof: _proof, ...unsigned } = pair.elm;
    expect((await validateElm(unsigned, loader)).conforms).toBe(true);
  });

  it('is judged by shapes that can fail: the official unsigned sample lacks `issued` and the eIDAS identifier', async () => {
    const sample = JSON.parse(readFileSync('test/fixtures/elm/Sample-MC-Annex1-unsigned.jsonld', 'utf8'));
    const result = await validateElm(sample, loader);
    expect(result.conforms).toBe(false);
    expect(result.messages.join('\n')).toMatch(/issued|IssuerNodeShape/);
  });

  it('fails the shapes when a mandatory part is removed', async () => {
    const broken = structuredClone(pair.elm) as Record<string, unknown>;
    delete broken.proof;
    delete (broken.issuer as Record<string, unknown>).eIDASIdentifier;
    const result = await validateElm(broken, loader);
    expect(result.conforms).toBe(false);
    expect(result.messages.join('\n')).toContain('IssuerNodeShape');
  });

  it('puts each Annex I element where the EU sample does', () => {
    const elm = pair.elm as Record<string, any>;
    const claim = elm.credentialSubject.hasClaim[0];
    expect(elm.credentialSubject.fullName.en).toBe('Ana Andromeda'); // 1
    expect(claim.title.en).toBe('Applied Data Analysis with Python'); // 2
    expect(elm.issuer.location[0].address[0].countryCode.id).toMatch(/country\/PRT$/); // 3
    expect(claim.awardedBy.awardingBody[0].legalName.en).toBe('Atlantic Polytechnic Institute'); // 4
    expect(elm.issued).toBe(elm.issuanceDate); // 5
    expect(claim.specifiedBy.learningOutcome).toHaveLength(3); // 6
    expect(claim.specifiedBy.creditPoint.point).toBe('2'); // 7
    expect(claim.specifiedBy.volumeOfLearning).toBe('PT50H');
    expect(claim.specifiedBy.eqfLevel.id).toBe('http://data.europa.eu/snb/eqf/5'); // 8
    expect(claim.provenBy[0].specifiedBy.dcType.prefLabel.en).toBe('Project'); // 9
    expect(claim.specifiedBy.mode.prefLabel.en).toBe('Online'); // 10
    expect(claim.specifiedBy.accreditation[0].type).toBe('Accreditation'); // 11
    expect(claim.specifiedBy.entryRequirement.noteLiteral.en).toMatch(/programming/);
    expect(claim.provenBy[0].grade.noteLiteral.en).toBe('87%');
    expect(claim.provenBy[0].idVerification.prefLabel.en).toMatch(/ID verification/);
    expect(claim.specifiedBy.isPartialQualification).toBe(false);
  });
});

describe('Open Badges 3.0', () => {
  it('passes the OB3 AchievementCredential JSON schema (draft 2019-09)', () => {
    const ajv = new Ajv2019.default({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const schema = JSON.parse(
      readFileSync(projectPath('config', 'ob3', 'achievementcredential.schema.json'), 'utf8'),
    );
    const validate = ajv.compile(schema);
    const ok = validate(pair.ob3);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The schema must be able to fail: an OB3 credential without an achievement does not pass.
    const broken = structuredClone(pair.ob3) as Record<string, any>;
    delete broken.credentialSubject.achievement;
    expect(validate(broken)).toBe(false);
  });

  it('has every required OB3 property', () => {
    const ob3 = pair.ob3 as Record<string, any>;
    expect(ob3['@context']).toEqual([
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    ]);
    expect(ob3.type).toEqual(expect.arrayContaining(['VerifiableCredential', 'OpenBadgeCredential']));
    expect(ob3.id).toBe('https://credbridge.example.org/credentials/unit-award-1/ob3');
    expect(ob3.issuer).toMatchObject({ id: key.controller, type: ['Profile'] });
    expect(typeof ob3.validFrom).toBe('string');
    const a = ob3.credentialSubject.achievement;
    expect(ob3.credentialSubject.type).toEqual(['AchievementSubject']);
    for (const prop of ['id', 'type', 'criteria', 'description', 'name']) expect(a[prop]).toBeDefined();
    expect(a.achievementType).toBe('MicroCredential');
    expect(a.alignment.some((x: any) => x.targetUrl.startsWith('http://data.europa.eu/esco/skill/'))).toBe(
      true,
    );
    expect(ob3.credentialSubject.result[0].value).toBe('87%');
    expect(a.tag).toEqual(expect.arrayContaining(['eu:assessment:project', 'eu:participation:online']));
  });
});

describe('signing and verification', () => {
  it('verifies both documents', async () => {
    for (const doc of [pair.ob3, pair.elm]) {
      const result = await verifyCredential(doc, trusting);
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.verified).toBe(true);
    }
  });

  it.each([
    ['ob3', ['credentialSubject', 'identifier', '0', 'identityHash']],
    ['ob3', ['validFrom']],
    ['elm', ['credentialSubject', 'fullName', 'en']],
    ['elm', ['issuer', 'id']],
  ])('refuses the %s document after a one-character change of %j', async (format, path) => {
    const doc = tamper(format === 'ob3' ? pair.ob3 : pair.elm, path as string[]);
    const result = await verifyCredential(doc, trusting);
    expect(result.verified).toBe(false);
  });

  it('refuses an expired credential with a validity check', async () => {
    const result = await verifyCredential(pair.ob3, { ...trusting, now: new Date('2099-01-01T00:00:00Z') });
    expect(result.verified).toBe(false);
    expect(result.checks.find((c) => c.check === 'validity')).toMatchObject({ ok: false });
    expect(result.checks.find((c) => c.check === 'proof')).toMatchObject({ ok: true });
  });

  it('refuses an issuer DID it cannot resolve offline', async () => {
    const { proof: _p, ...unsigned } = pair.ob3;
    const result = await verifyCredential(
      { ...unsigned, issuer: { ...(unsigned.issuer as object), id: 'did:web:elsewhere.example' } },
      trusting,
    );
    expect(result.checks.find((c) => c.check === 'issuer')).toMatchObject({ ok: false });
    expect(result.verified).toBe(false);
  });
});

describe('mandatory elements', () => {
  const template = exampleTemplate();
  const removals: Record<number, (t: TemplateData) => void> = {
    2: (t) => delete t.title,
    3: (t) => delete t.awardingBodies,
    4: (t) => (t.awardingBodies = []),
    6: (t) => (t.learningOutcomes = []),
    7: (t) => delete t.workload,
    8: (t) => delete t.level,
    9: (t) => delete t.assessment!.type,
    10: (t) => delete t.participation!.mode,
    11: (t) => delete t.qualityAssurance,
  };

  it('the example template has every element', () => {
    expect(publishingProblems(template)).toEqual([]);
  });

  it.each(Object.keys(removals).map(Number))('refuses a template without element %i, by name', (n) => {
    const t = structuredClone(template);
    removals[n]!(t);
    const problems = publishingProblems(t);
    const element = MANDATORY_ELEMENTS[n - 1]!.name;
    expect(problems.some((p) => p.includes(`element ${n} “${element}”`))).toBe(true);
    expect(missingElements(t).map((m) => m.number)).toContain(n);
  });

  it('names every missing element at once', () => {
    const t = { format: 'credbridge-template/1' as const, key: 'empty' };
    expect(missingElements(t).map((m) => m.number)).toEqual([2, 3, 4, 6, 7, 8, 9, 10, 11]);
  });

  it('refuses to issue without the learner (element 1), naming the field', async () => {
    await expect(
      issueCredentialPair({
        template,
        issuer: { did: key.controller!, profile: template.awardingBodies![0]! },
        learner: { fullName: '' },
        credentialId: 'x',
        key,
        documentLoader: loader,
      }),
    ).rejects.toThrow(AwardRefusedError);
    const built = buildElmCredential({
      template,
      issuer: { did: key.controller!, profile: template.awardingBodies![0]! },
      learner: LEARNER,
      credentialId: 'y',
    }) as Record<string, any>;
    expect(built.issued).toMatch(/^\d{4}-\d{2}-\d{2}T/); // element 5 is set by the engine
  });
});

describe('VC Data Model 2.0 input checks', () => {
  const base = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential'],
    issuer: 'did:key:z6Mkabc',
    credentialSubject: { id: 'did:example:learner' },
  };
  it('accepts a minimal credential', () => expect(credentialProblems(base)).toEqual([]));
  it.each([
    [{ credentialSchema: { id: 'https://example.org/s.json' } }, 'credentialSchema.type: is required'],
    [{ refreshService: { id: 'https://example.org/refresh' } }, 'refreshService.type: is required'],
    [
      { relatedResource: [{ id: 'https://example.org/a' }] },
      'relatedResource[0]: needs digestSRI or digestMultibase',
    ],
    [
      { relatedResource: { id: 'nope', digestSRI: 'sha384-abc' } },
      'relatedResource.id: must be an https URL',
    ],
    [
      { relatedResource: { id: 'http://x.org/a', digestSRI: 'sha384-abc' } },
      'relatedResource.id: must be an https URL',
    ],
    [
      { relatedResource: { id: 'https://x.org/a', digestMultibase: `z${'2'.repeat(250)}` } },
      'relatedResource.digestMultibase: must be a multibase string',
    ],
    [{ relatedResource: { id: 'https://x.org/a', digestSRI: 'md5-zz' } }, 'relatedResource.digestSRI'],
    [{ credentialSubject: 'did:example:learner' }, 'credentialSubject: must be an object'],
    [{ credentialSubject: [{ id: 'did:x:1' }, 7] }, 'credentialSubject[1]: must be an object'],
    [{ validFrom: '2025-01-01' }, 'validFrom: must be an XML Schema dateTime'],
    [{ issuer: undefined }, 'issuer: is required'],
    [{ issuer: [] }, 'issuer: must be a URL or an object whose id is a URL'],
    [{ issuer: { name: 'Atlantic Polytechnic' } }, 'issuer: must be a URL or an object whose id is a URL'],
    [{ id: null }, 'id: must be a URL'],
    // 00:00 at UTC-6 is 06:00Z, after 04:00Z: compared as text it would pass.
    [
      { validFrom: '2025-01-01T00:00:00-06:00', validUntil: '2025-01-01T04:00:00Z' },
      'validUntil: must not be before validFrom',
    ],
  ])('refuses %j naming the field', (change, message) => {
    const problems = credentialProblems({ ...base, ...change });
    expect(problems.join('\n')).toContain(message);
  });

  it('compares validity dates as instants, whatever their time zones', () => {
    // 04:00Z is before 00:00 at UTC-6 (06:00Z), though it sorts after it as text.
    expect(
      credentialProblems({
        ...base,
        validFrom: '2025-01-01T04:00:00Z',
        validUntil: '2025-01-01T00:00:00-06:00',
      }),
    ).toEqual([]);
  });
});

describe('keys and DIDs', () => {
  it('seals private keys with AES-256-GCM bound to the key id', () => {
    const kek = requireEncryptionKey({ KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
    const sealed = encryptSecret(kek, 'zSecretKeyMultibase', 'did:web:x#key-1');
    expect(sealed).not.toContain('Secret');
    expect(decryptSecret(kek, sealed, 'did:web:x#key-1')).toBe('zSecretKeyMultibase');
    expect(() => decryptSecret(kek, sealed, 'did:web:x#key-2')).toThrow();
    expect(() => requireEncryptionKey({ KEY_ENCRYPTION_KEY: undefined })).toThrow(/KEY_ENCRYPTION_KEY/);
  });

  it('derives did:web from PUBLIC_URL in root and path form', () => {
    expect(didWebFor('http://localhost:3000')).toBe('did:web:localhost%3A3000');
    expect(didWebFor('https://cred.example.org', 'uni-x')).toBe('did:web:cred.example.org:issuers:uni-x');
    expect(didWebUrl('did:web:cred.example.org:issuers:uni-x', 'https://cred.example.org')).toBe(
      'https://cred.example.org/issuers/uni-x/did.json',
    );
    expect(didWebUrl('did:web:localhost%3A3000', 'http://localhost:3000')).toBe(
      'http://localhost:3000/.well-known/did.json',
    );
  });
});
