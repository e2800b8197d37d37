import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { missingElements } from '../../src/templates/elements.js';
import {
  VOCABULARIES,
  fieldLabel,
  labelProblem,
  templateFields,
  templateLanguages,
  vocabularyKey,
  type Vocabulary,
} from '../../src/ui/admin/template-fields.js';
import { readCatalog, translator } from '../../src/i18n/catalogs.js';
import { EU_LANGUAGES, languageName } from '../../src/i18n/languages.js';

/** The labelled controls of the rendered editor: id, label text, and the hint it is described by. */
function controls(markup: string) {
  const labels = new Map<string, string[]>();
  for (const m of markup.matchAll(/<label for="([^"]+)">([^<]*)<\/label>/g)) {
    labels.set(m[1]!, [...(labels.get(m[1]!) ?? []), m[2]!]);
  }
  const hints = new Map(
    [...markup.matchAll(/<small class="path" id="([^"]+)">[^<]*<code>([^<]*)<\/code><\/small>/g)].map((m) => [
      m[1]!,
      m[2]!,
    ]),
  );
  // The template's data controls (the language choices above them are not elements of the template).
  return [...markup.matchAll(/<(input|select|textarea)\b([^>]*\bdata-key="[^>]*)>/g)].map((m) => {
    const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(m[2]!)?.[1];
    const id = attr('id') ?? '';
    return {
      id,
      labels: labels.get(id) ?? [],
      path: hints.get(attr('aria-describedby') ?? ''),
    };
  });
}

describe('field-by-field template editor', () => {
  const template = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Record<
    string,
    unknown
  >;
  const rendered = Object.fromEntries(
    EU_LANGUAGES.map((lang) => [lang, controls(String(templateFields(translator(lang), template)))]),
  );

  it.each(EU_LANGUAGES)(
    '%s: every control has one label in words and is described by its element path',
    (lang) => {
      const list = rendered[lang]!;
      // Every element of the schema, in the example's list items and in the empty item each list adds.
      expect(list.length).toBeGreaterThan(150);
      for (const c of list) {
        expect({ id: c.id, labels: c.labels.length }).toEqual({ id: c.id, labels: 1 });
        const label = c.labels[0]!;
        // Words, not a path: no dotted names, brackets or camelCase (an abbreviation's dot and space is words).
        expect({ path: c.path, label, pathLike: /\w\.\w|[[\]]|[a-z][A-Z]/.test(label) }).toEqual({
          path: c.path,
          label,
          pathLike: false,
        });
        expect(c.path).toMatch(/^[a-zA-Z]+(\[\]|\.[a-zA-Z]+)*$/);
      }
    },
  );

  it.each([
    ['en', 'Learning outcome title (English)'],
    ['es', 'Título del resultado de aprendizaje (inglés)'],
    ['pt', 'Título do resultado de aprendizagem (inglês)'],
    ['de', 'Titel des Lernergebnisses (Englisch)'],
    ['el', 'Τίτλος του μαθησιακού αποτελέσματος (Αγγλικά)'],
    ['pl', 'Nazwa efektu uczenia się (angielski)'],
  ] as const)('%s labels learningOutcomes[].title.en as "%s"', (lang, label) => {
    const outcomeTitles = rendered[lang]!.filter((c) => c.path === 'learningOutcomes[].title.en');
    // The example's three outcomes and the empty one a click adds.
    expect(outcomeTitles.map((c) => c.labels[0])).toEqual([label, label, label, label]);
  });

  it.each(EU_LANGUAGES.filter((l) => l !== 'en'))('%s translates every label', (lang) => {
    const english = rendered.en!;
    const same = rendered[lang]!.filter((c, i) => c.labels[0] === english[i]!.labels[0]).map((c) => c.path);
    expect(same).toEqual([]);
  });

  it('names the field of a validation problem in words and keeps its path', () => {
    const t = translator('en');
    expect(fieldLabel(t, 'learningOutcomes.2.title.en')).toBe('Learning outcome title (English)');
    expect(fieldLabel(t, 'awardingBodies[0].country')).toBe('Country of the awarding body (two-letter code)');
    expect(fieldLabel(translator('de'), 'participation.mode')).toBe('Form der Teilnahme');
    expect(fieldLabel(t, 'workload.minutes')).toBe('Workload');
    expect(fieldLabel(t, 'format')).toBeUndefined();

    const { participation: _dropped, ...incomplete } = template;
    const [missing] = missingElements(incomplete as never);
    expect(labelProblem(t, missing!.message)).toBe(
      'Form of participation — missing mandatory element 10 “form of participation in the learning activity”: choose online, onsite or blended (participation.mode)',
    );
    // The same problem in the console's language, element named as Annex I names it there.
    const [fehlend] = missingElements(incomplete as never, translator('de'));
    expect(labelProblem(translator('de'), fehlend!.message)).toMatch(
      /^Form der Teilnahme — .*10.*\(participation\.mode\)$/,
    );
    expect(fehlend!.message).toContain(translator('de')('element.10'));
    expect(labelProblem(translator('es'), 'qualityAssurance.decisionDate: Invalid ISO date')).toBe(
      'Fecha de la decisión de acreditación — qualityAssurance.decisionDate: Invalid ISO date',
    );
    expect(labelProblem(t, '(JSON) Unexpected token')).toBe('(JSON) Unexpected token');
  });
});

describe('template text languages', () => {
  const template = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Record<
    string,
    unknown
  >;
  const boxes = (markup: string) =>
    [...markup.matchAll(/<input\s+type="checkbox"\s+value="([a-z]{2})"([^>]*)\/>\s*([^<]*)</g)].map((m) => ({
      lang: m[1]!,
      checked: /\bchecked\b/.test(m[2]!),
      name: m[3]!.trim(),
    }));

  it('offers the 24 EU languages by name, the template’s own chosen', () => {
    const markup = String(templateFields(translator('pl'), { ...template, title: { en: 'T', fr: 'Titre' } }));
    const shown = boxes(markup);
    expect(shown.map((b) => b.lang)).toEqual([...EU_LANGUAGES]);
    expect(shown.find((b) => b.lang === 'fr')).toEqual({ lang: 'fr', checked: true, name: 'francuski' });
    expect(shown.find((b) => b.lang === 'fi')?.checked).toBe(false);
    expect(shown.find((b) => b.lang === 'en')?.checked).toBe(true);
    // The French fields show; the Finnish ones wait, hidden, until Finnish is chosen.
    expect(markup).toMatch(/<div data-lang="fr"\s*>/);
    expect(markup).toMatch(/<div data-lang="fi"\s+hidden>/);
  });

  it('opens a template written without English on its own languages', () => {
    const markup = String(
      templateFields(translator('en'), {
        key: 'pl-only',
        title: { pl: 'Tytuł' },
        learningOutcomes: [{ title: { mt: 'x' } }],
      }),
    );
    const chosen = boxes(markup)
      .filter((b) => b.checked)
      .map((b) => b.lang);
    expect(chosen).toEqual(['mt', 'pl']);
    expect(markup).toMatch(/<div data-lang="pl"\s*>/);
    expect(markup).toMatch(/<div data-lang="en"\s+hidden>/);
    // A template with no text yet starts in English.
    expect([...templateLanguages({ key: 'new' })]).toEqual(['en']);
  });

  it('finds every language a template writes in', () => {
    const languages = templateLanguages({
      title: { en: 'A', pl: 'B' },
      learningOutcomes: [{ title: { en: 'x', ga: 'y', mt: ' ' } }],
      instructionLanguage: 'fi',
      note: { xx: 'not a language' },
    });
    expect([...languages].sort()).toEqual(['en', 'fi', 'ga', 'pl']);
  });
});

describe('template editor choices', () => {
  const codes = (Object.entries(VOCABULARIES) as [Vocabulary, readonly string[]][]).flatMap(([v, list]) =>
    list.map((code) => [v, code] as const),
  );

  it.each(EU_LANGUAGES)('%s has words for every code of every vocabulary', (lang) => {
    const table = readCatalog(lang);
    for (const [vocabulary, code] of codes) {
      const words = table[vocabularyKey(vocabulary, code)]?.trim() ?? '';
      expect({ vocabulary, code, words: words === '' ? 'missing' : 'ok' }).toEqual({
        vocabulary,
        code,
        words: 'ok',
      });
    }
  });

  it('has no words for codes the vocabularies do not hold', () => {
    const known = new Set(codes.map(([v, c]) => `vocab.${v}.${c}`));
    expect(Object.keys(readCatalog('en')).filter((k) => k.startsWith('vocab.') && !known.has(k))).toEqual([]);
  });

  const template = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Record<
    string,
    unknown
  >;
  /** Every option of the rendered editor: its value and the text shown. */
  const options = (markup: string) =>
    [...markup.matchAll(/<option\b([^>]*)>([^<]*)<\/option>/g)].map((m) => ({
      value: /\bvalue="([^"]*)"/.exec(m[1]!)?.[1] ?? '',
      title: /\btitle="([^"]*)"/.exec(m[1]!)?.[1],
      text: m[2]!.trim(),
    }));

  it.each(EU_LANGUAGES)('%s: options show words, keep the code as their value and title', (lang) => {
    const shown = options(String(templateFields(translator(lang), template)));
    const t = translator(lang);
    const all = new Set(codes.map(([, c]) => c));
    for (const [vocabulary, code] of codes) {
      const option = shown.find((o) => o.value === code && o.text === t(vocabularyKey(vocabulary, code)));
      expect({ code, found: Boolean(option), title: option?.title }).toEqual({
        code,
        found: true,
        title: code,
      });
    }
    // No option of a vocabulary or of the language list shows its raw code as its text.
    expect(
      shown.filter((o) => o.value !== '' && o.text === o.value && (all.has(o.value) || o.value.length === 2)),
    ).toEqual([]);
    expect(shown.find((o) => o.value === 'el')?.text).toBe(languageName('el', lang));
  });
});
