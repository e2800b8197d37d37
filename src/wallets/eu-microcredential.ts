import { digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import type { JWK } from 'jose';
import type { StoredCredential } from '../credentials/credential-store.js';
import { STATE_PURPOSE } from '../credentials/status-entry.js';
import { textIn } from '../i18n/languages.js';
import { sealedPayload } from '../seals/sealed-document.js';
import type { Multilingual, Organisation, TemplateData } from '../templates/schema.js';
import type { SdJwtSigner } from './sd-jwt-signer.js';
import { tokenStatusListUrl } from './token-status-list.js';

/** The configuration id of the EU micro-credential in the issuer metadata: an SD-JWT VC. */
export const EU_MICROCREDENTIAL_CONFIGURATION = 'eu-microcredential';
/** The media type of an SD-JWT VC (IETF SD-JWT VC), as EU Digital Identity wallets take it. */
export const SD_JWT_VC_TYPE = 'dc+sd-jwt';

/** The `vct` of a template version: a URL that serves its type metadata. */
export function vctOf(publicUrl: string, institutionId: string, key: string, version: number): string {
  return `${publicUrl}/wallet/types/${institutionId}/${key}/${version}`;
}

export interface Learner {
  name: string;
  givenName?: string;
  familyName?: string;
  /** The address the LMS gave, when it gave one: a disclosure like the names, never shown unless chosen. */
  email?: string;
}

/** Personal data of the learner: each a separate disclosure, shown to a verifier only when the holder chooses. */
const PERSONAL = ['given_name', 'family_name', 'name', 'email'] as const;

/**
 * The claims of the EU micro-credential: the 11 mandatory elements of Council Recommendation 2022/C 243/02,
 * Annex I, texts as language maps (every language the template has), and the learner's names and e-mail address,
 * which are selectively disclosable (no birth date: an LMS does not give one).
 */
export function microcredentialClaims(
  template: TemplateData,
  body: Organisation,
  learner: Learner,
  issuedAt: Date,
  credentialUrl: string,
): Record<string, unknown> {
  const compact = <T extends Record<string, unknown>>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return compact({
    // 1. the learner
    name: learner.name,
    given_name: learner.givenName,
    family_name: learner.familyName,
    email: learner.email,
    // 2. title; 3. country of the issuer; 4. awarding body; 5. date of issue
    title: template.title,
    awarding_body: compact({ name: body.legalName, country: body.country, homepage: body.homepage }),
    date_of_issue: issuedAt.toISOString().slice(0, 10),
    // 6. learning outcomes; 7. workload; 8. level
    learning_outcomes: (template.learningOutcomes ?? []).map((o) => o.title),
    workload: template.workload
      ? compact({ ects: template.workload.ects, hours: template.workload.hours })
      : undefined,
    level: template.level
      ? compact({ eqf: template.level.eqf, qf_ehea_cycle: template.level.qfEheaCycle })
      : undefined,
    // 9. type of assessment; 10. form of participation; 11. quality assurance
    assessment_type: template.assessment?.type,
    participation: template.participation
      ? compact({ mode: template.participation.mode, context: template.participation.context })
      : undefined,
    quality_assurance: template.qualityAssurance
      ? compact({ type: template.qualityAssurance.type, title: template.qualityAssurance.title })
      : undefined,
    credential_url: credentialUrl,
  });
}

/**
 * Issues the SD-JWT VC: `typ` dc+sd-jwt, signed by the institution's seal (`x5c`) or the issuer's key (`kid` in
 * its jwt-vc-issuer metadata), the holder's key in `cnf`, the learner's names as disclosures.
 */
export async function issueSdJwtVc(options: {
  claims: Record<string, unknown>;
  vct: string;
  issuer: string;
  holder: JWK;
  signer: SdJwtSigner;
  issuedAt: Date;
  validUntil?: Date;
  /** Where the award's state is (IETF Token Status List): the same entry as its other documents'. */
  status?: { idx: number; uri: string };
}): Promise<string> {
  const instance = new SDJwtVcInstance({
    signAlg: options.signer.alg,
    signer: options.signer.sign,
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
  });
  const disclosed = PERSONAL.filter((claim) => options.claims[claim] !== undefined);
  return instance.issue(
    {
      ...options.claims,
      iss: options.issuer,
      iat: Math.floor(options.issuedAt.getTime() / 1000),
      ...(options.validUntil ? { exp: Math.floor(options.validUntil.getTime() / 1000) } : {}),
      vct: options.vct,
      cnf: { jwk: options.holder },
      ...(options.status ? { status: { status_list: options.status } } : {}),
    },
    { _sd: disclosed } as never,
    { header: { typ: SD_JWT_VC_TYPE, ...options.signer.header } },
  );
}

/** English labels of the claims, for wallets that show them. */
const CLAIM_LABELS: [string[], string][] = [
  [['name'], 'Name'],
  [['given_name'], 'Given name'],
  [['family_name'], 'Family name'],
  [['email'], 'E-mail address'],
  [['title'], 'Title of the micro-credential'],
  [['awarding_body'], 'Awarding body'],
  [['awarding_body', 'country'], 'Country of the awarding body'],
  [['date_of_issue'], 'Date of issue'],
  [['learning_outcomes'], 'Learning outcomes'],
  [['workload'], 'Notional workload'],
  [['level'], 'Level'],
  [['assessment_type'], 'Type of assessment'],
  [['participation'], 'Form of participation'],
  [['quality_assurance'], 'Quality assurance'],
];

/** The type every micro-credential of the installation extends: the 11 elements and how each is disclosed. */
export function genericVct(publicUrl: string): string {
  return `${publicUrl}/wallet/types/${EU_MICROCREDENTIAL_CONFIGURATION}`;
}

/** SD-JWT VC Type Metadata of the EU micro-credential: its claims, their labels, which are disclosable. */
export function genericTypeMetadata(publicUrl: string) {
  return {
    vct: genericVct(publicUrl),
    name: 'EU micro-credential',
    description: 'A micro-credential with the 11 elements of Council Recommendation 2022/C 243/02, Annex I',
    display: [{ locale: 'en', name: 'EU micro-credential' }],
    claims: CLAIM_LABELS.map(([path, label]) => ({
      path,
      display: [{ locale: 'en', label }],
      sd: PERSONAL.includes(path[0] as (typeof PERSONAL)[number]) ? 'always' : 'never',
    })),
  };
}

/**
 * SD-JWT VC Type Metadata of one template version: its name and description in each language, its badge image as
 * the logo a wallet shows on the card, extending the EU type.
 */
export function templateTypeMetadata(publicUrl: string, vct: string, template: TemplateData) {
  const logo = template.badgeImage?.url ?? template.badgeImage?.dataUri;
  return {
    vct,
    name: template.title?.en ?? Object.values(template.title ?? {})[0] ?? vct,
    extends: genericVct(publicUrl),
    display: Object.entries(template.title ?? {}).map(([locale, name]) => {
      const description = (template.description as Multilingual | undefined)?.[locale as keyof Multilingual];
      return {
        locale,
        name,
        ...(description ? { description } : {}),
        ...(logo ? { rendering: { simple: { logo: { uri: logo, alt_text: name } } } } : {}),
      };
    }),
  };
}

/**
 * The EU micro-credential of a stored award for a wallet: the learner's names as its European credential states
 * them (inside the seal, when it is sealed), its validity, and its state entry as the token status list's index.
 */
export async function walletMicrocredential(options: {
  stored: StoredCredential;
  template: TemplateData;
  issuer: { institutionId: string; profile: Organisation };
  /** The credential issuer identifier (`iss`). */
  credentialIssuer: string;
  holder: JWK;
  signer: SdJwtSigner;
  publicUrl: string;
  credentialUrl: string;
  /** The learner's e-mail address as their LMS gave it, if it did. */
  email?: string;
}): Promise<string> {
  const { stored, issuer, publicUrl } = options;
  const elm = (sealedPayload(stored.elm) ?? stored.elm) as { credentialSubject?: Record<string, unknown> };
  const subject = elm.credentialSubject ?? {};
  const name = (v: unknown) => textIn(v as Multilingual | undefined, 'en');
  const [fullName, givenName, familyName] = [
    name(subject.fullName),
    name(subject.givenName),
    name(subject.familyName),
  ];
  const validUntil = (stored.ob3 as { validUntil?: string }).validUntil;
  // Credentials issued with one two-bit entry (all since the one-entry design) carry it as their status.
  const stateEntry = stored.status.find((s) => s.purpose === STATE_PURPOSE);
  return issueSdJwtVc({
    claims: microcredentialClaims(
      options.template,
      issuer.profile,
      {
        name: fullName ?? '',
        ...(givenName ? { givenName } : {}),
        ...(familyName ? { familyName } : {}),
        ...(options.email ? { email: options.email } : {}),
      },
      new Date(stored.issuedAt),
      options.credentialUrl,
    ),
    vct: vctOf(publicUrl, issuer.institutionId, stored.templateKey, stored.templateVersion),
    issuer: options.credentialIssuer,
    holder: options.holder,
    signer: options.signer,
    issuedAt: new Date(),
    ...(validUntil ? { validUntil: new Date(validUntil) } : {}),
    ...(stateEntry
      ? { status: { idx: stateEntry.index, uri: tokenStatusListUrl(publicUrl, stateEntry.listId) } }
      : {}),
  });
}
