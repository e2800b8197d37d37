import type { Language, Multilingual, TemplateData } from '../templates/schema.js';
import { clean, dateTime, documentId, validUntil, type AwardInput } from './award.js';
import { translator } from '../i18n/catalogs.js';
import { textIn } from '../i18n/languages.js';
import { credentialLanguages } from './languages.js';
import { statusEntry } from './status-entry.js';
import { OB3_CONTEXT, VC_V2_CONTEXT } from './contexts.js';
import { QF_EHEA_LABELS, countryName } from './vocab.js';
import { createHash, randomBytes } from 'node:crypto';

/**
 * Builds the Open Badges 3.0 document of an award (OpenBadgeCredential, VC Data Model 2.0, achievementType
 * MicroCredential). EU elements map to OB3 fields where OB3 has one: learner -> credentialSubject.identifier
 * (name in clear, e-mail hashed); title -> achievement.name; country -> issuer.address; awarding body -> issuer
 * and achievement.creator; date -> validFrom and awardedDate; outcomes and ESCO skills -> achievement.alignment;
 * ECTS -> achievement.creditsAvailable; EQF level and QF-EHEA cycle -> alignment to the framework; grade ->
 * credentialSubject.result. Elements OB3 has no field for (hours, type of assessment, form of participation,
 * quality assurance, supervision, prerequisites, stackability) are carried twice: as `eu:<element>:<value>` tags
 * in achievement.tag (machine-readable) and as lines of the criteria narrative (human-readable). The parallel
 * ELM credential carries all of them natively.
 */
export function buildOb3Credential(input: AwardInput): Record<string, unknown> {
  const { template: t, issuer, learner, evidence = {} } = input;
  const issued = input.issuedAt ?? new Date();
  const until = validUntil(issued, t);
  const id = documentId(input, 'ob3');
  const body = issuer.profile;
  // OB3 strings carry one language: the credential's primary one (the learner's, when the template has it).
  const lang = credentialLanguages(t, input.locale).primary;
  const tr = (text: Multilingual) => textIn(text, lang);
  const profile = {
    id: issuer.did,
    type: ['Profile'],
    name: tr(body.legalName),
    url: body.homepage,
    email: body.email,
    address: {
      type: ['Address'],
      addressCountry: countryName(body.country),
      addressCountryCode: body.country,
      addressRegion: body.region,
    },
    otherIdentifier: body.identifiers?.map((i) => ({
      type: 'IdentifierEntry',
      identifier: i.value,
      identifierType: 'ext:' + i.scheme.replace(/[^A-Za-z0-9.\-_]/g, ''),
    })),
  };

  const alignment = [
    ...(t.learningOutcomes ?? []).flatMap((o, i) => [
      {
        type: ['Alignment'],
        targetType: 'ext:LearningOutcome',
        targetName: tr(o.title),
        targetUrl: `${id}#outcome-${i + 1}`,
      },
      ...(o.escoSkills ?? []).map((s) => ({
        type: ['Alignment'],
        targetType: 'ext:ESCOSkill',
        targetFramework: 'ESCO',
        targetName: tr(s.label),
        targetUrl: s.uri,
      })),
    ]),
    ...(t.level?.eqf
      ? [
          {
            type: ['Alignment'],
            targetType: 'ext:EQFLevel',
            targetFramework: 'European Qualifications Framework',
            targetName: `EQF level ${t.level.eqf}`,
            targetCode: String(t.level.eqf),
            targetUrl: `http://data.europa.eu/snb/eqf/${t.level.eqf}`,
          },
        ]
      : []),
    ...(t.level?.qfEheaCycle
      ? [
          {
            type: ['Alignment'],
            targetType: 'ext:QFEHEACycle',
            targetFramework: 'QF-EHEA',
            targetName: QF_EHEA_LABELS[t.level.qfEheaCycle]!,
            targetCode: t.level.qfEheaCycle,
            targetUrl: 'https://www.ehea.info/page-qualification-frameworks',
          },
        ]
      : []),
  ];

  const achievement = {
    id: `${id}#achievement`,
    type: ['Achievement'],
    achievementType: 'MicroCredential',
    name: tr(t.title!),
    description: tr(t.description ?? t.title!),
    criteria: { narrative: criteriaNarrative(t, lang) },
    image: badgeImage(t, id, lang),
    creator: { ...profile },
    creditsAvailable: t.workload?.ects,
    alignment,
    tag: euTags(t),
    inLanguage: t.instructionLanguage ?? 'en',
    fieldOfStudy: t.thematicArea ? `ISCED-F ${t.thematicArea}` : undefined,
    resultDescription: t.gradeShown
      ? [
          {
            id: `${id}#result-description`,
            type: ['ResultDescription'],
            name: t.assessment?.gradingScheme ? tr(t.assessment.gradingScheme.title) : 'Grade',
            resultType: 'ext:Grade',
          },
        ]
      : undefined,
  };

  const subject = {
    id: learner.id,
    type: ['AchievementSubject'],
    identifier: [
      { type: 'IdentityObject', identityType: 'name', hashed: false, identityHash: learner.fullName },
      ...(learner.email ? [hashedEmail(learner.email)] : []),
    ],
    achievement,
    activityStartDate: evidence.activityStart,
    activityEndDate: evidence.activityEnd,
    creditsEarned: t.workload?.ects,
    result:
      t.gradeShown && evidence.grade
        ? [{ type: ['Result'], resultDescription: `${id}#result-description`, value: evidence.grade }]
        : undefined,
  };

  return clean({
    '@context': [VC_V2_CONTEXT, OB3_CONTEXT],
    id,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: tr(t.title!),
    description: textIn(t.description, lang),
    image: badgeImage(t, id, lang),
    issuer: profile,
    validFrom: dateTime(issued),
    validUntil: until ? dateTime(until) : undefined,
    awardedDate: dateTime(issued),
    credentialSubject: subject,
    credentialStatus: input.status ? statusEntry(input.status) : undefined,
  });
}

function badgeImage(t: TemplateData, id: string, lang: Language) {
  const caption = textIn(t.title, lang);
  if (t.badgeImage?.url) return { id: t.badgeImage.url, type: 'Image', caption };
  if (t.badgeImage?.dataUri) return { id: t.badgeImage.dataUri, type: 'Image', caption };
  return { id: `${id}#image`, type: 'Image' };
}

/** Salted SHA-256 of the e-mail address, as OB3 IdentityObject expects ("sha256$<hex>"). */
function hashedEmail(email: string) {
  const salt = randomBytes(8).toString('hex');
  const hash = createHash('sha256')
    .update(email.trim().toLowerCase() + salt)
    .digest('hex');
  return {
    type: 'IdentityObject',
    identityType: 'emailAddress',
    hashed: true,
    identityHash: `sha256$${hash}`,
    salt,
  };
}

function euTags(t: TemplateData): string[] {
  const tags = ['MicroCredential'];
  if (t.workload?.ects) tags.push(`eu:workload-ects:${t.workload.ects}`);
  if (t.workload?.hours) tags.push(`eu:workload-hours:${t.workload.hours}`);
  if (t.level?.eqf) tags.push(`eu:eqf-level:${t.level.eqf}`);
  if (t.level?.qfEheaCycle) tags.push(`eu:qf-ehea-cycle:${t.level.qfEheaCycle}`);
  if (t.assessment?.type) tags.push(`eu:assessment:${t.assessment.type}`);
  if (t.participation?.mode) tags.push(`eu:participation:${t.participation.mode}`);
  if (t.participation?.context) tags.push(`eu:participation-context:${t.participation.context}`);
  if (t.qualityAssurance?.type) tags.push(`eu:quality-assurance:${t.qualityAssurance.type}`);
  if (t.supervision) tags.push(`eu:supervision:${t.supervision}`);
  if (t.stackability)
    tags.push(`eu:stackability:${t.stackability.standalone ? 'stand-alone' : 'part-of-larger'}`);
  return tags;
}

/**
 * The template's own texts and the Annex I element names, both in the credential's language (the element names
 * and vocabulary words from the message catalogs, as the Recommendation's translation words them).
 */
function criteriaNarrative(t: TemplateData, lang: Language): string {
  const tr = (m?: Multilingual) => textIn(m, lang);
  const say = translator(lang);
  const lines = [tr(t.criteria) ?? ''];
  const workload = [
    t.workload?.ects && `${t.workload.ects} ECTS`,
    t.workload?.hours && `${t.workload.hours} h`,
  ];
  lines.push('', say('ob3.elementsHeading'));
  if (workload.some(Boolean)) lines.push(`- ${say('element.7')}: ${workload.filter(Boolean).join(', ')}`);
  const level = [
    t.level?.eqf && `EQF ${t.level.eqf}`,
    t.level?.qfEheaCycle && `QF-EHEA: ${say(`vocab.qfEheaCycle.${t.level.qfEheaCycle}`)}`,
  ];
  if (level.some(Boolean)) lines.push(`- ${say('element.8')}: ${level.filter(Boolean).join(', ')}`);
  if (t.assessment?.type)
    lines.push(`- ${say('element.9')}: ${say(`vocab.assessmentType.${t.assessment.type}`)}`);
  if (t.participation?.mode) {
    const ctx =
      t.participation.context && t.participation.context !== 'classroom'
        ? `, ${say(`vocab.participationContext.${t.participation.context}`)}`
        : '';
    lines.push(`- ${say('element.10')}: ${say(`vocab.participationMode.${t.participation.mode}`)}${ctx}`);
  }
  const qa = t.qualityAssurance;
  if (qa?.type) {
    const agent = qa.accreditingAgent ? ` (${tr(qa.accreditingAgent.legalName)})` : '';
    lines.push(`- ${say('element.11')}: ${say(`vocab.qualityAssurance.${qa.type}`)}${agent}`);
  }
  if (t.supervision) lines.push(`- ${say('tf.supervision')}: ${say(`vocab.supervision.${t.supervision}`)}`);
  if (t.prerequisites) lines.push(`- ${say('tf.prerequisites')}: ${tr(t.prerequisites)}`);
  if (t.stackability) {
    const parts = (t.stackability.partOf ?? []).map((p) => tr(p.title)).join('; ');
    const kind = say(t.stackability.standalone ? 'tf.stackability.standalone' : 'tf.stackability.partOf');
    lines.push(
      `- ${say('tf.stackability')}: ${kind}${parts ? `; ${say('tf.stackability.partOf.item')}: ${parts}` : ''}`,
    );
  }
  if (t.furtherInformation?.url) lines.push(`- ${say('tf.furtherInformation')}: ${t.furtherInformation.url}`);
  return lines.join('\n').trim();
}
