/**
 * The 24 official languages of the EU: the languages of the screens, e-mails and certificates, and the languages
 * a template's texts may be written in. Each is named in itself, as a language switch shows it.
 */
export const EU_LANGUAGES = [
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'es',
  'et',
  'fi',
  'fr',
  'ga',
  'hr',
  'hu',
  'it',
  'lt',
  'lv',
  'mt',
  'nl',
  'pl',
  'pt',
  'ro',
  'sk',
  'sl',
  'sv',
] as const;
export type Language = (typeof EU_LANGUAGES)[number];

export const LANGUAGE_NAMES: Record<Language, string> = {
  bg: 'Български',
  cs: 'Čeština',
  da: 'Dansk',
  de: 'Deutsch',
  el: 'Ελληνικά',
  en: 'English',
  es: 'Español',
  et: 'Eesti',
  fi: 'Suomi',
  fr: 'Français',
  ga: 'Gaeilge',
  hr: 'Hrvatski',
  hu: 'Magyar',
  it: 'Italiano',
  lt: 'Lietuvių',
  lv: 'Latviešu',
  mt: 'Malti',
  nl: 'Nederlands',
  pl: 'Polski',
  pt: 'Português',
  ro: 'Română',
  sk: 'Slovenčina',
  sl: 'Slovenščina',
  sv: 'Svenska',
};

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (EU_LANGUAGES as readonly string[]).includes(value);
}

/** The language of a locale such as `pt-BR`, `el_GR` or `FR`; undefined when it is not one of the 24. */
export function languageOf(locale: string | undefined | null): Language | undefined {
  const lang = (locale ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return isLanguage(lang) ? lang : undefined;
}

const displayNames = new Map<Language, Intl.DisplayNames>();
/** A language's name in another language ("French", "francés", "Fraincis"), from the runtime's CLDR data. */
export function languageName(lang: Language, inLanguage: Language): string {
  let names = displayNames.get(inLanguage);
  if (!names)
    displayNames.set(inLanguage, (names = new Intl.DisplayNames([inLanguage], { type: 'language' })));
  return names.of(lang) ?? LANGUAGE_NAMES[lang];
}

/** A text in several languages, as templates and institution profiles hold them: at least one is present. */
export type Multilingual = Partial<Record<Language, string>>;

/**
 * A text in one language; where it has no translation, in the fallback language, then English, then the
 * first language it has (a template may be written in Polish alone).
 */
export function textIn(text: Multilingual, lang: Language, fallback?: Language): string;
export function textIn(
  text: Multilingual | undefined,
  lang: Language,
  fallback?: Language,
): string | undefined;
export function textIn(
  text: Multilingual | undefined,
  lang: Language,
  fallback?: Language,
): string | undefined {
  if (!text) return undefined;
  return (
    text[lang] ?? (fallback && text[fallback]) ?? text.en ?? EU_LANGUAGES.map((l) => text[l]).find((v) => v)
  );
}

/** The languages a text is written in, in the EU's order. */
export function languagesOf(text: Multilingual | undefined): Language[] {
  return text ? EU_LANGUAGES.filter((l) => text[l]) : [];
}
