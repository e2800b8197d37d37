import { languageOf, type Language } from '../i18n/languages.js';
/**
 * The EU controlled vocabularies that ELM credentials use. Concept URIs are those of the EU Vocabularies
 * (publications.europa.eu authority tables and data.europa.eu/snb lists) as used in the official ELM samples.
 */
export interface Concept {
  id: string;
  type: 'Concept';
  inScheme: { id: string; type: 'ConceptScheme' };
  prefLabel: Record<string, string>;
  notation?: string;
}

export function concept(
  id: string,
  scheme: string,
  prefLabel: Record<string, string>,
  notation?: string,
): Concept {
  return {
    id,
    type: 'Concept',
    inScheme: { id: scheme, type: 'ConceptScheme' },
    ...(notation ? { notation } : {}),
    prefLabel,
  };
}

/** ISO 3166-1 alpha-2 -> [alpha-3 used by the EU country table, English name]. EU, EEA and neighbours. */
const COUNTRIES: Record<string, [string, string]> = {
  AT: ['AUT', 'Austria'],
  BE: ['BEL', 'Belgium'],
  BG: ['BGR', 'Bulgaria'],
  HR: ['HRV', 'Croatia'],
  CY: ['CYP', 'Cyprus'],
  CZ: ['CZE', 'Czechia'],
  DK: ['DNK', 'Denmark'],
  EE: ['EST', 'Estonia'],
  FI: ['FIN', 'Finland'],
  FR: ['FRA', 'France'],
  DE: ['DEU', 'Germany'],
  GR: ['GRC', 'Greece'],
  HU: ['HUN', 'Hungary'],
  IE: ['IRL', 'Ireland'],
  IT: ['ITA', 'Italy'],
  LV: ['LVA', 'Latvia'],
  LT: ['LTU', 'Lithuania'],
  LU: ['LUX', 'Luxembourg'],
  MT: ['MLT', 'Malta'],
  NL: ['NLD', 'Netherlands'],
  PL: ['POL', 'Poland'],
  PT: ['PRT', 'Portugal'],
  RO: ['ROU', 'Romania'],
  SK: ['SVK', 'Slovakia'],
  SI: ['SVN', 'Slovenia'],
  ES: ['ESP', 'Spain'],
  SE: ['SWE', 'Sweden'],
  IS: ['ISL', 'Iceland'],
  LI: ['LIE', 'Liechtenstein'],
  NO: ['NOR', 'Norway'],
  CH: ['CHE', 'Switzerland'],
  GB: ['GBR', 'United Kingdom'],
  UA: ['UKR', 'Ukraine'],
  RS: ['SRB', 'Serbia'],
  TR: ['TUR', 'Türkiye'],
  MK: ['MKD', 'North Macedonia'],
  AL: ['ALB', 'Albania'],
  ME: ['MNE', 'Montenegro'],
  BA: ['BIH', 'Bosnia and Herzegovina'],
  MD: ['MDA', 'Moldova'],
};

export function isKnownCountry(alpha2: string): boolean {
  return alpha2 in COUNTRIES;
}

export function countryName(alpha2: string): string {
  return COUNTRIES[alpha2]?.[1] ?? alpha2;
}

export function countryConcept(alpha2: string): Concept {
  const entry = COUNTRIES[alpha2];
  if (!entry) throw new Error(`country "${alpha2}" is not in the supported list`);
  const scheme = 'http://publications.europa.eu/resource/authority/country';
  return concept(`${scheme}/${entry[0]}`, scheme, { en: entry[1] }, 'country');
}

/** The EU Publications Office language table's code (ISO 639-2/B style, as Europass uses) for each EU language. */
const LANGUAGE_CODES: Record<Language, [string, string]> = {
  bg: ['BUL', 'Bulgarian'],
  cs: ['CES', 'Czech'],
  da: ['DAN', 'Danish'],
  de: ['DEU', 'German'],
  el: ['ELL', 'Greek'],
  en: ['ENG', 'English'],
  es: ['SPA', 'Spanish'],
  et: ['EST', 'Estonian'],
  fi: ['FIN', 'Finnish'],
  fr: ['FRA', 'French'],
  ga: ['GLE', 'Irish'],
  hr: ['HRV', 'Croatian'],
  hu: ['HUN', 'Hungarian'],
  it: ['ITA', 'Italian'],
  lt: ['LIT', 'Lithuanian'],
  lv: ['LAV', 'Latvian'],
  mt: ['MLT', 'Maltese'],
  nl: ['NLD', 'Dutch'],
  pl: ['POL', 'Polish'],
  pt: ['POR', 'Portuguese'],
  ro: ['RON', 'Romanian'],
  sk: ['SLK', 'Slovak'],
  sl: ['SLV', 'Slovenian'],
  sv: ['SWE', 'Swedish'],
};

export function languageConcept(lang: string): Concept {
  const entry = LANGUAGE_CODES[languageOf(lang) ?? 'en'];
  const scheme = 'http://publications.europa.eu/resource/authority/language';
  return concept(`${scheme}/${entry[0]}`, scheme, { en: entry[1] }, 'language');
}

export function eqfConcept(level: number): Concept {
  return concept(`http://data.europa.eu/snb/eqf/${level}`, 'http://data.europa.eu/snb/eqf/25831c2', {
    en: `Level ${level}`,
  });
}

export const GENERIC_CREDENTIAL = concept(
  'http://data.europa.eu/snb/credential/e34929035b',
  'http://data.europa.eu/snb/credential/25831c2',
  { en: 'Generic' },
);

export const ECTS_FRAMEWORK = concept(
  'http://data.europa.eu/snb/education-credit/6fcec5c5af',
  'http://data.europa.eu/snb/education-credit/25831c2',
  { en: 'European Credit Transfer System' },
);

export const NON_FORMAL_SETTING = concept(
  'http://data.europa.eu/snb/learning-setting/e207a81fc7',
  'http://data.europa.eu/snb/learning-setting/25831c2',
  { en: 'non-formal learning' },
);

export const MANDATE_EVIDENCE = concept(
  'http://data.europa.eu/snb/evidence-type/c_18016257',
  'http://data.europa.eu/snb/evidence-type/25831c2',
  { en: 'Mandate' },
);

const MODE_SCHEME = 'http://data.europa.eu/snb/learning-assessment/25831c2';
/** Modes of learning and assessment (form of participation). */
export const MODES: Record<string, Concept> = {
  online: concept('http://data.europa.eu/snb/learning-assessment/920fbb3cbe', MODE_SCHEME, { en: 'Online' }),
  blended: concept('http://data.europa.eu/snb/learning-assessment/e92d221e4d', MODE_SCHEME, {
    en: 'Blended',
  }),
  onsite: concept('http://data.europa.eu/snb/learning-assessment/9191af2ed9', MODE_SCHEME, {
    en: 'Presential',
  }),
  'work-based': concept('http://data.europa.eu/snb/learning-assessment/729f3bed4b', MODE_SCHEME, {
    en: 'Work-based',
  }),
};

const ACCREDITATION_SCHEME = 'http://data.europa.eu/snb/accreditation/25831c2';
export const ACCREDITATION_TYPES = {
  institutional: concept('http://data.europa.eu/snb/accreditation/003293d2ce', ACCREDITATION_SCHEME, {
    en: 'Institutional accreditation',
  }),
  programme: concept('http://data.europa.eu/snb/accreditation/e57dddfcf3', ACCREDITATION_SCHEME, {
    en: 'Programme accreditation',
  }),
};

const SUPERVISION_SCHEME = 'http://data.europa.eu/snb/supervision-verification/25831c2';
/**
 * Supervision and identity verification. The unsupervised code is the one of the official Annex I sample; the
 * others are published under Credbridge's own URN namespace until their EU codes are confirmed.
 */
export const SUPERVISION: Record<string, Concept> = {
  'unsupervised-no-id-check': concept(
    'http://data.europa.eu/snb/supervision-verification/c598449d64',
    SUPERVISION_SCHEME,
    { en: 'Unsupervised without ID Verification' },
  ),
  'supervised-no-id-check': concept('urn:credbridge:supervision:supervised-no-id-check', SUPERVISION_SCHEME, {
    en: 'Supervised without ID verification',
  }),
  'supervised-online-with-id-check': concept(
    'urn:credbridge:supervision:supervised-online-with-id-check',
    SUPERVISION_SCHEME,
    { en: 'Supervised online with ID verification' },
  ),
  'onsite-with-id-check': concept('urn:credbridge:supervision:onsite-with-id-check', SUPERVISION_SCHEME, {
    en: 'Supervised onsite with ID verification',
  }),
};

export function reusabilityConcept(level: string): Concept {
  return concept(
    `http://data.europa.eu/snb/skill-reuse-level/${level}`,
    'http://data.europa.eu/snb/skill-reuse-level/25831c2',
    { en: `${level.replace('-', ' ')} skills and competences` },
  );
}

export function escoSkillConcept(uri: string, label: Record<string, string>): Concept {
  return concept(uri, 'http://data.europa.eu/esco/concept-scheme/skills', label);
}

export function iscedConcept(code: string): Concept {
  return concept(`http://data.europa.eu/snb/isced-f/${code}`, 'http://data.europa.eu/snb/isced-f/25831c2', {
    en: `ISCED-F ${code}`,
  });
}

export const ASSESSMENT_LABELS: Record<string, string> = {
  'graded-test': 'Graded test',
  'ungraded-test': 'Ungraded test',
  project: 'Project',
  portfolio: 'Portfolio',
  'oral-examination': 'Oral examination',
  'written-examination': 'Written examination',
  'practical-demonstration': 'Practical demonstration',
  'peer-assessment': 'Peer assessment',
  other: 'Other assessment',
};

export const QF_EHEA_LABELS: Record<string, string> = {
  short: 'QF-EHEA short cycle',
  first: 'QF-EHEA first cycle',
  second: 'QF-EHEA second cycle',
  third: 'QF-EHEA third cycle',
};

export const QUALITY_ASSURANCE_LABELS: Record<string, string> = {
  'accredited-provider': 'Accredited provider',
  'accredited-programme': 'Accredited programme',
  'external-review': 'External quality review',
  'internal-quality-assurance': 'Internal quality assurance',
};

export const SUPERVISION_LABELS: Record<string, string> = Object.fromEntries(
  Object.entries(SUPERVISION).map(([k, c]) => [k, c.prefLabel.en!]),
);
