import { languageOf, languagesOf, type Language } from '../i18n/languages.js';
import type { TemplateData } from '../templates/schema.js';

/** The languages one credential speaks: every language its template's title has, one of them primary. */
export interface CredentialLanguages {
  primary: Language;
  all: Language[];
}

/**
 * The template's languages, and the primary one: the learner's (their LMS locale) when the template has it,
 * else the language of instruction, else English, else the first language the title is written in.
 */
export function credentialLanguages(template: TemplateData, learnerLocale?: string): CredentialLanguages {
  const all = languagesOf(template.title);
  const candidates = [languageOf(learnerLocale), template.instructionLanguage, 'en' as const];
  const primary = candidates.find((l): l is Language => l !== undefined && all.includes(l)) ?? all[0] ?? 'en';
  return { primary, all: all.length ? all : ['en'] };
}
