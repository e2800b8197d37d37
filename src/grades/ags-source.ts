import type { AgsClient, LineItem } from '../lti/ags.js';
import { activeLearners, memberName, type NrpsClient } from '../lti/nrps.js';
import { emptyEvidence, type CourseSnapshot, type GradeSource, type RosterLearner } from './source.js';
import type { LearnerEvidence } from '../courses/rules.js';

/** How many line items' results are read at once; the platform's rate limit applies on top. */
const PARALLEL_LINE_ITEMS = 4;

/**
 * Grades through LTI Advantage: the roster from NRPS, grade items and results from AGS. Platforms show the
 * tool only its own line items (Moodle answers 404 for the rest), so this source offers those; the LMS's
 * own APIs (Moodle Web Services, Canvas REST) see the whole gradebook.
 */
export class AgsGradeSource implements GradeSource {
  readonly kind = 'ags';

  constructor(
    private readonly ags: AgsClient,
    private readonly nrps: NrpsClient,
    private readonly urls: { lineItemsUrl: string; membershipsUrl: string; excludeLineItemUrl?: string },
  ) {}

  async snapshot(): Promise<CourseSnapshot> {
    const problems: string[] = [];
    const [learners, lineItems] = await Promise.all([
      this.readRoster().catch((err: Error) => {
        problems.push(`roster (NRPS): ${err.message}`);
        return [] as RosterLearner[];
      }),
      this.ags.listLineItems(this.urls.lineItemsUrl).catch((err: Error) => {
        problems.push(`grade items (AGS): ${err.message}`);
        return [] as LineItem[];
      }),
    ]);
    const items = lineItems.filter((li) => li.id && li.id !== this.urls.excludeLineItemUrl);
    const evidence = new Map<string, LearnerEvidence>(learners.map((l) => [l.id, emptyEvidence()]));

    let next = 0;
    const readNext = async (): Promise<void> => {
      for (let item = items[next++]; item; item = items[next++]) {
        try {
          for (const r of await this.ags.listResults(item.id!)) {
            const e = evidence.get(r.userId);
            if (!e || r.resultScore === undefined || r.resultScore === null) continue;
            e.scores[item.id!] = { score: r.resultScore, max: r.resultMaximum ?? item.scoreMaximum };
          }
        } catch (err) {
          problems.push(`results of "${item.label}" (AGS): ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_LINE_ITEMS, items.length) }, readNext));

    return {
      learners,
      options: items.map((li) => ({ kind: 'assessment', id: li.id!, name: li.label, max: li.scoreMaximum })),
      evidence,
      complete: problems.length === 0,
      problems,
    };
  }

  private async readRoster(): Promise<RosterLearner[]> {
    const members = await this.nrps.listMembers(this.urls.membershipsUrl);
    return activeLearners(members).map((m) => ({
      id: m.user_id,
      name: memberName(m),
      givenName: m.given_name,
      familyName: m.family_name,
      email: m.email,
      gradable: true,
    }));
  }
}
