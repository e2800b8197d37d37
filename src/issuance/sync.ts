import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { CourseBindingDoc } from '../courses/binding-model.js';
import {
  evaluateRule,
  progressRecord,
  ruleHash,
  ruleSchema,
  type LearnerProgressRecord,
  type Rule,
  type Shortfall,
} from '../courses/rules.js';
import {
  emptyEvidence,
  evidenceFingerprint,
  evidenceForStorage,
  type CourseSnapshot,
  type GradeSource,
  type RosterLearner,
} from '../grades/source.js';
import { learnerAddress } from '../notifications/address.js';
import type { Queues } from '../queue/queues.js';
import { enqueueIssue } from './queueing.js';
import type { CredentialOps } from './ports.js';
import { GradeSnapshot, IssuanceRequest, snapshotId, type IssuanceRequestData } from './request-model.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';
import { awardsNeedApproval } from '../institutions/institutions.js';

export interface SyncSummary {
  status: 'ok' | 'partial' | 'failed';
  learners: number;
  changed: number;
  qualified: number;
  newRequests: number;
  regraded: number;
  problems: string[];
  notes: string[];
}

export interface SyncDeps {
  queues: Queues;
  credentials: CredentialOps;
  logger: Logger;
}

/** What the roster says of a learner, without absent fields (MongoDB would store them as null). */
function rosterIdentity(learner: RosterLearner): Omit<RosterLearner, 'id'> {
  const { id: _id, ...rest } = learner;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<
    RosterLearner,
    'id'
  >;
}

/** Names of evidence ids, so reasons read "Quiz 1: 40%" rather than an id. */
function optionNames(snapshot: CourseSnapshot): Record<string, string> {
  return Object.fromEntries(snapshot.options.map((o) => [o.id, o.name]));
}

/**
 * One grade sync of one binding: read the course through its source, evaluate the rule for every learner
 * whose evidence changed since the last sync, record an IssuanceRequest for each learner who newly qualifies
 * (unique per binding and learner, so a repeated sync records nothing twice), and apply the regrade policy
 * to holders who no longer qualify. Issues nothing when the source could not read everything.
 */
export async function syncBinding(
  binding: CourseBindingDoc,
  source: GradeSource,
  deps: SyncDeps,
): Promise<SyncSummary> {
  const rule: Rule = ruleSchema.parse(binding.rule);
  const ruleVersion = ruleHash(rule);
  const bindingId = String(binding._id);
  const started = performance.now();
  const snapshot = await source.snapshot();
  const readMs = Math.round(performance.now() - started);
  if (!snapshot.complete) {
    const summary: SyncSummary = {
      status: 'partial',
      learners: snapshot.learners.length,
      changed: 0,
      qualified: 0,
      newRequests: 0,
      regraded: 0,
      problems: snapshot.problems,
      notes: snapshot.notes ?? [],
    };
    await recordSync(binding, summary);
    deps.logger.warn(
      { bindingId, problems: snapshot.problems },
      'grade sync read partial data; nothing issued',
    );
    return summary;
  }

  const names = optionNames(snapshot);
  // Results an instructor imported by hand stand in for grades the LMS never saw: where the institution asks
  // manual awards to be approved, what they earn waits for an administrator too.
  const approvalNeeded =
    binding.source?.kind === 'manual' && (await awardsNeedApproval(binding.institutionId));
  const [previous, requests] = await Promise.all([
    GradeSnapshot.find(
      { bindingId },
      { learnerId: 1, fingerprint: 1, ruleHash: 1, qualified: 1, learner: 1, progress: 1 },
    ).lean(),
    IssuanceRequest.find(
      { bindingId },
      { learnerId: 1, state: 1, statusReason: 1, flagged: 1, 'evidence.manualAward': 1 },
    ).lean(),
  ]);
  const previousByLearner = new Map(previous.map((p) => [p.learnerId, p]));
  const requestByLearner = new Map(requests.map((r) => [r.learnerId, r as typeof r & RequestSummary]));

  const snapshotWrites: {
    _id: string;
    bindingId: string;
    learnerId: string;
    fingerprint: string;
    ruleHash: string;
    qualified: boolean;
    missing: string[];
    progress: LearnerProgressRecord;
    learner: Omit<RosterLearner, 'id'>;
  }[] = [];
  const newRequests: IssuanceRequestData[] = [];
  const meetsRuleNow: string[] = [];
  let changed = 0;
  let qualified = 0;
  let regraded = 0;

  for (const learner of snapshot.learners) {
    const evidence = snapshot.evidence.get(learner.id) ?? emptyEvidence();
    const fingerprint = evidenceFingerprint(evidence);
    const before = previousByLearner.get(learner.id);
    // A learner is evaluated again when their grades or the rule changed. Snapshots from before the roster and
    // the progress were kept with them are written again once, with both.
    const sameGrades = before?.fingerprint === fingerprint;
    if (sameGrades && before?.ruleHash === ruleVersion && before.learner?.name && before.progress) {
      if (before.qualified) qualified++;
      continue;
    }
    changed++;
    const result = evaluateRule(rule, evidence, names);
    if (result.qualified) qualified++;
    snapshotWrites.push({
      _id: snapshotId(bindingId, learner.id),
      bindingId,
      learnerId: learner.id,
      fingerprint,
      ruleHash: ruleVersion,
      qualified: result.qualified,
      missing: result.missing,
      progress: progressRecord(result),
      learner: rosterIdentity(learner),
    });

    const request = requestByLearner.get(learner.id);
    if (result.qualified && !request) {
      const requestId = randomUUID();
      const email = learnerAddress(learner.email);
      // The address stays out of the log: it is personal data, and here possibly someone else's too.
      if (learner.email && !email)
        deps.logger.warn(
          { bindingId, requestId },
          "the learner's roster address is not one valid e-mail address: no e-mail",
        );
      newRequests.push({
        _id: requestId,
        bindingId,
        platformId: binding.platformId,
        deploymentId: binding.deploymentId,
        contextId: binding.contextId,
        learnerId: learner.id,
        learner: {
          name: learner.name,
          givenName: learner.givenName,
          familyName: learner.familyName,
          email,
          locale: learner.locale,
          gradable: learner.gradable,
        },
        evidence: evidenceForStorage(evidence),
        state: approvalNeeded ? 'awaiting-approval' : 'queued',
        attempts: 0,
      } as IssuanceRequestData);
    } else if (request?.state === 'awaiting-approval') {
      // A manual award still waiting, for a learner who now meets the rule: the rule is authority enough.
      if (result.qualified && !approvalNeeded) {
        const promoted = await IssuanceRequest.updateOne(
          { _id: request._id, state: 'awaiting-approval' },
          { $set: { state: 'queued', evidence: evidenceForStorage(evidence) } },
        );
        if (promoted.modifiedCount) meetsRuleNow.push(request._id);
      }
    } else if (request && !request.evidence?.manualAward && !sameGrades) {
      // A manual award never met the rule: a regrade says nothing about it. Nor does an edit of the rule: the
      // regrade policy answers changed grades; credentials issued under the earlier rule stand.
      regraded += await applyRegrade(binding, request, result.qualified, result, deps);
    }
  }

  // Requests first, snapshots last: a crash in between re-evaluates these learners next time instead of
  // remembering them as seen without their request (the unique index absorbs the repeat).
  const inserted = await insertNewRequests(newRequests);
  await enqueueIssue(deps.queues, [...(approvalNeeded ? [] : inserted), ...meetsRuleNow]);
  await replaceSnapshots(snapshotWrites);

  const summary: SyncSummary = {
    status: 'ok',
    learners: snapshot.learners.length,
    changed,
    qualified,
    newRequests: inserted.length,
    regraded,
    problems: [],
    notes: snapshot.notes ?? [],
  };
  await recordSync(binding, summary);
  // How long reading the LMS took against the whole sync: tells a slow LMS from slow storage.
  const durationMs = Math.round(performance.now() - started);
  deps.logger.info({ bindingId, ...summary, readMs, durationMs }, 'grade sync done');
  return summary;
}

/**
 * Replaces the changed learners' snapshots: one delete and one insert, whatever their number (an update per
 * learner would cost a collection scan each on FerretDB). A crash in between only makes those learners look
 * changed next time, and requests are unique, so nothing is issued twice.
 */
async function replaceSnapshots(snapshots: { _id: string }[]): Promise<void> {
  if (snapshots.length === 0) return;
  await GradeSnapshot.deleteMany({ _id: { $in: snapshots.map((s) => s._id) } });
  await GradeSnapshot.insertMany(snapshots, { ordered: false });
}

/** Inserts what is new; a request another sync inserted first (same binding and learner) is skipped. */
async function insertNewRequests(requests: IssuanceRequestData[]): Promise<string[]> {
  if (requests.length === 0) return [];
  try {
    const docs = await IssuanceRequest.insertMany(requests, { ordered: false });
    return docs.map((d) => String(d._id));
  } catch (err) {
    if (!onlyDuplicateKeys(err)) throw err;
    return ((err as { insertedDocs?: { _id: unknown }[] }).insertedDocs ?? []).map((d) => String(d._id));
  }
}

type RequestSummary = {
  _id: string;
  state: string;
  statusReason?: string | null;
  flagged?: string | null;
  evidence?: { manualAward?: unknown };
};

/**
 * A learner holding a credential who no longer qualifies: keep it (flag for the instructor), suspend or
 * revoke it, as the binding says; what they lack is kept as data so every reader sees it in their language.
 * One who qualifies again gets a regrade suspension lifted, and the flag removed in the same update.
 */
async function applyRegrade(
  binding: CourseBindingDoc,
  request: RequestSummary,
  qualifies: boolean,
  lacks: { missing: string[]; shortfalls: Shortfall[] },
  deps: SyncDeps,
): Promise<number> {
  const id = request._id;
  if (qualifies) {
    if (request.state === 'suspended' && request.statusReason === 'regrade') {
      await deps.credentials.setStatus(id, 'active', 'meets the rule again');
      await IssuanceRequest.updateOne(
        { _id: id, state: 'suspended' },
        { $set: { state: 'issued', statusReason: '', flagged: '' }, $unset: { shortfalls: 1 } },
      );
      return 1;
    }
    // The flag goes with what it found missing, except from a regrade revocation: that is why it was revoked.
    if (request.flagged)
      await IssuanceRequest.updateOne(
        { _id: id },
        request.statusReason === 'regrade'
          ? { $set: { flagged: '' } }
          : { $set: { flagged: '' }, $unset: { shortfalls: 1 } },
      );
    return 0;
  }
  const flag = {
    flagged: `no longer meets the rule: ${lacks.missing.join('; ')}`,
    shortfalls: lacks.shortfalls,
  };
  if (request.state === 'suspended' && request.statusReason === 'regrade') {
    // The grades changed again during a regrade suspension: say what is missing now.
    await IssuanceRequest.updateOne({ _id: id, state: 'suspended', statusReason: 'regrade' }, { $set: flag });
    return 0;
  }
  if (request.state !== 'issued') return 0;
  switch (binding.regradePolicy) {
    case 'keep':
      await IssuanceRequest.updateOne({ _id: id }, { $set: flag });
      return 1;
    case 'suspend':
    case 'revoke': {
      const state = binding.regradePolicy === 'suspend' ? 'suspended' : 'revoked';
      await deps.credentials.setStatus(id, state, flag.flagged);
      await IssuanceRequest.updateOne(
        { _id: id, state: 'issued' },
        { $set: { state, statusReason: 'regrade', ...flag } },
      );
      return 1;
    }
  }
}

async function recordSync(binding: CourseBindingDoc, summary: SyncSummary): Promise<void> {
  binding.set('sync', {
    status: summary.status,
    at: new Date(),
    problems: summary.problems,
    notes: summary.notes,
    learners: summary.learners,
    qualified: summary.qualified,
    changed: summary.changed,
    newRequests: summary.newRequests,
  });
  await binding.save();
}
