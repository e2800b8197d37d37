import { findCredentials, storedStatus, type StoredCredential } from '../credentials/credential-store.js';
import { readImageDataUri } from '../badges/data-uri.js';
import { cachedIssuer } from '../issuers/issuer-cache.js';
import type { Multilingual, TemplateData } from '../templates/schema.js';
import { Template } from '../templates/template-model.js';
import { translator } from '../i18n/catalogs.js';
import { textIn, type Language } from '../i18n/languages.js';

export type CredentialState = 'valid' | 'suspended' | 'revoked' | 'expired';

/** What a person sees of one credential: the card, the certificate and the verification page share it. */
export interface CredentialView {
  id: string;
  title: string;
  description: string;
  issuer: string;
  issuerHomepage?: string;
  learnerName: string;
  issuedAt: Date;
  validUntil?: Date;
  level: string;
  workload: string;
  outcomes: string[];
  image?: string;
  /** Whether the badge's image is a PNG, which the baked PNG download needs. */
  imageIsPng: boolean;
  state: CredentialState;
  /** The ELM document's seal, when sealed for Europass (JAdES); absent when it carries Data Integrity only. */
  sealedBy?: { holder: string; test: boolean };
}

/** A template or profile text in the reader's language (textIn's fallbacks), empty when there is none. */
export function localized(text: Multilingual | undefined, lang: Language): string {
  return textIn(text, lang) ?? '';
}

/** Revoked beats suspended beats expired: the honest state a learner, an employer or an instructor sees. */
export async function credentialState(stored: StoredCredential, now = new Date()): Promise<CredentialState> {
  const { revoked, suspended } = await storedStatus(stored.status);
  if (revoked) return 'revoked';
  if (suspended) return 'suspended';
  const until = (stored.ob3 as { validUntil?: string }).validUntil;
  if (until && new Date(until) <= now) return 'expired';
  return 'valid';
}

function levelOf(t: TemplateData, lang: Language): string {
  const parts: string[] = [];
  if (t.level?.eqf) parts.push(`EQF ${t.level.eqf}`);
  // The cycle in the reader's words; the framework keeps its name.
  if (t.level?.qfEheaCycle)
    parts.push(`QF-EHEA: ${translator(lang)(`vocab.qfEheaCycle.${t.level.qfEheaCycle}`)}`);
  return parts.join(' · ');
}

function workloadOf(t: TemplateData): string {
  const parts: string[] = [];
  if (t.workload?.ects) parts.push(`${t.workload.ects} ECTS`);
  if (t.workload?.hours) parts.push(`${t.workload.hours} h`);
  return parts.join(' · ');
}

/** The learner's name as OB3 carries it: an unhashed IdentityObject of type "name". */
function learnerNameOf(stored: StoredCredential): string {
  const subject = (
    stored.ob3 as {
      credentialSubject?: {
        identifier?: { identityType?: string; hashed?: boolean; identityHash?: string }[];
      };
    }
  ).credentialSubject;
  const name = subject?.identifier?.find((i) => i.identityType === 'name' && !i.hashed);
  return name?.identityHash ?? '';
}

export async function describeCredential(stored: StoredCredential, lang: Language): Promise<CredentialView> {
  const [issuer, state] = await Promise.all([cachedIssuer(stored.issuerId), credentialState(stored)]);
  // Template keys are an institution's own: the credential's is read in its issuer's institution.
  const template = issuer
    ? await Template.findOne(
        {
          institutionId: issuer.institutionId,
          key: stored.templateKey,
          version: stored.templateVersion,
        },
        { data: 1 },
      ).lean()
    : null;
  const t = (template?.data ?? {}) as TemplateData;
  const until = (stored.ob3 as { validUntil?: string }).validUntil;
  return {
    id: stored._id,
    title: localized(t.title, lang) || stored.templateKey,
    description: localized(t.description, lang),
    issuer: issuer ? localized(issuer.profile.legalName, lang) : '',
    issuerHomepage: issuer?.profile.homepage,
    learnerName: learnerNameOf(stored),
    issuedAt: new Date(stored.issuedAt),
    ...(until ? { validUntil: new Date(until) } : {}),
    level: levelOf(t, lang),
    workload: workloadOf(t),
    outcomes: (t.learningOutcomes ?? []).map((o) => localized(o.title, lang)),
    image: t.badgeImage?.url ?? t.badgeImage?.dataUri,
    imageIsPng: readImageDataUri(t.badgeImage?.dataUri)?.type === 'image/png',
    state,
    ...(stored.sealedBy?.holder
      ? { sealedBy: { holder: stored.sealedBy.holder, test: stored.sealedBy.test ?? false } }
      : {}),
  };
}

/** Every credential of one learner (platform-scoped reference), newest first. */
export async function credentialsOf(learnerRef: string, lang: Language): Promise<CredentialView[]> {
  const stored = await findCredentials({ learnerRef });
  return Promise.all(stored.map((s) => describeCredential(s, lang)));
}
