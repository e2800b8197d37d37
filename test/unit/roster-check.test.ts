import { describe, expect, it } from '@jest/globals';
import { RosterCheckedSource } from '../../src/grades/roster-check.js';
import { emptyEvidence, type CourseSnapshot, type GradeSource } from '../../src/grades/source.js';
import type { RosterMember } from '../../src/lti/nrps.js';

/** An LMS API source (Moodle Web Services, Canvas REST) as the roster check sees it. */
function api(learners: { id: string; name: string; email?: string }[]): GradeSource {
  return {
    kind: 'moodle',
    async snapshot(): Promise<CourseSnapshot> {
      return {
        learners: learners.map((l) => ({ ...l, gradable: true })),
        options: [],
        evidence: new Map(learners.map((l) => [l.id, emptyEvidence()])),
        complete: true,
        problems: [],
      };
    },
  };
}

const member = (user_id: string, name: string, extra: Partial<RosterMember> = {}): RosterMember => ({
  user_id,
  name,
  roles: ['Learner'],
  appRole: 'learner',
  ...extra,
});

describe('the course roster (NRPS) and the LMS API', () => {
  it('credits only learners on the roster, under its names and e-mail, and notes each difference', async () => {
    const source = new RosterCheckedSource(
      api([
        { id: '4', name: 'Ana (from the API)' },
        { id: '5', name: 'Bo' },
        { id: '9', name: 'Eve, enrolment ended' },
      ]),
      async () => [
        member('4', 'Ana Andromeda', { email: 'ana@example.org' }),
        member('5', 'Bo Bell'),
        member('6', 'Cy, no grades yet'),
        member('3', 'Terry Teacher', { roles: ['Instructor'], appRole: 'instructor' }),
        member('7', 'Dee, suspended', { status: 'Inactive' }),
      ],
    );
    const snapshot = await source.snapshot();
    expect(snapshot.complete).toBe(true);
    expect(snapshot.learners.map((l) => [l.id, l.name, l.email])).toEqual([
      ['4', 'Ana Andromeda', 'ana@example.org'],
      ['5', 'Bo Bell', undefined],
      ['6', 'Cy, no grades yet', undefined],
    ]);
    expect([...snapshot.evidence.keys()].sort()).toEqual(['4', '5']);
    expect(snapshot.notes).toEqual([
      "1 graded in the LMS but not on the course's roster (NRPS), so not credited: Eve, enrolment ended",
      "1 on the course's roster (NRPS) without grades from the LMS API: Cy, no grades yet",
    ]);
  });

  it('issues nothing when the roster cannot be read', async () => {
    const source = new RosterCheckedSource(api([{ id: '4', name: 'Ana' }]), async () => {
      throw new Error('502 unreachable');
    });
    const snapshot = await source.snapshot();
    expect(snapshot.complete).toBe(false);
    expect(snapshot.problems).toEqual(['The course roster (NRPS) could not be read: 502 unreachable']);
  });

  it("says so when the LMS gives no roster service, and uses the API's list", async () => {
    const snapshot = await new RosterCheckedSource(api([{ id: '4', name: 'Ana' }]), undefined).snapshot();
    expect(snapshot.learners.map((l) => l.id)).toEqual(['4']);
    expect(snapshot.notes?.[0]).toMatch(/^The LMS offers no roster service \(NRPS\)/);
  });
});
