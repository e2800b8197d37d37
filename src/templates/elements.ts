import { translator, type MessageKey, type Translate } from '../i18n/catalogs.js';
import { languagesOf } from '../i18n/languages.js';
import type { TemplateData } from './schema.js';

const english = translator('en');

/** The 11 mandatory elements of Council Recommendation 2022/C 243/02, Annex I, in its order. */
export const MANDATORY_ELEMENTS = [
  { number: 1, name: 'identification of the learner', source: 'issuance' },
  { number: 2, name: 'title of the micro-credential', source: 'template' },
  { number: 3, name: 'country/region of the issuer', source: 'template' },
  { number: 4, name: 'awarding body', source: 'template' },
  { number: 5, name: 'date of issuing', source: 'issuance' },
  { number: 6, name: 'learning outcomes', source: 'template' },
  { number: 7, name: 'notional workload needed to achieve the learning outcomes', source: 'template' },
  { number: 8, name: 'level (and cycle, if applicable) of the learning experience', source: 'template' },
  { number: 9, name: 'type of assessment', source: 'template' },
  { number: 10, name: 'form of participation in the learning activity', source: 'template' },
  { number: 11, name: 'type of quality assurance used to underpin the micro-credential', source: 'template' },
] as const;

export interface MissingElement {
  number: number;
  element: string;
  field: string;
  message: string;
}

type MissingHint = Extract<MessageKey, `missing.${string}`>;

function missing(tr: Translate, number: number, field: string, hint: MissingHint): MissingElement {
  const element = tr(`element.${number}` as MessageKey);
  return {
    number,
    element,
    field,
    message: `${tr('missing.element', { number, element, hint: tr(hint) })} (${field})`,
  };
}

/**
 * The mandatory elements a template lacks, in the reader's language (English unless given). Elements 1
 * (learner) and 5 (date of issuing) come from each award and are checked at issuance; every other one must be
 * in the template before it can be published.
 */
export function missingElements(t: TemplateData, tr: Translate = english): MissingElement[] {
  const out: MissingElement[] = [];
  if (!languagesOf(t.title).length) out.push(missing(tr, 2, 'title', 'missing.title'));
  const bodies = t.awardingBodies ?? [];
  if (bodies.length === 0) {
    out.push(missing(tr, 3, 'awardingBodies[0].country', 'missing.country'));
    out.push(missing(tr, 4, 'awardingBodies', 'missing.awardingBody'));
  }
  if (!t.learningOutcomes?.length) out.push(missing(tr, 6, 'learningOutcomes', 'missing.outcomes'));
  if (!t.workload?.ects && !t.workload?.hours) out.push(missing(tr, 7, 'workload', 'missing.workload'));
  if (!t.level?.eqf && !t.level?.qfEheaCycle) out.push(missing(tr, 8, 'level', 'missing.level'));
  if (!t.assessment?.type) out.push(missing(tr, 9, 'assessment.type', 'missing.assessment'));
  if (!t.participation?.mode) out.push(missing(tr, 10, 'participation.mode', 'missing.participation'));
  const qa = t.qualityAssurance;
  if (!qa?.type || !qa.accreditingAgent)
    out.push(missing(tr, 11, 'qualityAssurance', 'missing.qualityAssurance'));
  return out;
}

/** Optional things a credential needs beyond the Annex I elements (OB3 requires a description and criteria). */
export function missingRequiredFields(t: TemplateData, tr: Translate = english): string[] {
  const out: string[] = [];
  if (!languagesOf(t.description).length) out.push(`description: ${tr('missing.description')}`);
  if (!languagesOf(t.criteria).length) out.push(`criteria: ${tr('missing.criteria')}`);
  return out;
}

/** Every reason a template cannot be published: each missing element named, then other required fields. */
export function publishingProblems(t: TemplateData, tr: Translate = english): string[] {
  return [...missingElements(t, tr).map((m) => m.message), ...missingRequiredFields(t, tr)];
}
