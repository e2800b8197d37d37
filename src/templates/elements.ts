import type { TemplateData } from './schema.js';

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

function missing(number: number, field: string, what: string): MissingElement {
  const element = MANDATORY_ELEMENTS[number - 1]!.name;
  return {
    number,
    element,
    field,
    message: `missing mandatory element ${number} "${element}": ${what} (${field})`,
  };
}

/**
 * The mandatory elements a template lacks. Elements 1 (learner) and 5 (date of issuing) come from each award
 * and are checked at issuance; every other one must be in the template before it can be published.
 */
export function missingElements(t: TemplateData): MissingElement[] {
  const out: MissingElement[] = [];
  if (!t.title?.en) out.push(missing(2, 'title', 'give the title, at least in English'));
  const bodies = t.awardingBodies ?? [];
  if (bodies.length === 0) {
    out.push(missing(3, 'awardingBodies[0].country', 'give the country of the awarding body'));
    out.push(missing(4, 'awardingBodies', 'name at least one awarding body'));
  }
  if (!t.learningOutcomes?.length)
    out.push(missing(6, 'learningOutcomes', 'list at least one learning outcome'));
  if (!t.workload?.ects && !t.workload?.hours) {
    out.push(missing(7, 'workload', 'give ECTS credits and/or hours'));
  }
  if (!t.level?.eqf && !t.level?.qfEheaCycle)
    out.push(missing(8, 'level', 'give the EQF level and/or QF-EHEA cycle'));
  if (!t.assessment?.type) out.push(missing(9, 'assessment.type', 'choose the type of assessment'));
  if (!t.participation?.mode) out.push(missing(10, 'participation.mode', 'choose online, onsite or blended'));
  const qa = t.qualityAssurance;
  if (!qa?.type || !qa.accreditingAgent) {
    out.push(
      missing(11, 'qualityAssurance', 'give the type of quality assurance and the body that assures it'),
    );
  }
  return out;
}

/** Optional things a credential needs beyond the Annex I elements (OB3 requires a description and criteria). */
export function missingRequiredFields(t: TemplateData): string[] {
  const out: string[] = [];
  if (!t.description?.en) out.push('description: required by Open Badges 3.0 (Achievement.description)');
  if (!t.criteria?.en) out.push('criteria: required by Open Badges 3.0 (Achievement.criteria)');
  return out;
}

/** Every reason a template cannot be published: each missing element named, then other required fields. */
export function publishingProblems(t: TemplateData): string[] {
  return [...missingElements(t).map((m) => m.message), ...missingRequiredFields(t)];
}
