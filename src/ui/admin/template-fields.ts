import {
  ASSESSMENT_TYPES,
  LANGUAGES,
  PARTICIPATION_CONTEXTS,
  PARTICIPATION_MODES,
  QF_EHEA_CYCLES,
  QUALITY_ASSURANCE_TYPES,
  REUSABILITY_LEVELS,
  SUPERVISION_TYPES,
  type Language,
} from '../../templates/schema.js';
import { html, type Html } from '../../render/html.js';
import { isMessageKey, type MessageKey, type Translate } from '../../i18n/catalogs.js';
import { isLanguage, languageName } from '../../i18n/languages.js';

/**
 * The field-by-field template editor: one input per element of templateSchema, labelled in words in the
 * screen's language, with the element's path (the name validation problems use) as a hint under it. The
 * markup describes the JSON shape (data-obj, data-list, data-item, data-key, data-kind) and
 * template-fields.js keeps it and the JSON editor's textarea in step both ways, so both editors post the
 * same document.
 */
type Data = Record<string, unknown>;
const obj = (v: unknown): Data => (v && typeof v === 'object' ? (v as Data) : {});
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

type LabelKey = Extract<MessageKey, `tf.${string}`>;

/** The message naming the element at a path of the editor: "learningOutcomes[].title" -> "tf.learningOutcomes.title". */
export function labelKey(path: string): LabelKey {
  const key = `tf.${path.replace(/\[\d*\]/g, '')}`;
  if (!isMessageKey(key)) throw new Error(`no label for the template field ${path}`);
  return key as LabelKey;
}

/**
 * The words for a path as validation names it ("learningOutcomes.2.title.en", "awardingBodies[0].country"),
 * or undefined when it names no field of the editor. A path below a field (a key the schema refuses) is
 * named by that field.
 */
export function fieldLabel(t: Translate, path: string): string | undefined {
  const parts = path
    .replace(/\[(\d*)\]/g, '.$1')
    .split('.')
    .filter((p) => p !== '' && !/^\d+$/.test(p));
  const last = parts[parts.length - 1];
  const lang =
    parts.length > 1 && (LANGUAGES as readonly string[]).includes(last ?? '') ? parts.pop() : undefined;
  while (parts.length && !isMessageKey(`tf.${parts.join('.')}`)) parts.pop();
  if (!parts.length) return undefined;
  const words = t(`tf.${parts.join('.')}` as LabelKey);
  return lang
    ? t('tf.inLanguage', { field: words, language: languageName(lang as Language, t.language) })
    : words;
}

/**
 * A validation problem with the words of the field it names put first, so it points at a visible label;
 * the path stays in the text. Problems name their field as "path: ..." or end with "(path)".
 */
export function labelProblem(t: Translate, problem: string): string {
  const path = /^([A-Za-z][\w.[\]]*): /.exec(problem)?.[1] ?? /\(([A-Za-z][\w.[\]]*)\)$/.exec(problem)?.[1];
  const words = path ? fieldLabel(t, path) : undefined;
  return words ? `${words} — ${problem}` : problem;
}

/** The closed lists of codes the editor offers as choices, by the name their words are filed under. */
export const VOCABULARIES = {
  reusabilityLevel: REUSABILITY_LEVELS,
  assessmentType: ASSESSMENT_TYPES,
  participationMode: PARTICIPATION_MODES,
  participationContext: PARTICIPATION_CONTEXTS,
  supervision: SUPERVISION_TYPES,
  qualityAssurance: QUALITY_ASSURANCE_TYPES,
  qfEheaCycle: QF_EHEA_CYCLES,
} as const;
export type Vocabulary = keyof typeof VOCABULARIES;

/** The message key of a code's words: ("assessmentType", "graded-test") -> "vocab.assessmentType.graded-test". */
export function vocabularyKey(vocabulary: Vocabulary, code: string): MessageKey {
  const key = `vocab.${vocabulary}.${code}`;
  if (!isMessageKey(key)) throw new Error(`no words for the ${vocabulary} code ${code}`);
  return key;
}

/** Top-level keys the fields cover; anything else in the JSON is kept as it is. */
export const FIELD_KEYS = [
  'key',
  'title',
  'description',
  'criteria',
  'awardingBodies',
  'learningOutcomes',
  'workload',
  'level',
  'assessment',
  'participation',
  'qualityAssurance',
  'prerequisites',
  'supervision',
  'gradeShown',
  'stackability',
  'furtherInformation',
  'thematicArea',
  'instructionLanguage',
  'badgeImage',
  'validity',
];

/**
 * The languages a template writes its texts in: every language key holding text anywhere in it, and its
 * instruction language; English for a template with no text yet.
 */
export function templateLanguages(data: unknown): Set<Language> {
  const found = new Set<Language>();
  if (data && typeof data === 'object' && isLanguage((data as Data).instructionLanguage))
    found.add((data as Data).instructionLanguage as Language);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value as Data)) {
        if (isLanguage(k) && typeof v === 'string' && v.trim()) found.add(k);
        else visit(v);
      }
  };
  visit(data);
  return found.size ? found : new Set<Language>(['en']);
}

export function templateFields(t: Translate, data: Data): Html {
  const inUse = templateLanguages(data);
  // Explicit label/id pairs (the script renumbers the ids of list items it adds). Each control is described
  // by its path in the JSON, which is also how validation problems name it.
  let n = 0;
  const words = (path: string) => t(labelKey(path));
  const field = (path: string, label: string, control: (id: string, hint: string) => Html) => {
    const id = `tf-${++n}`;
    return html`<div class="field">
      <label for="${id}">${label}</label>${control(id, `${id}-path`)}
      <small class="path" id="${id}-path">${t('tf.jsonPath')} <code>${path}</code></small>
    </div>`;
  };
  const text = (path: string, key: string, value: unknown, type = 'text', label = words(path)) =>
    field(
      path,
      label,
      (id, hint) =>
        html`<input
          id="${id}"
          data-key="${key}"
          type="${type}"
          value="${str(value)}"
          aria-describedby="${hint}"
        />`,
    );
  const area = (path: string, key: string, value: unknown, label = words(path)) =>
    field(
      path,
      label,
      (id, hint) =>
        html`<textarea id="${id}" data-key="${key}" rows="2" aria-describedby="${hint}">
${str(value)}</textarea>`,
    );
  const num = (path: string, key: string, value: unknown) =>
    field(
      path,
      words(path),
      (id, hint) =>
        html`<input
          id="${id}"
          data-key="${key}"
          data-kind="number"
          type="number"
          step="any"
          min="0"
          value="${str(value)}"
          aria-describedby="${hint}"
        />`,
    );
  const choice = (
    path: string,
    key: string,
    value: unknown,
    options: readonly (string | number)[],
    kind = '',
    optionLabel: (o: string | number) => string = String,
  ) =>
    field(
      path,
      words(path),
      // The option's value is the code the JSON holds; its title shows the code when it differs from the words.
      (id, hint) =>
        html`<select id="${id}" data-key="${key}" data-kind="${kind}" aria-describedby="${hint}">
          <option value=""></option>
          ${options.map((o) => {
            const label = optionLabel(o);
            const title = label === String(o) ? '' : html` title="${o}"`;
            return html`<option value="${o}" ${title} ${str(value) === String(o) ? html`selected` : ''}>
              ${label}
            </option>`;
          })}
        </select>`,
    );
  /** A choice from one of the closed vocabularies, each code shown in words. */
  const pick = (path: string, key: string, value: unknown, vocabulary: Vocabulary) =>
    choice(path, key, value, VOCABULARIES[vocabulary], '', (o) => t(vocabularyKey(vocabulary, String(o))));
  const bool = (path: string, key: string, value: unknown) =>
    choice(path, key, value === undefined ? '' : String(value), ['true', 'false'], 'boolean', (o) =>
      o === 'true' ? t('yes') : t('no'),
    );
  const multi = (path: string, key: string, value: unknown, long = false) => {
    const v = obj(value);
    const name = words(path);
    const inLanguage = (l: Language) =>
      t('tf.inLanguage', { field: name, language: languageName(l, t.language) });
    // Every language has its field; those the template does not use yet stay hidden until chosen above.
    return html`<fieldset data-obj="${key}" class="multilingual">
      <legend>${name}</legend>
      ${LANGUAGES.map(
        (l) =>
          html`<div data-lang="${l}" ${inUse.has(l) ? '' : html`hidden`}>
            ${
              long
                ? area(`${path}.${l}`, l, v[l], inLanguage(l))
                : text(`${path}.${l}`, l, v[l], 'text', inLanguage(l))
            }
          </div>`,
      )}
    </fieldset>`;
  };
  const group = (path: string, key: string, body: Html) =>
    html`<fieldset data-obj="${key}">
      <legend>${words(path)}</legend>
      ${body}
    </fieldset>`;
  const list = (path: string, key: string, value: unknown, item: (v: Data) => Html) => {
    const items = Array.isArray(value) ? (value as Data[]) : [];
    const name = words(path);
    const one = (v: Data) =>
      html`<fieldset data-item class="item">
        <legend>${t(`${labelKey(path)}.item` as LabelKey)}</legend>
        ${item(v)}
        <button type="button" data-remove>${t('removeItem', { what: name })}</button>
      </fieldset>`;
    return html`<fieldset data-list="${key}" class="list">
      <legend>${name}</legend>
      <div class="items">${items.map(one)}</div>
      <template>${one({})}</template>
      <button type="button" data-add>${t('addItem', { what: name })}</button>
    </fieldset>`;
  };

  const org = (p: string, v: Data) =>
    html`${multi(`${p}.legalName`, 'legalName', v.legalName)}
    ${text(`${p}.shortName`, 'shortName', v.shortName)} ${text(`${p}.country`, 'country', v.country)}
    ${text(`${p}.region`, 'region', v.region)} ${text(`${p}.homepage`, 'homepage', v.homepage, 'url')}
    ${text(`${p}.email`, 'email', v.email, 'email')}
    ${list(`${p}.identifiers`, 'identifiers', v.identifiers, (i) => html`${text(`${p}.identifiers[].scheme`, 'scheme', i.scheme)} ${text(`${p}.identifiers[].value`, 'value', i.value)}`)}`;

  const a = obj(data.assessment);
  const qa = obj(data.qualityAssurance);
  const agent = obj(qa.accreditingAgent);
  const st = obj(data.stackability);
  const fi = obj(data.furtherInformation);
  const w = obj(data.workload);
  const lv = obj(data.level);
  const pa = obj(data.participation);
  const gs = obj(a.gradingScheme);
  return html`<div class="template-fields" data-fields data-covered="${FIELD_KEYS.join(' ')}">
    <fieldset class="languages" data-languages>
      <legend>${t('tf.languages')}</legend>
      ${LANGUAGES.map(
        (l) =>
          html`<label class="check"
            ><input type="checkbox" value="${l}" ${inUse.has(l) ? html`checked` : ''} />
            ${languageName(l, t.language)}</label
          >`,
      )}
    </fieldset>
    ${text('key', 'key', data.key)} ${multi('title', 'title', data.title)}
    ${multi('description', 'description', data.description, true)}
    ${multi('criteria', 'criteria', data.criteria, true)}
    ${list('awardingBodies', 'awardingBodies', data.awardingBodies, (v) => org('awardingBodies[]', v))}
    ${list(
      'learningOutcomes',
      'learningOutcomes',
      data.learningOutcomes,
      (v) =>
        html`${multi('learningOutcomes[].title', 'title', v.title)}
        ${pick('learningOutcomes[].reusabilityLevel', 'reusabilityLevel', v.reusabilityLevel, 'reusabilityLevel')}
        ${list(
          'learningOutcomes[].escoSkills',
          'escoSkills',
          v.escoSkills,
          (s) =>
            html`${text('learningOutcomes[].escoSkills[].uri', 'uri', s.uri, 'url')}
            ${multi('learningOutcomes[].escoSkills[].label', 'label', s.label)}`,
        )}`,
    )}
    ${group('workload', 'workload', html`${num('workload.ects', 'ects', w.ects)} ${num('workload.hours', 'hours', w.hours)}`)}
    ${group(
      'level',
      'level',
      html`${choice('level.eqf', 'eqf', lv.eqf, [1, 2, 3, 4, 5, 6, 7, 8], 'number')}
      ${pick('level.qfEheaCycle', 'qfEheaCycle', lv.qfEheaCycle, 'qfEheaCycle')}`,
    )}
    ${group(
      'assessment',
      'assessment',
      html`${pick('assessment.type', 'type', a.type, 'assessmentType')}
      ${multi('assessment.title', 'title', a.title)}
      ${multi('assessment.description', 'description', a.description, true)}
      ${group(
        'assessment.gradingScheme',
        'gradingScheme',
        html`${multi('assessment.gradingScheme.title', 'title', gs.title)}
        ${multi('assessment.gradingScheme.description', 'description', gs.description, true)}`,
      )}`,
    )}
    ${group(
      'participation',
      'participation',
      html`${pick('participation.mode', 'mode', pa.mode, 'participationMode')}
      ${pick('participation.context', 'context', pa.context, 'participationContext')}
      ${bool('participation.nonFormal', 'nonFormal', pa.nonFormal)}`,
    )}
    ${group(
      'qualityAssurance',
      'qualityAssurance',
      html`${pick('qualityAssurance.type', 'type', qa.type, 'qualityAssurance')}
      ${multi('qualityAssurance.title', 'title', qa.title)}
      ${multi('qualityAssurance.description', 'description', qa.description, true)}
      ${group(
        'qualityAssurance.accreditingAgent',
        'accreditingAgent',
        html`${multi('qualityAssurance.accreditingAgent.legalName', 'legalName', agent.legalName)}
        ${text('qualityAssurance.accreditingAgent.country', 'country', agent.country)}
        ${text('qualityAssurance.accreditingAgent.homepage', 'homepage', agent.homepage, 'url')}`,
      )}
      ${text('qualityAssurance.decisionDate', 'decisionDate', qa.decisionDate, 'date')}
      ${text('qualityAssurance.expiryDate', 'expiryDate', qa.expiryDate, 'date')}
      ${text('qualityAssurance.reportUrl', 'reportUrl', qa.reportUrl, 'url')}`,
    )}
    ${multi('prerequisites', 'prerequisites', data.prerequisites, true)}
    ${pick('supervision', 'supervision', data.supervision, 'supervision')}
    ${bool('gradeShown', 'gradeShown', data.gradeShown)}
    ${group(
      'stackability',
      'stackability',
      html`${bool('stackability.standalone', 'standalone', st.standalone)}
      ${list(
        'stackability.partOf',
        'partOf',
        st.partOf,
        (p) =>
          html`${multi('stackability.partOf[].title', 'title', p.title)}
          ${text('stackability.partOf[].url', 'url', p.url, 'url')}`,
      )}
      ${multi('stackability.note', 'note', st.note, true)}`,
    )}
    ${group(
      'furtherInformation',
      'furtherInformation',
      html`${multi('furtherInformation.note', 'note', fi.note, true)}
      ${text('furtherInformation.url', 'url', fi.url, 'url')}`,
    )}
    ${text('thematicArea', 'thematicArea', data.thematicArea)}
    ${choice('instructionLanguage', 'instructionLanguage', data.instructionLanguage, LANGUAGES, '', (o) =>
      languageName(o as Language, t.language),
    )}
    ${group(
      'badgeImage',
      'badgeImage',
      html`${text('badgeImage.url', 'url', obj(data.badgeImage).url, 'url')}
      ${area('badgeImage.dataUri', 'dataUri', obj(data.badgeImage).dataUri)}`,
    )}
    ${group('validity', 'validity', num('validity.months', 'months', obj(data.validity).months))}
  </div>`;
}
