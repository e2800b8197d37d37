import { CourseBinding } from '../courses/binding-model.js';
import { ruleHash, ruleSchema, type EvidenceCheck, type LearnerProgressRecord } from '../courses/rules.js';
import type { Language } from '../i18n/languages.js';
import { GradeSnapshot, IssuanceRequest, snapshotId } from '../issuance/request-model.js';
import type { TemplateData } from '../templates/schema.js';
import { findTemplateVersion } from '../templates/lifecycle.js';
import { localized } from './credential-view.js';

/**
 * Where one learner stands towards each credential a course offers, from what the last grade sync stored for
 * them (src/issuance/sync.ts keeps each outcome's checks with the snapshot): the learner's own grades only.
 */
export interface OfferedCredential {
  bindingId: string;
  title: string;
  courseTitle: string;
  /** The rule in numbers: how many outcomes of how many, and a course total when the rule has one. */
  rule: { needed: number; of: number; all: boolean; minCourseTotalPercent?: number };
  outcomes: { title: string; met: boolean; checks: EvidenceCheck[] }[];
  courseTotal?: LearnerProgressRecord['courseTotal'];
  /**
   * `earned` (a request exists, issued or on its way), `in-progress` (the sync has the learner, not qualified
   * yet), or `not-read` (no sync has read this learner's grades since the progress was kept).
   */
  standing: 'earned' | 'in-progress' | 'not-read';
  /** What the learner still needs: the checks of each unmet outcome, and the course total when short. */
  missing: EvidenceCheck[];
  /** When the grades shown were read: the course's last grade sync. */
  readAt?: Date;
}

const EARNED = new Set(['awaiting-approval', 'queued', 'signing', 'issued']);

type BindingRow = {
  _id: unknown;
  institutionId: string;
  templateId: string;
  templateVersion: number;
  courseTitle?: string;
  rule: unknown;
  sync?: { at?: Date | null } | null;
};

async function offered(
  bindings: BindingRow[],
  learnerId: string,
  lang: Language,
): Promise<OfferedCredential[]> {
  if (bindings.length === 0) return [];
  const ids = bindings.map((b) => String(b._id));
  const [templates, snapshots, requests] = await Promise.all([
    // Each binding's template version, read together rather than one after another.
    Promise.all(bindings.map((b) => findTemplateVersion(b.institutionId, b.templateId, b.templateVersion))),
    GradeSnapshot.find(
      { _id: { $in: ids.map((id) => snapshotId(id, learnerId)) } },
      { bindingId: 1, progress: 1, ruleHash: 1 },
    ).lean(),
    IssuanceRequest.find({ bindingId: { $in: ids }, learnerId }, { bindingId: 1, state: 1 }).lean(),
  ]);
  const snapshotOf = new Map(snapshots.map((s) => [s.bindingId, s]));
  // Earned: a credential issued or on its way. A revoked, suspended or failed one is no longer (or not) held: the
  // learner sees their progress again.
  const requested = new Set(requests.filter((r) => EARNED.has(r.state)).map((r) => r.bindingId));
  const out: OfferedCredential[] = [];
  for (const [i, b] of bindings.entries()) {
    const bindingId = String(b._id);
    const template = templates[i];
    if (!template) continue;
    const data = template.data as TemplateData;
    // One binding whose stored rule no longer parses must not take the learner's whole page down.
    const parsed = ruleSchema.safeParse(b.rule);
    if (!parsed.success) continue;
    const rule = parsed.data;
    // Progress read under an earlier version of the rule would show thresholds that no longer hold: until the
    // next sync evaluates the learner again, the course says their grades are yet to be read.
    const snapshot = snapshotOf.get(bindingId);
    const current = snapshot?.ruleHash === ruleHash(rule);
    const progress = current ? (snapshot?.progress as LearnerProgressRecord | undefined) : undefined;
    const byOutcome = new Map((progress?.outcomes ?? []).map((o) => [o.outcome, o]));
    const outcomes = rule.outcomes.map((m) => ({
      title: localized(data.learningOutcomes?.[m.outcome]?.title, lang) || `#${m.outcome + 1}`,
      met: byOutcome.get(m.outcome)?.met ?? false,
      checks: byOutcome.get(m.outcome)?.checks ?? [],
    }));
    const courseTotal = progress?.courseTotal;
    out.push({
      bindingId,
      title: localized(data.title, lang) || b.templateId,
      courseTitle: b.courseTitle ?? '',
      rule: {
        needed: rule.require.mode === 'all' ? rule.outcomes.length : rule.require.count,
        of: rule.outcomes.length,
        all: rule.require.mode === 'all',
        ...(rule.minCourseTotalPercent !== undefined
          ? { minCourseTotalPercent: rule.minCourseTotalPercent }
          : {}),
      },
      outcomes,
      ...(courseTotal ? { courseTotal } : {}),
      standing: requested.has(bindingId) ? 'earned' : progress ? 'in-progress' : 'not-read',
      missing: progress
        ? [
            ...outcomes.filter((o) => !o.met).flatMap((o) => o.checks.filter((c) => !c.met)),
            ...(courseTotal && !courseTotal.met
              ? [
                  {
                    met: false,
                    seen: {
                      kind: 'courseTotal' as const,
                      ...(courseTotal.percent === undefined ? {} : { percent: courseTotal.percent }),
                      needed: courseTotal.needed,
                    },
                  },
                ]
              : []),
          ]
        : [],
      // The last sync read every learner of the course, also those whose grades it found unchanged.
      ...(current && b.sync?.at ? { readAt: b.sync.at } : {}),
    });
  }
  return out;
}

const bindingFields = {
  institutionId: 1,
  templateId: 1,
  templateVersion: 1,
  courseTitle: 1,
  rule: 1,
  sync: 1,
} as const;

/** The credentials the launch's course offers, with this learner's standing towards each. */
export async function progressInCourse(
  courseId: string,
  learnerId: string,
  lang: Language,
): Promise<OfferedCredential[]> {
  const bindings = await CourseBinding.find({ courseId, enabled: true }, bindingFields)
    .sort({ createdAt: 1 })
    .lean();
  return offered(bindings, learnerId, lang);
}

/**
 * Every course of the platform where a sync has read this learner and whose credential they have not earned yet:
 * the e-mail link's page, which is not tied to one course.
 */
export async function progressOnPlatform(
  platformId: string,
  learnerId: string,
  lang: Language,
): Promise<OfferedCredential[]> {
  const seen = await GradeSnapshot.find({ learnerId }, { bindingId: 1 }).lean();
  if (seen.length === 0) return [];
  const bindings = await CourseBinding.find(
    { _id: { $in: seen.map((s) => s.bindingId) }, platformId, enabled: true },
    bindingFields,
  )
    .sort({ createdAt: 1 })
    .lean();
  return (await offered(bindings, learnerId, lang)).filter((o) => o.standing !== 'earned');
}
