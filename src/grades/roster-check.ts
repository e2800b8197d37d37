import { activeLearners, memberName, type RosterMember } from '../lti/nrps.js';
import type { CourseSnapshot, GradeSource, RosterLearner } from './source.js';

/** How many names a note lists before it counts the rest. */
const NAMED = 10;

function named(learners: { name: string }[]): string {
  const names = learners.slice(0, NAMED).map((l) => l.name);
  return learners.length > NAMED
    ? `${names.join(', ')} and ${learners.length - NAMED} more`
    : names.join(', ');
}

/**
 * Who may earn a credential is the course's LTI roster (NRPS): the people the LMS lets into the tool, under
 * the ids its launches carry. An LMS API source (Moodle Web Services, Canvas REST) supplies their grades. The two
 * are read together: a learner the API grades but the roster does not list is not credited, a learner on the
 * roster the API has no grades for waits with none, and each difference is a note the instructor sees. Names
 * and e-mail come from the roster where it gives them (Moodle's API hides e-mail without a capability). A roster
 * that cannot be read issues nothing, like any partial read.
 */
export class RosterCheckedSource implements GradeSource {
  readonly kind: string;

  constructor(
    private readonly inner: GradeSource,
    private readonly roster: (() => Promise<RosterMember[]>) | undefined,
  ) {
    this.kind = inner.kind;
  }

  async snapshot(): Promise<CourseSnapshot> {
    if (!this.roster) {
      const snapshot = await this.inner.snapshot();
      return {
        ...snapshot,
        notes: [
          ...(snapshot.notes ?? []),
          "The LMS offers no roster service (NRPS) for this course: the LMS API's list of learners is used.",
        ],
      };
    }
    const [snapshot, members] = await Promise.all([
      this.inner.snapshot(),
      this.roster().then(
        (m) => m,
        (err: unknown) => err as Error,
      ),
    ]);
    if (members instanceof Error)
      return {
        ...snapshot,
        complete: false,
        problems: [...snapshot.problems, `The course roster (NRPS) could not be read: ${members.message}`],
      };
    const enrolled = activeLearners(members);
    const graded = new Map(snapshot.learners.map((l) => [l.id, l]));
    const onRoster = new Set(enrolled.map((m) => m.user_id));
    const learners: RosterLearner[] = enrolled.map((m) => {
      const api = graded.get(m.user_id);
      return {
        id: m.user_id,
        name: m.name || api?.name || memberName(m),
        ...((m.given_name ?? api?.givenName) ? { givenName: m.given_name ?? api?.givenName } : {}),
        ...((m.family_name ?? api?.familyName) ? { familyName: m.family_name ?? api?.familyName } : {}),
        ...(m.email || api?.email ? { email: m.email || api?.email } : {}),
        ...(api?.locale ? { locale: api.locale } : {}),
        gradable: api?.gradable ?? true,
      };
    });
    const notOnRoster = snapshot.learners.filter((l) => !onRoster.has(l.id));
    const ungraded = learners.filter((l) => !graded.has(l.id));
    const notes = [...(snapshot.notes ?? [])];
    if (notOnRoster.length)
      notes.push(
        `${notOnRoster.length} graded in the LMS but not on the course's roster (NRPS), so not credited: ${named(notOnRoster)}`,
      );
    if (ungraded.length)
      notes.push(
        `${ungraded.length} on the course's roster (NRPS) without grades from the LMS API: ${named(ungraded)}`,
      );
    const evidence = new Map([...snapshot.evidence].filter(([id]) => onRoster.has(id)));
    return { ...snapshot, learners, evidence, notes };
  }
}
