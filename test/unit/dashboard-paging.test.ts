import { describe, expect, it } from '@jest/globals';
import type { Progress } from '../../src/issuance/progress.js';
import { translator } from '../../src/i18n/catalogs.js';
import { EU_LANGUAGES } from '../../src/i18n/languages.js';
import { bindingSection, type BindingPanel, type ListPage } from '../../src/ui/views/dashboard.js';

const ID = '0123456789abcdef01234567';
const progress = {
  waiting: 0,
  'awaiting-approval': 0,
  queued: 0,
  signing: 0,
  issued: 4990,
  failed: 10,
  suspended: 0,
  revoked: 0,
  learners: 5000,
  percentDone: 100,
} satisfies Progress;

function render(page: Partial<ListPage>, lang: (typeof EU_LANGUAGES)[number] = 'en'): string {
  const panel: BindingPanel = {
    id: ID,
    title: 'Data analysis',
    enabled: true,
    regradePolicy: 'keep',
    rule: { outcomes: [], require: { mode: 'all' } } as never,
    outcomes: [],
    progress,
    synced: true,
    requests: [],
    notYet: [],
    gradebook: { has: false, available: false },
    syncNotes: [],
    charts: { learners: 0, outcomes: [], distance: [], issued: [] },
    total: 5000,
    page: { skip: 0, limit: 200, total: 5000, path: '/lti/courses/c1', ...page },
  };
  return String(bindingSection(panel, [], translator(lang), lang, '/lti/api/courses/c1'));
}

const links = (markup: string) =>
  Object.fromEntries(
    [...markup.matchAll(/<a class="button" rel="(prev|next)" href="([^"]+)"/g)].map((m) => [
      m[1]!,
      m[2]!.replace(/&amp;/g, '&'),
    ]),
  );

describe('dashboard issuance list paging', () => {
  it('says where the page is in a large list, with links to the pages on either side', () => {
    const markup = render({ skip: 200 });
    expect(markup).toContain('Showing 201–400 of 5,000');
    expect(links(markup)).toEqual({
      prev: `/lti/courses/c1?binding=${ID}#b-${ID}`,
      next: `/lti/courses/c1?binding=${ID}&skip=400#b-${ID}`,
    });
  });

  it.each(EU_LANGUAGES)('%s: the range and the paging links are translated', (lang) => {
    const markup = render({ skip: 200 }, lang);
    const t = translator(lang);
    const n = new Intl.NumberFormat(lang);
    expect(markup).toContain(
      t('showingRange', { from: n.format(201), to: n.format(400), total: n.format(5000) }),
    );
    expect(markup).toContain(`>${t('previousPage')}</a>`);
    expect(markup).toContain(`>${t('nextPage')}</a>`);
    expect(markup).toContain(`<option value="">${t('allStates')}</option>`);
  });

  it('keeps the filter and a page size that is not the default in its links; no Next on the last page', () => {
    const markup = render({ state: 'failed', limit: 4, skip: 4, total: 10 });
    expect(markup).toContain('Showing 5–8 of 10');
    expect(links(markup)).toEqual({
      prev: `/lti/courses/c1?binding=${ID}&state=failed&limit=4#b-${ID}`,
      next: `/lti/courses/c1?binding=${ID}&state=failed&skip=8&limit=4#b-${ID}`,
    });
    expect(markup).toMatch(/<option value="failed"\s+selected>/);
    const last = render({ limit: 4, skip: 8, total: 10 });
    expect(last).toContain('Showing 9–10 of 10');
    expect(Object.keys(links(last))).toEqual(['prev']);
  });

  it('past the end of the list says so and links back to the last page', () => {
    const markup = render({ limit: 4, skip: 40, total: 10 });
    expect(markup).toContain('This page is past the end of the list (10 in all).');
    expect(links(markup)).toEqual({ prev: `/lti/courses/c1?binding=${ID}&skip=8&limit=4#b-${ID}` });
  });
});
