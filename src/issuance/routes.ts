import { once } from 'node:events';
import { textIn } from '../i18n/languages.js';
import { Router, json, text, type Request, type Response } from 'express';
import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { CourseBinding, type CourseBindingDoc } from '../courses/binding-model.js';
import { findPublishedTemplate } from '../templates/lifecycle.js';
import { BindingError, enableTemplate, fieldProblems, updateBinding } from '../courses/bindings.js';
import { recordAudit } from '../db/models/audit-event.js';
import type { GradeSourceFactory } from '../grades/source-factory.js';
import {
  CsvImportError,
  importResults,
  parseResultsCsv,
  rowsOfRoster,
  type RosterEntry,
} from '../grades/manual-source.js';
import { platformServices, requireCourse, requireCsrf } from '../lti/course-access.js';
import { LtiError, platformServiceError } from '../lti/errors.js';
import { LtiResourceLink, type LtiCourse } from '../lti/models.js';
import type { LaunchSessionDoc as SessionDoc } from '../web/sessions.js';
import { activeLearners, memberName } from '../lti/nrps.js';
import type { ServiceTokens } from '../lti/service-token.js';
import type { Queues } from '../queue/queues.js';
import { translator } from '../i18n/catalogs.js';
import { pickLanguage } from '../web/language.js';
import { requestReason, type ReasonFields } from '../ui/reasons.js';
import { listFields } from './listing.js';
import { AwardRefusedError, awardManually, awardSchema } from './manual-award.js';
import type { CredentialOps } from './ports.js';
import { bindingProgress, dryRun } from './progress.js';
import { enqueueIssue, enqueueSync, requeueIssue } from './queueing.js';
import { reissueRevoked, supersededFor } from './reissue.js';
import { IssuanceRequest, SupersededRequest, type IssuanceRequestData } from './request-model.js';

export interface IssuanceRouteDeps {
  queues: Queues;
  sources: GradeSourceFactory;
  /** The platform's AGS, for checking that a write-back line item is one of the course's own. */
  serviceTokens: ServiceTokens;
  credentials: CredentialOps;
  auditRetentionDays: number;
}

const statusSchema = z.strictObject({
  status: z.enum(['revoked', 'suspended', 'active']),
  reason: z.string().trim().min(5, 'give a reason of at least 5 characters').max(1000),
});

const reissueSchema = z.strictObject({
  reason: z.string().trim().min(5, 'give a reason of at least 5 characters').max(1000),
});

// `lang` picks the language of the reasons in words.
const listSchema = z.strictObject({ ...listFields, lang: z.string().optional() });

function invalid(error: z.ZodError): never {
  throw new BindingError('invalid', 'invalid_input', 'the request is not valid', fieldProblems(error));
}

/** One CSV field: quoted when it holds a comma, quote or line break; formula starts neutralised for spreadsheets. */
function csvField(value: unknown): string {
  let s = value === undefined || value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes one chunk of a streamed answer, waiting while the client is slower than the database. */
async function write(res: Response, chunk: string): Promise<void> {
  if (!res.write(chunk)) await once(res, 'drain');
}

/**
 * The instructor's issuance API for the course of the session: enable and map templates, sync, dry run,
 * progress, the issuance list, retry, revoke or suspend, manual awards and CSV imports. Writes need the
 * session's CSRF token. Every binding is looked up with the session's course, so no other course is reachable.
 */
export function issuanceRouter(deps: IssuanceRouteDeps): Router {
  const router = Router();
  const base = '/lti/api/courses/:courseId/bindings';

  const bindingFor = async (req: Request, write: boolean) => {
    const { session, course } = await requireCourse(req, true);
    if (write) requireCsrf(req, session);
    const bindingId = String(req.params.bindingId);
    const binding = isValidObjectId(bindingId)
      ? await CourseBinding.findOne({
          _id: bindingId,
          courseId: String(course._id),
          platformId: String(session.platformId),
          institutionId: session.institutionId,
        })
      : null;
    if (!binding) throw new LtiError(404, 'not_found', 'No such credential in this course.');
    return { session, course, binding };
  };

  /**
   * Each request with its reason in words, in the reader's language (`?lang=`, the language cookie, the
   * launch's locale), beside the stored machine values (`statusReason: 'regrade'`, `shortfalls`).
   */
  const withReasons = (req: Request, res: Response, session: SessionDoc) => {
    const lang = pickLanguage(req, res, session.locale);
    const t = translator(lang);
    return <T extends ReasonFields>(r: T) => ({ ...r, ...requestReason(r, t, lang) });
  };

  const requestFor = async (bindingId: string, requestId: string) => {
    const request = await IssuanceRequest.findOne({ _id: requestId, bindingId });
    if (!request) throw new LtiError(404, 'not_found', 'No such issuance in this course.');
    return request;
  };

  const audit = (session: SessionDoc, action: string, id: string, details: Record<string, unknown>) =>
    recordAudit(
      {
        actor: { kind: 'instructor', id: session.userId },
        institutionId: session.institutionId,
        action,
        target: { kind: 'issuance-request', id },
        details,
      },
      deps.auditRetentionDays,
    );

  /** The course's learners as the LMS's roster (NRPS) lists them; a course without a roster service has none. */
  const courseLearners = async (
    session: SessionDoc,
    course: InstanceType<typeof LtiCourse>,
  ): Promise<RosterEntry[]> => {
    if (!course.membershipsUrl)
      throw new LtiError(
        409,
        'no_roster_service',
        "Results can be imported only for learners the LMS's roster lists, and the LMS offers no roster service for this course.",
      );
    const { nrps } = await platformServices(session.platformId, deps.serviceTokens);
    const members = await nrps.listMembers(course.membershipsUrl).catch(platformServiceError);
    return activeLearners(members).map((m) => ({
      id: m.user_id,
      name: memberName(m),
      ...(m.email ? { email: m.email } : {}),
    }));
  };

  /**
   * A write-back line item is chosen from the course's own AGS line items, never typed: the URL given must be
   * the id of one the platform lists for this course, so the platform's tokens never go elsewhere.
   */
  const checkWriteBackItem = async (
    session: SessionDoc,
    course: InstanceType<typeof LtiCourse>,
    body: unknown,
  ): Promise<void> => {
    const url = (body as { writeBackLineItemUrl?: unknown } | undefined)?.writeBackLineItemUrl;
    if (typeof url !== 'string' || url === '') return;
    const refuse = (problem: string): never => {
      throw new BindingError('invalid', 'invalid_input', 'the binding is not valid', [
        `writeBackLineItemUrl: ${problem}`,
      ]);
    };
    if (!course.lineItemsUrl) refuse('the LMS offers no grade service for this course');
    const { ags } = await platformServices(session.platformId, deps.serviceTokens);
    const items = await ags.listLineItems(course.lineItemsUrl).catch(platformServiceError);
    if (!items.some((item) => item.id === url))
      refuse(
        "not one of this course's line items in the LMS (GET /lti/api/courses/:courseId/line-items lists them)",
      );
  };

  router.get(base, async (req, res) => {
    const { course } = await requireCourse(req, true);
    const bindings = await CourseBinding.find({ courseId: String(course._id) }).lean();
    res.json({
      bindings: await Promise.all(
        bindings.map(async (b) => ({ ...b, progress: await bindingProgress(String(b._id)) })),
      ),
    });
  });

  router.post(base, json({ limit: '64kb' }), async (req, res) => {
    const { session, course } = await requireCourse(req, true);
    requireCsrf(req, session);
    await checkWriteBackItem(session, course, req.body);
    const binding = await enableTemplate(
      {
        institutionId: session.institutionId,
        courseId: String(course._id),
        platformId: String(session.platformId),
        deploymentId: session.deploymentId,
        contextId: course.contextId,
        title: course.title,
        lineItemsUrl: course.lineItemsUrl,
        membershipsUrl: course.membershipsUrl,
      },
      req.body,
    );
    await enqueueSync(deps.queues, String(binding._id));
    res.status(201).json(binding.toObject());
  });

  router.put(`${base}/:bindingId`, json({ limit: '64kb' }), async (req, res) => {
    const { session, course, binding } = await bindingFor(req, true);
    await checkWriteBackItem(session, course, req.body);
    const updated = await updateBinding(binding, req.body);
    // A new rule: every learner is evaluated again (src/issuance/sync.ts), now rather than at the next launch.
    if (req.body && typeof req.body === 'object' && 'rule' in req.body && updated.enabled)
      await enqueueSync(deps.queues, String(updated._id));
    res.json(updated.toObject());
  });

  /** The column's name in the gradebook: the credential's title in the instructor's language, where it has one. */
  const columnLabel = async (binding: CourseBindingDoc, locale: string): Promise<string> => {
    const template = await findPublishedTemplate(
      binding.institutionId,
      binding.templateId,
      binding.templateVersion,
    );
    const title = template?.data.title;
    const lang = locale.slice(0, 2).toLowerCase() as keyof NonNullable<typeof title>;
    return (textIn(title, lang) ?? binding.templateId).slice(0, 200);
  };

  /**
   * A column in the LMS gradebook for the credential (AGS): the tool's own line item, tied to the activity the
   * instructor launched from, created once (found again by its resource id if it exists already); every holder
   * gets the full score, those issued before through a re-run of their (finished) issuance job. An LMS that
   * created a line item with the activity (deep linking with a line item) has that one used instead.
   */
  router.post(`${base}/:bindingId/gradebook-column`, async (req, res) => {
    const { session, course, binding } = await bindingFor(req, true);
    if (binding.writeBackLineItemUrl)
      throw new LtiError(
        409,
        'already_has_column',
        'This credential already has a column in the LMS gradebook.',
      );
    if (!course.lineItemsUrl)
      throw new LtiError(409, 'no_grade_service', 'The LMS offers no grade service for this course.');
    const { ags } = await platformServices(session.platformId, deps.serviceTokens);
    const resourceId = `credbridge:${String(binding._id)}`;
    const mine = await ags.listLineItems(course.lineItemsUrl).catch(platformServiceError);
    const link = session.resourceLinkId
      ? await LtiResourceLink.findOne({
          platformId: session.platformId,
          deploymentId: session.deploymentId,
          resourceLinkId: session.resourceLinkId,
        }).lean()
      : null;
    const fromLink = link?.lineItemUrl && link.templateId === binding.templateId ? link.lineItemUrl : '';
    const existing =
      mine.find((item) => item.resourceId === resourceId) ?? mine.find((item) => item.id === fromLink);
    const item =
      existing ??
      (await ags
        .createLineItem(course.lineItemsUrl, {
          label: await columnLabel(binding, session.locale),
          scoreMaximum: 100,
          resourceId,
          tag: 'credbridge-credential',
          ...(session.resourceLinkId ? { resourceLinkId: session.resourceLinkId } : {}),
        })
        .catch(platformServiceError));
    if (!item.id)
      throw new LtiError(502, 'platform_service_error', 'The LMS created a line item without an id.');
    const updated = await CourseBinding.findOneAndUpdate(
      { _id: binding._id, writeBackLineItemUrl: '' },
      { $set: { writeBackLineItemUrl: item.id } },
      { returnDocument: 'after' },
    );
    if (!updated)
      throw new LtiError(
        409,
        'already_has_column',
        'This credential already has a column in the LMS gradebook.',
      );
    const holders = await IssuanceRequest.find(
      { bindingId: String(binding._id), state: 'issued', writeBack: 'none' },
      { _id: 1 },
    ).lean();
    for (const h of holders) await requeueIssue(deps.queues, String(h._id));
    await audit(session, 'binding.gradebook-column', String(binding._id), {
      lineItem: item.id,
      created: !existing,
    });
    res.status(201).json({ lineItem: { id: item.id, label: item.label }, backfill: holders.length });
  });

  router.post(`${base}/:bindingId/sync`, async (req, res) => {
    const { binding } = await bindingFor(req, true);
    await enqueueSync(deps.queues, String(binding._id));
    res.status(202).json({ queued: true });
  });

  router.get(`${base}/:bindingId/progress`, async (req, res) => {
    const { binding } = await bindingFor(req, false);
    res.json({ progress: await bindingProgress(String(binding._id)), sync: binding.sync });
  });

  router.get(`${base}/:bindingId/options`, async (req, res) => {
    const { binding } = await bindingFor(req, false);
    const snapshot = await (await deps.sources(binding)).snapshot();
    res.json({ options: snapshot.options, complete: snapshot.complete, problems: snapshot.problems });
  });

  router.get(`${base}/:bindingId/dry-run`, async (req, res) => {
    const { binding } = await bindingFor(req, false);
    res.json(await dryRun(binding, await deps.sources(binding)));
  });

  router.get(`${base}/:bindingId/requests`, async (req, res) => {
    const { session, binding } = await bindingFor(req, false);
    const query = listSchema.safeParse(req.query);
    if (!query.success) invalid(query.error);
    const { state, skip, limit } = query.data;
    const bindingId = String(binding._id);
    const reasoned = withReasons(req, res, session);
    if (state === 'superseded') {
      // The history alone, paged the same way.
      const [requests, total] = await Promise.all([
        SupersededRequest.find({ bindingId }).sort({ supersededAt: 1 }).skip(skip).limit(limit).lean(),
        SupersededRequest.countDocuments({ bindingId }),
      ]);
      res.json({ total, requests: requests.map(reasoned) });
      return;
    }
    const filter = { bindingId, ...(state ? { state } : {}) };
    const [requests, total] = await Promise.all([
      IssuanceRequest.find(filter).sort({ createdAt: 1 }).skip(skip).limit(limit).lean(),
      IssuanceRequest.countDocuments(filter),
    ]);
    // With the page: what re-issues replaced for its learners (each names the request that replaced it).
    const superseded = await supersededFor(
      bindingId,
      requests.map((r) => r.learnerId),
      limit,
    );
    res.json({ total, requests: requests.map(reasoned), superseded: superseded.map(reasoned) });
  });

  // Every request, then every request a re-issue replaced (state `superseded`, with the id of the request and
  // credential that replaced it), streamed from two cursors so a large course is never held in memory.
  router.get(`${base}/:bindingId/requests.csv`, async (req, res) => {
    const { session, binding } = await bindingFor(req, false);
    const bindingId = String(binding._id);
    const reasoned = withReasons(req, res, session);
    const header = [
      'learner_id',
      'name',
      'email',
      'state',
      'issued_at',
      'reason',
      'flag',
      'credential_id',
      'replaced_by',
      'reissue_reason',
    ];
    const line = (fields: unknown[]) => `${fields.map(csvField).join(',')}\r\n`;
    res.type('text/csv').attachment(`issuance-${binding.templateId}.csv`);
    await write(res, line(header));
    type Row = Pick<IssuanceRequestData, 'learnerId' | 'learner' | 'issuedAt' | 'flagged'> & { _id: string };
    const row = (r: Row, state: string, reason: unknown, replacedBy = '', reissueReason = '') =>
      write(
        res,
        line([
          r.learnerId,
          r.learner?.name,
          r.learner?.email,
          state,
          r.issuedAt?.toISOString(),
          reason,
          r.flagged,
          r._id,
          replacedBy,
          reissueReason,
        ]),
      );
    for await (const r of IssuanceRequest.find({ bindingId }).sort({ createdAt: 1 }).lean().cursor()) {
      await row(r, r.state, reasoned(r).reason);
    }
    for await (const r of SupersededRequest.find({ bindingId }).sort({ supersededAt: 1 }).lean().cursor()) {
      await row(r, 'superseded', reasoned(r).reason, r.supersededBy, r.reissueReason ?? '');
    }
    res.end();
  });

  router.post(`${base}/:bindingId/requests/:requestId/retry`, async (req, res) => {
    const { session, binding } = await bindingFor(req, true);
    const request = await requestFor(String(binding._id), String(req.params.requestId));
    const updated = await IssuanceRequest.findOneAndUpdate(
      { _id: request._id, state: 'failed' },
      { $set: { state: 'queued', lastError: '', attempts: 0 } },
      { returnDocument: 'after' },
    );
    if (!updated)
      throw new LtiError(
        409,
        'not_failed',
        `Only failed issuances can be retried (this one is ${request.state}).`,
      );
    await requeueIssue(deps.queues, String(request._id));
    await audit(session, 'credential.retry', String(request._id), {});
    res.status(202).json({ state: updated.state });
  });

  // Re-issue: a failed request is retried; a revoked one is replaced by a new credential (the old stays revoked).
  router.post(`${base}/:bindingId/requests/:requestId/reissue`, json({ limit: '16kb' }), async (req, res) => {
    const { session, binding } = await bindingFor(req, true);
    const input = reissueSchema.safeParse(req.body);
    if (!input.success) invalid(input.error);
    const requestId = String(req.params.requestId);
    const current = await IssuanceRequest.findOne({ _id: requestId, bindingId: String(binding._id) }).lean();
    if (current?.state === 'failed') {
      const updated = await IssuanceRequest.updateOne(
        { _id: requestId, state: 'failed' },
        { $set: { state: 'queued', lastError: '', attempts: 0 } },
      );
      if (updated.modifiedCount) await requeueIssue(deps.queues, requestId);
      await audit(session, 'credential.retry', requestId, { reason: input.data.reason });
      res.status(202).json({ requestId, state: 'queued' });
      return;
    }
    const newId = await reissueRevoked(String(binding._id), requestId, input.data.reason);
    if (!newId)
      throw new LtiError(
        409,
        'wrong_state',
        current
          ? `Only revoked or failed credentials can be re-issued (this one is ${current.state}).`
          : 'No such issuance in this course.',
      );
    await enqueueIssue(deps.queues, [newId]);
    await audit(session, 'credential.reissue', requestId, {
      reason: input.data.reason,
      newRequestId: newId,
    });
    res.status(202).json({ requestId: newId, state: 'queued' });
  });

  router.post(`${base}/:bindingId/requests/:requestId/status`, json({ limit: '16kb' }), async (req, res) => {
    const { session, binding } = await bindingFor(req, true);
    const input = statusSchema.safeParse(req.body);
    if (!input.success) invalid(input.error);
    const request = await requestFor(String(binding._id), String(req.params.requestId));
    const allowed: Record<string, string[]> = {
      revoked: ['issued', 'suspended'],
      suspended: ['issued'],
      active: ['suspended'],
    };
    if (!allowed[input.data.status]!.includes(request.state)) {
      throw new LtiError(
        409,
        'wrong_state',
        `A credential that is ${request.state} cannot become ${input.data.status}.`,
      );
    }
    await deps.credentials.setStatus(String(request._id), input.data.status, input.data.reason);
    const state = input.data.status === 'active' ? 'issued' : input.data.status;
    await IssuanceRequest.updateOne(
      { _id: request._id },
      { $set: { state, statusReason: input.data.status === 'active' ? '' : input.data.reason } },
    );
    await audit(session, `credential.${input.data.status}`, String(request._id), {
      reason: input.data.reason,
    });
    res.json({ state });
  });

  router.post(`${base}/:bindingId/awards`, json({ limit: '16kb' }), async (req, res) => {
    const { session, binding } = await bindingFor(req, true);
    const input = awardSchema.safeParse(req.body);
    if (!input.success) invalid(input.error);
    try {
      const award = await awardManually(
        binding,
        input.data,
        { id: session.userId, name: session.name },
        deps.auditRetentionDays,
        deps.queues,
      );
      res.status(202).json(award);
    } catch (err) {
      if (err instanceof AwardRefusedError) throw new LtiError(err.status, err.code, err.message);
      throw err;
    }
  });

  router.post(
    `${base}/:bindingId/results`,
    text({ type: ['text/csv', 'text/plain'], limit: '10mb' }),
    async (req, res) => {
      const { session, course, binding } = await bindingFor(req, true);
      if (binding.source?.kind !== 'manual') {
        throw new LtiError(
          409,
          'not_manual',
          'Results can be imported only for a credential whose grades are entered by hand.',
        );
      }
      if (typeof req.body !== 'string') throw new LtiError(415, 'not_csv', 'Send the results as text/csv.');
      try {
        const rows = parseResultsCsv(req.body);
        // Only learners the LMS lists, under the LMS's name and address (src/grades/manual-source.ts).
        const roster = await courseLearners(session, course);
        const learners = await importResults(String(binding._id), rowsOfRoster(rows, roster));
        await enqueueSync(deps.queues, String(binding._id));
        res.json({ learners });
      } catch (err) {
        if (err instanceof CsvImportError)
          throw new BindingError('invalid', 'invalid_csv', 'the CSV file is not valid', err.problems);
        throw err;
      }
    },
  );

  return router;
}
