import { describe, expect, it } from '@jest/globals';
import { evaluateRule, progressRecord, ruleSchema } from '../../src/courses/rules.js';
import { translator } from '../../src/i18n/catalogs.js';
import { checkWords } from '../../src/ui/reasons.js';

/**
 * What the learner's progress is built from: each piece of evidence the rule checked, met or not, with its numbers;
 * and the words each reader gets for it.
 */
const rule = ruleSchema.parse({
  outcomes: [
    {
      outcome: 0,
      evidence: [{ kind: 'assessment', itemId: 'q1', threshold: { unit: 'percent', value: 50 } }],
    },
    {
      outcome: 1,
      combine: 'all',
      evidence: [
        { kind: 'activityCompletion', activityId: 'a1', requirePass: true },
        { kind: 'competency', competencyId: 'c1' },
      ],
    },
  ],
  minCourseTotalPercent: 60,
});
const names = { q1: 'Quiz 1', a1: 'Lab', c1: 'Regression' };

describe('a rule’s checks, for the learner’s progress', () => {
  it('keeps every piece of evidence with its numbers, met or not, and the course total', () => {
    const result = evaluateRule(
      rule,
      {
        scores: { q1: { score: 45, max: 100 } },
        activities: { a1: 'passed' },
        competencies: {},
        courseTotalPercent: 72.25,
      },
      names,
    );
    expect(result.qualified).toBe(false);
    expect(progressRecord(result)).toEqual({
      outcomes: [
        {
          outcome: 0,
          met: false,
          checks: [{ met: false, seen: { kind: 'percent', item: 'Quiz 1', percent: 45, needed: 50 } }],
        },
        {
          outcome: 1,
          met: false,
          checks: [
            { met: true, seen: { kind: 'completed', item: 'Lab', withPass: true } },
            { met: false, seen: { kind: 'notProficient', item: 'Regression' } },
          ],
        },
      ],
      courseTotal: { percent: 72.3, needed: 60, met: true },
    });
    // A met threshold keeps its numbers too.
    const passed = evaluateRule(
      rule,
      { scores: { q1: { score: 8, max: 10 } }, activities: {}, competencies: {} },
      names,
    );
    expect(passed.outcomes[0]!.checks).toEqual([
      { met: true, seen: { kind: 'percent', item: 'Quiz 1', percent: 80, needed: 50 } },
    ]);
    expect(passed.courseTotal).toEqual({ needed: 60, met: false });
  });

  it('says each check in the reader’s language, numbers their way', () => {
    const check = {
      met: false,
      seen: { kind: 'percent' as const, item: 'Quiz 1', percent: 40.5, needed: 50 },
    };
    expect(checkWords(check, translator('en'), 'en')).toBe('Quiz 1 is 40.5%, 50% needed');
    expect(checkWords(check, translator('de'), 'de')).toContain('40,5');
    expect(
      checkWords(
        { met: true, seen: { kind: 'completed', item: 'Lab', withPass: true } },
        translator('en'),
        'en',
      ),
    ).toBe('Lab is completed with a pass');
  });
});
