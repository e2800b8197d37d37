import type { Language, Multilingual, Organisation } from '../templates/schema.js';
import { clean, dateTime, documentId, validUntil, type AwardInput } from './award.js';
import { EDC_AP_CONTEXT, VC_V1_CONTEXT } from './contexts.js';
import { translator, type Translate } from '../i18n/catalogs.js';
import { textIn } from '../i18n/languages.js';
import { credentialLanguages } from './languages.js';
import { XSD_ANY_URI, statusEntryId } from './status-entry.js';
import {
  ACCREDITATION_TYPES,
  ASSESSMENT_LABELS,
  ECTS_FRAMEWORK,
  GENERIC_CREDENTIAL,
  MANDATE_EVIDENCE,
  MODES,
  NON_FORMAL_SETTING,
  SUPERVISION,
  concept,
  countryConcept,
  eqfConcept,
  escoSkillConcept,
  iscedConcept,
  languageConcept,
  reusabilityConcept,
} from './vocab.js';

export const EDC_GENERIC_FULL = 'http://data.europa.eu/snb/model/ap/edc-generic-full';

/**
 * Builds the European Learning Model v3 (EDC) document of an award: a EuropeanDigitalCredential that conforms to
 * the official EDC-generic-full SHACL shapes, each Annex I element where the EU sample puts it:
 *  1 learner: credentialSubject (Person) · 2 title: hasClaim.title and specifiedBy.title · 3 country:
 *  issuer/awarding body location.address.countryCode · 4 awarding body: hasClaim.awardedBy.awardingBody ·
 *  5 date: issued/issuanceDate/validFrom and awardingDate · 6 outcomes: specifiedBy.learningOutcome ·
 *  7 workload: specifiedBy.creditPoint (ECTS) and volumeOfLearning · 8 level: specifiedBy.eqfLevel (a
 *  Qualification, as the shapes allow EQF only there), QF-EHEA cycle as a note · 9 assessment:
 *  provenBy.specifiedBy.dcType · 10 participation: specifiedBy.mode and learningSetting · 11 quality assurance:
 *  specifiedBy.accreditation. Optional: entryRequirement, provenBy.idVerification, provenBy.grade,
 *  isPartialQualification and notes, additionalNote/homepage.
 */
export function buildElmCredential(input: AwardInput): Record<string, unknown> {
  const { template: t, issuer, learner, evidence = {} } = input;
  const issued = input.issuedAt ?? new Date();
  const until = validUntil(issued, t);
  const next = idFactory(input.credentialId);
  const { primary, all: languages } = credentialLanguages(t, input.locale);
  // Texts in no particular language (names, grades, the LMS course title) are tagged with the primary one.
  const tag = (text: string): LangMap => ({ [primary]: text });

  const awardingBodies = (t.awardingBodies ?? []).map((b) => organisation(b, next, primary));
  const issuerOrg = {
    ...organisation(issuer.profile, next, primary),
    id: issuer.did,
    eIDASIdentifier: {
      id: next('legalIdentifier'),
      type: 'LegalIdentifier',
      spatial: countryConcept(issuer.profile.country),
      notation: issuer.profile.identifiers?.[0]?.value ?? issuer.did,
    },
  };
  const awardingProcess = {
    id: next('awardingProcess'),
    type: 'AwardingProcess',
    awardingBody: awardingBodies,
    awardingDate: dateTime(issued),
  };
  const mode = t.participation?.mode ? MODES[t.participation.mode] : undefined;
  const language = languageConcept(t.instructionLanguage ?? 'en');
  // Notes the tool writes itself, in each of the credential's languages (words from the message catalogs).
  const inEach = (say: (t: Translate, lang: Language) => string): Multilingual =>
    Object.fromEntries(languages.map((lang) => [lang, say(translator(lang), lang)]));
  const notes: Multilingual[] = [];
  const cycle = t.level?.qfEheaCycle;
  if (cycle) notes.push(inEach((say) => `QF-EHEA: ${say(`vocab.qfEheaCycle.${cycle}`)}`));
  const { mode: participation, context } = t.participation ?? {};
  if (participation && context && context !== 'classroom') {
    notes.push(
      inEach(
        (say) =>
          `${say('tf.participation.mode')}: ${say(`vocab.participationMode.${participation}`)}, ${say(`vocab.participationContext.${context}`)}`,
      ),
    );
  }
  if (t.stackability?.note) notes.push(t.stackability.note);
  for (const part of t.stackability?.partOf ?? [])
    notes.push(inEach((say, lang) => `${say('tf.stackability.partOf.item')}: ${textIn(part.title, lang)}`));
  if (t.furtherInformation?.note) notes.push(t.furtherInformation.note);

  const qa = t.qualityAssurance;
  const accreditation = qa?.accreditingAgent && {
    id: next('accreditation'),
    type: 'Accreditation',
    title: qa.title ?? { en: qa.type ?? 'Quality assurance' },
    description: qa.description,
    dcType:
      qa.type === 'accredited-programme' ? ACCREDITATION_TYPES.programme : ACCREDITATION_TYPES.institutional,
    accreditingAgent: organisation(qa.accreditingAgent, next, primary),
    dateIssued: qa.decisionDate ? `${qa.decisionDate}T00:00:00Z` : undefined,
    expiryDate: qa.expiryDate ? `${qa.expiryDate}T00:00:00Z` : undefined,
    report: qa.reportUrl ? webResource(qa.reportUrl, next) : undefined,
    organisation: awardingBodies[0],
  };

  const qualification = {
    id: next('qualification'),
    type: 'Qualification',
    title: t.title,
    description: t.description,
    eqfLevel: t.level?.eqf ? eqfConcept(t.level.eqf) : undefined,
    creditPoint: t.workload?.ects
      ? {
          id: next('creditPoint'),
          type: 'CreditPoint',
          framework: ECTS_FRAMEWORK,
          point: String(t.workload.ects),
        }
      : undefined,
    volumeOfLearning: t.workload?.hours ? `PT${t.workload.hours}H` : undefined,
    learningOutcome: (t.learningOutcomes ?? []).map((o) => ({
      id: next('learningOutcome'),
      type: 'LearningOutcome',
      title: o.title,
      relatedESCOSkill: o.escoSkills?.map((s) => escoSkillConcept(s.uri, s.label)),
      reusabilityLevel: o.reusabilityLevel ? reusabilityConcept(o.reusabilityLevel) : undefined,
    })),
    learningSetting: t.participation?.nonFormal === false ? undefined : NON_FORMAL_SETTING,
    mode,
    entryRequirement: t.prerequisites ? note(t.prerequisites, next) : undefined,
    isPartialQualification: t.stackability ? !t.stackability.standalone : undefined,
    accreditation: accreditation ? [accreditation] : undefined,
    thematicArea: t.thematicArea ? [iscedConcept(t.thematicArea)] : undefined,
    language,
    additionalNote: notes.map((n) => note(n, next)),
    homepage: t.furtherInformation?.url ? [webResource(t.furtherInformation.url, next)] : undefined,
    supplementaryDocument: (t.stackability?.partOf ?? []).flatMap((p) =>
      p.url ? [webResource(p.url, next)] : [],
    ),
  };

  const assessmentTitle =
    t.assessment?.title ?? inEach((say) => say(`vocab.assessmentType.${t.assessment?.type ?? 'other'}`));
  const assessment = {
    id: next('learningAssessment'),
    type: 'LearningAssessment',
    title: assessmentTitle,
    grade: note(evidence.grade ? tag(evidence.grade) : { en: 'Pass' }, next),
    assessedBy: awardingBodies[0],
    awardedBy: awardingProcess,
    dateIssued: evidence.assessedAt ? dateTime(new Date(evidence.assessedAt)) : undefined,
    idVerification: t.supervision ? SUPERVISION[t.supervision] : undefined,
    specifiedBy: {
      id: next('learningAssessmentSpec'),
      type: 'LearningAssessmentSpecification',
      title: assessmentTitle,
      description: t.assessment?.description,
      dcType: t.assessment?.type
        ? concept(`urn:credbridge:assessment-type:${t.assessment.type}`, 'urn:credbridge:assessment-type', {
            en: ASSESSMENT_LABELS[t.assessment.type]!,
          })
        : undefined,
      mode,
      language,
      gradingScheme: t.assessment?.gradingScheme && {
        id: next('gradingScheme'),
        type: 'GradingScheme',
        title: t.assessment.gradingScheme.title,
        description: t.assessment.gradingScheme.description,
      },
    },
  };

  const activityTitle = evidence.courseTitle ? tag(evidence.courseTitle) : t.title;
  const activity = {
    id: next('activity'),
    type: 'LearningActivity',
    title: activityTitle,
    directedBy: awardingBodies[0],
    awardedBy: awardingProcess,
    temporal:
      evidence.activityStart || evidence.activityEnd
        ? {
            id: next('period'),
            type: 'PeriodOfTime',
            startDate: evidence.activityStart && dateTime(new Date(evidence.activityStart)),
            endDate: evidence.activityEnd && dateTime(new Date(evidence.activityEnd)),
          }
        : undefined,
    specifiedBy: {
      id: next('learningActivitySpec'),
      type: 'LearningActivitySpecification',
      title: activityTitle,
      mode,
      volumeOfLearning: t.workload?.hours ? `PT${t.workload.hours}H` : undefined,
      language,
    },
  };

  const person = {
    id: learner.id ?? `urn:epass:person:${encodeURIComponent(input.credentialId)}`,
    type: 'Person',
    fullName: tag(learner.fullName),
    givenName: learner.givenName ? tag(learner.givenName) : undefined,
    familyName: learner.familyName ? tag(learner.familyName) : undefined,
    dateOfBirth: learner.dateOfBirth ? `${learner.dateOfBirth}T00:00:00Z` : undefined,
    nationalID: learner.nationalId && {
      id: next('legalIdentifier'),
      type: 'LegalIdentifier',
      spatial: countryConcept(learner.nationalId.country),
      notation: learner.nationalId.value,
    },
    contactPoint: learner.email
      ? [{ id: next('contactPoint'), type: 'ContactPoint', emailAddress: [mailbox(learner.email)] }]
      : undefined,
    hasClaim: [
      {
        id: next('learningAchievement'),
        type: 'LearningAchievement',
        title: t.title,
        description: t.description,
        awardedBy: awardingProcess,
        provenBy: [assessment],
        influencedBy: [activity],
        specifiedBy: qualification,
      },
    ],
  };

  const image = t.badgeImage?.dataUri ? mediaObject(t.badgeImage.dataUri, next) : undefined;
  const displayParameter = {
    id: next('displayParameter'),
    type: 'DisplayParameter',
    title: t.title,
    description: t.description,
    language: languages.map(languageConcept),
    primaryLanguage: languageConcept(primary),
    individualDisplay: languages.map((lang) => ({
      id: next('individualDisplay'),
      type: 'IndividualDisplay',
      language: languageConcept(lang),
      displayDetail: image
        ? [{ id: next('displayDetail'), type: 'DisplayDetail', page: 1, image }]
        : undefined,
    })),
  };

  return clean({
    '@context': [VC_V1_CONTEXT, EDC_AP_CONTEXT],
    id: documentId(input, 'elm'),
    type: ['VerifiableCredential', 'EuropeanDigitalCredential'],
    credentialProfiles: [GENERIC_CREDENTIAL],
    credentialSchema: [{ id: EDC_GENERIC_FULL, type: 'ShaclValidator2017' }],
    identifier: [
      {
        id: next('identifier'),
        type: 'Identifier',
        schemeName: 'Credbridge award',
        notation: input.credentialId,
      },
    ],
    displayParameter,
    credentialSubject: person,
    issuer: issuerOrg,
    evidence: [
      {
        id: next('evidence'),
        type: 'Evidence',
        evidenceStatement:
          'Every claim in this credential is made by the indicated awarding body, which maintains sole ' +
          'responsibility for it. The issuer’s signature certifies the origin of each claim.',
        dcType: MANDATE_EVIDENCE,
      },
    ],
    issuanceDate: dateTime(issued),
    issued: dateTime(issued),
    validFrom: dateTime(issued),
    expirationDate: until ? dateTime(until) : undefined,
    // The EDC shapes take one xsd:anyURI literal here, not a status object: the id of the award's status entry
    // (the same entry as the OB3 document's). A typed value, since the VC v1 context would make a string an IRI;
    // typed through the `type` alias of @type, since the VC library requires every status to have a `type`.
    credentialStatus: input.status ? { '@value': statusEntryId(input.status), type: XSD_ANY_URI } : undefined,
  });
}

type NextId = (kind: string) => string;

function idFactory(credentialId: string): NextId {
  let n = 0;
  const base = encodeURIComponent(credentialId);
  return (kind) => `urn:epass:${kind}:${base}.${++n}`;
}

/** A language map: a template text (English always present) or a text tagged with one language. */
type LangMap = Partial<Multilingual>;

function note(text: LangMap, next: NextId) {
  return { id: next('note'), type: 'Note', noteLiteral: text };
}

function webResource(url: string, next: NextId) {
  return { id: next('webResource'), type: 'WebResource', contentURL: url };
}

function mailbox(email: string) {
  return { id: `mailto:${email}`, type: 'Mailbox' };
}

function organisation(
  o: Pick<Organisation, 'legalName' | 'country' | 'homepage'> & Partial<Organisation>,
  next: NextId,
  lang: Language,
) {
  return {
    id: next('org'),
    type: 'Organisation',
    legalName: o.legalName,
    altLabel: o.shortName ? { [lang]: o.shortName } : undefined,
    location: [
      {
        id: next('location'),
        type: 'Location',
        address: [{ id: next('address'), type: 'Address', countryCode: countryConcept(o.country) }],
        geographicName: o.region ? { [lang]: o.region } : undefined,
      },
    ],
    homepage: [webResource(o.homepage, next)],
    contactPoint: o.email
      ? [{ id: next('contactPoint'), type: 'ContactPoint', emailAddress: [mailbox(o.email)] }]
      : undefined,
    identifier: o.identifiers?.map((i) => ({
      id: next('identifier'),
      type: 'Identifier',
      schemeName: i.scheme,
      notation: i.value,
    })),
  };
}

function mediaObject(dataUri: string, next: NextId) {
  const match = /^data:image\/(png|svg\+xml|jpeg);base64,(.*)$/.exec(dataUri);
  if (!match) throw new Error('badge image must be a base64 data: URI');
  const fileType = { png: 'PNG', 'svg+xml': 'SVG', jpeg: 'JPEG' }[match[1] as 'png' | 'svg+xml' | 'jpeg'];
  return {
    id: next('mediaObject'),
    type: 'MediaObject',
    content: match[2],
    contentEncoding: concept(
      'http://data.europa.eu/snb/encoding/6146cde7dd',
      'http://data.europa.eu/snb/encoding/25831c2',
      { en: 'base64' },
    ),
    contentType: concept(
      `http://publications.europa.eu/resource/authority/file-type/${fileType}`,
      'http://publications.europa.eu/resource/authority/file-type',
      { en: fileType },
      'file-type',
    ),
  };
}
