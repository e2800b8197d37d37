import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { readCatalog, translator } from '../../src/i18n/catalogs.js';
import { EU_LANGUAGES } from '../../src/i18n/languages.js';

/** Every argument of a message with its kind, and the options of its selects, walking plural and select branches. */
function argumentsOf(
  elements: MessageFormatElement[],
  into = new Map<string, string>(),
): Map<string, string> {
  for (const el of elements) {
    if (el.type === TYPE.literal || el.type === TYPE.pound) continue;
    if (el.type === TYPE.tag) {
      argumentsOf(el.children, into);
      continue;
    }
    let kind = TYPE[el.type]!;
    if (el.type === TYPE.select) kind += `(${Object.keys(el.options).sort().join(',')})`;
    into.set(el.value, kind);
    if (el.type === TYPE.select || el.type === TYPE.plural)
      for (const option of Object.values(el.options)) argumentsOf(option.value, into);
  }
  return into;
}

const english = readCatalog('en');
const englishArgs = new Map(Object.entries(english).map(([k, v]) => [k, argumentsOf(parse(v))]));

describe('message catalogs', () => {
  it('has one catalog file per EU language', () => {
    const missing = EU_LANGUAGES.filter((lang) => !existsSync(`src/i18n/catalogs/${lang}.json`));
    expect(missing).toEqual([]);
  });

  describe.each(EU_LANGUAGES.filter((lang) => lang !== 'en' && existsSync(`src/i18n/catalogs/${lang}.json`)))(
    '%s',
    (lang) => {
      const catalog = readCatalog(lang);

      it('has every English key and no other', () => {
        expect(Object.keys(catalog).filter((k) => !(k in english))).toEqual([]);
        expect(Object.keys(english).filter((k) => !(k in catalog))).toEqual([]);
      });

      it('parses as ICU MessageFormat with the same placeholders as English', () => {
        const wrong: string[] = [];
        for (const [key, text] of Object.entries(catalog)) {
          let args: Map<string, string>;
          try {
            args = argumentsOf(parse(text));
          } catch (err) {
            wrong.push(`${key}: ${(err as Error).message}`);
            continue;
          }
          const want = englishArgs.get(key);
          if (!want) continue;
          const a = JSON.stringify([...args].sort());
          const b = JSON.stringify([...want].sort());
          if (a !== b) wrong.push(`${key}: ${a} where English has ${b}`);
        }
        expect(wrong).toEqual([]);
      });

      it('is translated, not a copy of English', () => {
        const same = Object.keys(english).filter((k) => catalog[k] === english[k]);
        // Names such as "JSON", "LinkedIn" or "Open Badges" stay as they are; sentences do not.
        expect(same.length / Object.keys(english).length).toBeLessThan(0.1);
      });
    },
  );

  it('formats plurals and selects by each language', () => {
    const en = translator('en');
    expect(en('problem.tooSmall', { origin: 'string', minimum: 1 })).toBe('must have at least 1 character');
    expect(en('problem.tooSmall', { origin: 'array', minimum: 3 })).toBe('must have at least 3 entries');
    expect(en('problem.unrecognizedKeys', { count: 2, keys: 'a, b' })).toBe('unknown fields: a, b');
    expect(en('awardedTo', { name: 'Ana' })).toBe('Awarded to Ana');
    // A value not given shows as its placeholder (a page with a gap, not a failed page).
    expect(en('awardedTo')).toBe('Awarded to {name}');
  });
});
