import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';
import type english from './catalogs/en.json';
import { EU_LANGUAGES, type Language } from './languages.js';

/**
 * Every text of the screens, e-mails, certificates, error pages and validation problems, one ICU MessageFormat
 * catalog per language (`catalogs/<lang>.json`), formatted by FormatJS's intl-messageformat so plurals, selects
 * and numbers follow each language's rules. English is complete by definition; test/unit/catalogs.test.ts holds
 * every other catalog to its keys and placeholders.
 */
export type MessageKey = keyof typeof english;
export type MessageValues = Record<string, string | number>;
/** Texts of one language; `language` is that language, for what the catalogs leave to Intl (names, numbers). */
export type Translate = ((key: MessageKey, values?: MessageValues) => string) & {
  readonly language: Language;
};

/**
 * The catalogs live beside the sources (src/i18n/catalogs), also when running the built dist/ output; the
 * folder is looked for once, on the first read.
 */
let foundDir: string | undefined;
function catalogDir(): string {
  if (foundDir) return foundDir;
  const candidates = [
    fileURLToPath(new URL('./catalogs', import.meta.url)),
    fileURLToPath(new URL('../../../src/i18n/catalogs', import.meta.url)),
  ];
  // Complete catalogs only: the compiler copies en.json (its types are imported) and nothing else.
  foundDir =
    candidates.find((dir) => EU_LANGUAGES.every((l) => existsSync(`${dir}/${l}.json`))) ?? candidates[0]!;
  return foundDir;
}

export function readCatalog(lang: Language): Record<string, string> {
  return JSON.parse(readFileSync(`${catalogDir()}/${lang}.json`, 'utf8')) as Record<string, string>;
}

/** Catalogs are read on first use of their language; a missing one fails loudly there (and in the catalog test). */
const catalogs = new Map<Language, Record<string, string>>();
function catalog(lang: Language): Record<string, string> {
  let texts = catalogs.get(lang);
  if (!texts) catalogs.set(lang, (texts = readCatalog(lang)));
  return texts;
}
/** Parsed messages, made on first use: 24 languages × every key would cost start-up time for pages never shown. */
const formats = new Map<string, IntlMessageFormat>();

function format(lang: Language, key: MessageKey): IntlMessageFormat {
  const id = `${lang}\u0000${key}`;
  let message = formats.get(id);
  if (!message) {
    const own = catalog(lang)[key];
    const source = own ?? catalog('en')[key]!;
    message = new IntlMessageFormat(source, own === undefined ? 'en' : lang, undefined, { ignoreTag: true });
    formats.set(id, message);
  }
  return message;
}

export function translator(lang: Language): Translate {
  const t = (key: MessageKey, values?: MessageValues): string => {
    const message = format(lang, key);
    try {
      return String(message.format(values));
    } catch {
      // A value the caller did not give stays visible as its placeholder rather than failing the whole page.
      const shown = new Proxy(values ?? {}, {
        has: () => true,
        get: (given, name) => given[name as string] ?? `{${String(name)}}`,
      });
      return String(message.format(shown));
    }
  };
  return Object.assign(t, { language: lang });
}

/** Whether a key built at run time (a field path, a vocabulary code) names a message. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(catalog('en'), key);
}
