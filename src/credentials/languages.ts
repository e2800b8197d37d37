import { LANGUAGES, type Language, type Multilingual, type TemplateData } from '../templates/schema.js';

/** The languages one credential speaks: every language its template's title has, one of them primary. */
export interface CredentialLanguages {
  primary: Language;
  all: Language[];
}

/** The language of an LMS or BCP 47 locale ('pt_br', 'pt-BR', 'PT'), if templates can carry it. */
export function languageOf(locale: string | undefined): Language | undefined {
  const code = locale?.trim().slice(0, 2).toLowerCase();
  return LANGUAGES.find((l) => l === code);
}

/**
 * The template's languages, and the primary one: the learner's (their LMS locale) when the template has it,
 * else the language of instruction, else English (every template has it).
 */
export function credentialLanguages(template: TemplateData, learnerLocale?: string): CredentialLanguages {
  const title = template.title ?? { en: '' };
  const all = LANGUAGES.filter((l) => title[l]);
  const candidates = [languageOf(learnerLocale), template.instructionLanguage, 'en' as const];
  const primary = candidates.find((l): l is Language => l !== undefined && all.includes(l)) ?? 'en';
  return { primary, all };
}

/** A template text in one language, English where it has no translation. */
export function textIn(text: Multilingual, lang: Language): string;
export function textIn(text: Multilingual | undefined, lang: Language): string | undefined;
export function textIn(text: Multilingual | undefined, lang: Language): string | undefined {
  return text ? (text[lang] ?? text.en) : undefined;
}
