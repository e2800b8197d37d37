import { describe, expect, it } from '@jest/globals';
import type { Progress } from '../../src/issuance/progress.js';
import { translator } from '../../src/i18n/catalogs.js';
import {
  bindingSection,
  enableSection,
  type BindingPanel,
  type ItemChoice,
} from '../../src/ui/views/dashboard.js';

/** The instructor's credential panel, as Moodle 4.5's course showed the need for it. */
const t = translator('en');
const progress = {
  waiting: 3,
  'awaiting-approval': 1,
  queued: 0,
  signing: 0,
  issued: 2,
  failed: 0,
  suspended: 0,
  revoked: 0,
  learners: 6,
  percentDone: 66,
} satisfies Progress;
const items: ItemChoice[] = [
  { id: 'quiz-1', name: 'Quiz 1', kind: 'assessment' },
  { id: 'cmid-7', name: 'Read the handbook', kind: 'activityCompletion' },
];

function panel(overrides: Partial<BindingPanel> = {}): BindingPanel {
  return {
    id: '0123456789abcdef01234567',
    title: 'Data analysis',
    enabled: true,
    regradePolicy: 'keep',
    rule: {
      outcomes: [
        {
          outcome: 0,
          evidence: [{ kind: 'assessment', itemId: 'quiz-1', threshold: { unit: 'percent', value: 60 } }],
        },
        { outcome: 1, evidence: [{ kind: 'activityCompletion', activityId: 'cmid-7', requirePass: true }] },
      ],
    } as never,
    outcomes: ['Clean data', 'Know the rules'],
    progress,
    synced: true,
    requests: [],
    total: 3,
    page: { skip: 0, limit: 200, total: 3, path: '/lti/courses/c1' },
    notYet: [
      { name: 'Ana', missing: ['Quiz 1: 45%, 60% needed'] },
      { name: 'Bo', missing: ['Read the handbook: not completed'] },
    ],
    gradebook: { has: false, available: true },
    syncNotes: [],
    charts: { learners: 0, outcomes: [], distance: [], issued: [] },
    ...overrides,
  };
}

/** The markup with white space folded, as a browser reads it. */
const render = (p: BindingPanel) =>
  String(bindingSection(p, items, t, 'en', '/lti/api/courses/c1'))
    .replace(/\s+/g, ' ')
    .replace(/ >/g, '>');

describe('the instructor’s credential panel', () => {
  it('names who does not meet the rule yet and what each lacks, and counts the rest', () => {
    const markup = render(panel());
    expect(markup).toContain('Not meeting the rule yet <small>(3)</small>');
    expect(markup).toContain('<strong>Ana</strong> — Missing: Quiz 1: 45%, 60% needed');
    expect(markup).toContain('and 1 more');
    // Counted among the others, awaiting approval too.
    expect(markup).toContain('data-count="awaiting-approval"');
  });

  it('shows a pass threshold only where a grade is mapped', () => {
    const fieldsets = render(panel()).split('<fieldset class="outcome">').slice(1);
    expect(fieldsets[0]).toMatch(/<span class="field threshold">/);
    expect(fieldsets[1]).toMatch(/<span class="field threshold" hidden/);
    // The completion stays picked in its select.
    expect(fieldsets[1]).toMatch(/value="cmid-7" data-kind="activityCompletion" selected/);
  });

  it('offers a gradebook column where the LMS has a grade service, and says when holders are scored there', () => {
    expect(render(panel())).toContain('class="gradebook-column"');
    expect(render(panel({ gradebook: { has: false, available: false } }))).not.toContain('gradebook-column');
    const has = render(panel({ gradebook: { has: true, available: true } }));
    expect(has).toContain('Holders get full marks in the LMS gradebook column.');
    expect(has).not.toContain('class="gradebook-column"');
  });

  it('draws the charts and gives their numbers as tables, escaping what the LMS named', () => {
    const bins = [0, 0, 1, 0, 2, 0, 3, 4, 0, 1];
    const out = render(
      panel({
        charts: {
          learners: 11,
          outcomes: [
            { outcome: 0, met: 8 },
            { outcome: 1, met: 11 },
          ],
          distance: [{ item: 'Quiz <1>', needed: 60, bins, noGrade: 0 }],
          issued: [
            { from: new Date('2026-11-30T00:00:00Z'), days: 1, count: 5 },
            { from: new Date('2026-12-01T00:00:00Z'), days: 1, count: 3 },
          ],
        },
      }),
    );
    // Attainment: a bar as long as the share (8 of 11 of a 504-unit bar), and the row in the table.
    expect(out).toContain('width="367" height="22" class="bar-met"');
    expect(out).toContain('<th scope="row">Clean data</th> <td>8</td><td>11</td>');
    // The distance: each tenth of the scale, the threshold's side by colour, and the numbers.
    expect(out).toContain('Quiz &lt;1&gt;: grades against the 60% threshold');
    expect(out).not.toContain('Quiz <1>');
    expect(out.match(/class="bar-below"/g)).toHaveLength(6);
    expect(out.match(/class="bar-above"/g)).toHaveLength(4);
    expect(out).toContain('<th scope="row">70% – 79%</th> <td>4</td>');
    // Issuance over time, a row per day.
    expect(out).toContain('<th scope="row">Nov 30, 2026</th> <td>5</td>');
    // The pictures are hidden from screen readers; the tables are what they read.
    expect(out.match(/<svg[^>]*aria-hidden="true"/g)).toHaveLength(3);
    expect(out.match(/<div class="visually-hidden"> <table>/g)).toHaveLength(3);
  });

  it('draws no charts before a sync has read anyone', () => {
    expect(render(panel())).not.toContain('class="charts"');
  });

  it('shows what the last sync noticed', () => {
    const markup = render(
      panel({
        syncNotes: ["1 graded in the LMS but not on the course's roster (NRPS), so not credited: Eve"],
      }),
    );
    expect(markup).toContain('From the last grade sync');
    expect(markup).toContain('so not credited: Eve');
  });

  it('says which credential an activity placed by deep linking was added for', () => {
    const choice = { key: 'data', version: 1, title: 'Data analysis', outcomes: ['Clean data'] };
    const markup = String(enableSection([choice], items, '', t, choice));
    expect(markup).toContain('This activity was added for “Data analysis”');
  });
});
