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
