import { Router } from 'express';
import { z } from 'zod';
import { CourseBinding } from '../courses/binding-model.js';
import { ruleSchema } from '../courses/rules.js';
import { fieldProblems } from '../courses/bindings.js';
import { listFields, PAGE_SIZE_DEFAULT } from '../issuance/listing.js';
import { bindingProgress } from '../issuance/progress.js';
import { supersededFor } from '../issuance/reissue.js';
import {
  GradeSnapshot,
  IssuanceRequest,
  REQUEST_STATES,
  SupersededRequest,
  type SupersededRequestData,
} from '../issuance/request-model.js';
import { platformServices, requireCourse } from '../lti/course-access.js';
import type { LtiDeps } from '../lti/deps.js';
import { LtiPlatform, LtiResourceLink } from '../lti/models.js';
import { LmsConnection } from '../grades/lms-connection-model.js';
import { lmsGradeSource } from '../grades/lms-sources.js';
import { parseEncryptionKey } from '../security/encryption.js';
import type { TemplateData } from '../templates/schema.js';
import { Template } from '../templates/template-model.js';
import { localized } from './credential-view.js';
import { courseCharts } from '../issuance/course-charts.js';
import { html } from '../render/html.js';
import { translator, type Translate } from '../i18n/catalogs.js';
import { type Language } from '../i18n/languages.js';
import { pickLanguage } from '../web/language.js';
import { sendScreen } from './layout.js';
import { requestReason } from './reasons.js';
import {
  bindingSection,
  enableSection,
  type ItemChoice,
  type RequestRow,
  type TemplateChoice,
} from './views/dashboard.js';

/**
 * Which page of which credential's issuance list the dashboard shows, from its URL: `binding` names the
 * credential the other fields apply to (all of them when it is left out); an empty `state` means every state.
 */
const dashboardQuery = z.object({
  binding: z.string().optional(),
  ...listFields,
  state: z.preprocess((v) => (v === '' ? undefined : v), listFields.state),
});

/** A request a re-issue replaced, as a row of the list: marked replaced, pointing to its replacement. */
function supersededRow(
  h: SupersededRequestData & { _id: unknown },
  t: Translate,
  lang: Language,
): RequestRow {
  return {
    id: String(h._id),
    name: h.learner?.name ?? h.learnerId,
    state: 'superseded',
    issuedAt: h.issuedAt ?? undefined,
    reason: requestReason(h, t, lang).reason,
    supersededBy: h.supersededBy,
    reissueReason: h.reissueReason || '',
  };
}

/**
 * The instructor's course dashboard, scoped to the course of the launch: enable templates and map their
 * outcomes to the course's assessments, dry run, per-learner status with live progress, and actions.
 * Everything it changes goes through the issuance JSON API with the session's CSRF token.
 */
/** How many learners who do not meet the rule yet the dashboard names (the rest are counted). */
const NOT_YET_SHOWN = 50;

export function instructorScreensRouter(deps: LtiDeps): Router {
  const router = Router();

  router.get('/lti/courses/:courseId', async (req, res) => {
    const { session, course } = await requireCourse(req, true);
    const lang = pickLanguage(req, res, session.locale);
    const t = translator(lang);
    const courseId = String(course._id);
    const api = `/lti/api/courses/${courseId}`;

    const [platform, published, bindings] = await Promise.all([
      LtiPlatform.findById(session.platformId, { issuer: 1, authLoginUrl: 1 }).lean(),
      Template.find(
        { institutionId: session.institutionId, status: 'published' },
        { key: 1, version: 1, data: 1 },
      )
        .sort({ key: 1, version: -1 })
        .lean(),
      CourseBinding.find({ courseId, institutionId: session.institutionId }).sort({ createdAt: 1 }).lean(),
    ]);
    const refuse = (problems: string[]) =>
      sendScreen(req, res, {
        lang,
        t,
        status: 400,
        frameAncestors: platform ? [platform.issuer, platform.authLoginUrl] : [],
        title: t('dashboardTitle', { course: course.title || course.label || '' }),
        body: html`<p>${t('listInvalid')}</p>
          <ul class="problems" role="alert">
            ${problems.map((p) => html`<li>${p}</li>`)}
          </ul>
          <p><a href="/lti/courses/${courseId}">${t('firstPage')}</a></p>`,
      });
    const parsed = dashboardQuery.safeParse(req.query);
    if (!parsed.success) {
      refuse(fieldProblems(parsed.error));
      return;
    }
    const query = parsed.data;
    if (query.binding && !bindings.some((b) => String(b._id) === query.binding)) {
      refuse(['binding: no such credential in this course']);
      return;
    }

    // What the course offers to map, to pick from rather than type ids: through the LMS's own API when the
    // admin connected one (the whole gradebook, completion, competencies), else the tool's AGS line items.
    let items: ItemChoice[] = [];
    let itemsProblem = '';
    let source = 'ags';
    const connection = await LmsConnection.findOne(
      { platformId: String(session.platformId) },
      { kind: 1 },
    ).lean();
    if (connection && deps.config.KEY_ENCRYPTION_KEY) {
      source = connection.kind;
      try {
        const lms = await lmsGradeSource(parseEncryptionKey(deps.config.KEY_ENCRYPTION_KEY), {
          platformId: String(session.platformId),
          deploymentId: session.deploymentId,
          contextId: course.contextId,
        });
        const offered = await lms.options();
        items = offered.options.map((o) => ({ id: o.id, name: o.name, kind: o.kind }));
        if (offered.problems.length) itemsProblem = t('itemsUnavailable');
      } catch (err) {
        deps.logger.warn({ err, courseId }, 'LMS options could not be read for the dashboard');
        itemsProblem = t('itemsUnavailable');
      }
    } else if (course.lineItemsUrl) {
      try {
        const { ags } = await platformServices(session.platformId, deps.serviceTokens);
        items = (await ags.listLineItems(course.lineItemsUrl)).map((li) => ({ id: li.id!, name: li.label }));
      } catch (err) {
        deps.logger.warn({ err, courseId }, 'line items could not be read for the dashboard');
        itemsProblem = t('itemsUnavailable');
      }
    } else {
      itemsProblem = t('noGradeService');
    }

    const newest = new Map<string, (typeof published)[number]>();
    for (const tpl of published) if (!newest.has(tpl.key)) newest.set(tpl.key, tpl);
    const outcomesOf = (data: TemplateData) =>
      (data.learningOutcomes ?? []).map((o) => localized(o.title, lang));
    const bound = new Set(bindings.map((b) => b.templateId));
    const choices: TemplateChoice[] = [...newest.values()]
      .filter((tpl) => !bound.has(tpl.key))
      .map((tpl) => {
        const data = tpl.data as TemplateData;
        return {
          key: tpl.key,
          version: tpl.version,
          title: localized(data.title, lang) || tpl.key,
          outcomes: outcomesOf(data),
        };
      });

    // Opened from an activity deep linking placed for a template the course has not enabled yet: say so, first.
    const link = session.resourceLinkId
      ? await LtiResourceLink.findOne(
          {
            platformId: session.platformId,
            deploymentId: session.deploymentId,
            resourceLinkId: session.resourceLinkId,
          },
          { templateId: 1 },
        ).lean()
      : null;
    const placed = choices.find((c) => c.key === link?.templateId);
    if (placed) choices.sort((a, b) => (a === placed ? -1 : b === placed ? 1 : 0));

    const panels = await Promise.all(
      bindings.map(async (b) => {
        const bindingId = String(b._id);
        const { state, skip, limit } =
          !query.binding || query.binding === bindingId
            ? query
            : { state: undefined, skip: 0, limit: PAGE_SIZE_DEFAULT };
        const history = state === 'superseded';
        const filter = { bindingId, ...(state && !history ? { state } : {}) };
        const rule = ruleSchema.parse(b.rule);
        const [template, progress, requests, replacedPage, replacedTotal, notYet, charts] = await Promise.all(
          [
            Template.findOne(
              { institutionId: b.institutionId, key: b.templateId, version: b.templateVersion },
              { data: 1 },
            ).lean(),
            bindingProgress(bindingId),
            history ? [] : IssuanceRequest.find(filter).sort({ createdAt: 1 }).skip(skip).limit(limit).lean(),
            // Filtered to the history alone: the replaced requests, paged the same way.
            history
              ? SupersededRequest.find({ bindingId }).sort({ supersededAt: 1 }).skip(skip).limit(limit).lean()
              : [],
            history ? SupersededRequest.countDocuments({ bindingId }) : 0,
            GradeSnapshot.find({ bindingId, qualified: false }, { learnerId: 1, learner: 1, missing: 1 })
              .limit(NOT_YET_SHOWN)
              .lean(),
            courseCharts(bindingId, rule),
          ],
        );
        // Counted from the per-state counts the progress bar reads anyway, not by counting the list again.
        const total = REQUEST_STATES.reduce((sum, s) => sum + progress[s], 0);
        const pageTotal = history ? replacedTotal : state ? progress[state] : total;
        // Each learner's credentials that re-issues replaced, listed just before the one that replaced them.
        const earlier = new Map<string, RequestRow[]>();
        const replaced = new Map<string, string>();
        for (const h of await supersededFor(
          bindingId,
          requests.map((r) => r.learnerId),
          limit,
        )) {
          const row = supersededRow(h, t, lang);
          earlier.set(h.learnerId, [...(earlier.get(h.learnerId) ?? []), row]);
          replaced.set(h.supersededBy, row.id);
        }
        const data = (template?.data ?? {}) as TemplateData;
        return bindingSection(
          {
            id: bindingId,
            title: localized(data.title, lang) || b.templateId,
            enabled: b.enabled,
            regradePolicy: b.regradePolicy,
            rule,
            outcomes: outcomesOf(data),
            progress,
            synced: (b.sync?.status ?? 'never') !== 'never',
            requests: history
              ? replacedPage.map((h) => supersededRow(h, t, lang))
              : requests.flatMap((r) => [
                  ...(earlier.get(r.learnerId) ?? []),
                  {
                    id: String(r._id),
                    name: r.learner?.name ?? r.learnerId,
                    state: r.state,
                    issuedAt: r.issuedAt ?? undefined,
                    reason: requestReason(r, t, lang).reason,
                    replaces: replaced.get(String(r._id)),
                  },
                ]),
            total,
            page: { state, skip, limit, total: pageTotal, path: `/lti/courses/${courseId}` },
            notYet: notYet.map((n) => ({ name: n.learner?.name ?? n.learnerId, missing: n.missing ?? [] })),
            gradebook: { has: Boolean(b.writeBackLineItemUrl), available: Boolean(course.lineItemsUrl) },
            syncNotes: [...(b.sync?.problems ?? []), ...(b.sync?.notes ?? [])],
            charts,
          },
          items,
          t,
          lang,
          api,
        );
      }),
    );

    sendScreen(req, res, {
      lang,
      t,
      title: t('dashboardTitle', { course: course.title || course.label || '' }),
      frameAncestors: platform ? [platform.issuer, platform.authLoginUrl] : [],
      // Changing the language stays on the page of the list shown.
      keep: Object.fromEntries(
        Object.entries({ ...query, state: query.state ?? '' })
          .filter(([k, v]) => v !== undefined && v !== '' && (k !== 'skip' || v !== 0))
          .filter(([k, v]) => k !== 'limit' || v !== PAGE_SIZE_DEFAULT)
          .map(([k, v]) => [k, String(v)]),
      ),
      scripts: ['common.js', 'dashboard.js'],
      body: html`<div
        id="dashboard"
        data-api="${api}"
        data-source="${source}"
        data-csrf="${session.csrfToken}"
        data-msg-error="${t('actionFailed')}"
        data-msg-qualified="${t('qualified')}"
        data-msg-not-qualified="${t('notQualified')}"
        data-msg-learner="${t('learner')}"
        data-msg-result="${t('dryRunResult')}"
        data-msg-why="${t('whyNot')}"
        data-msg-incomplete="${t('dryRunIncomplete')}"
      >
        <p>${t('signedInAs', { name: session.name || session.userId })}</p>
        ${panels} ${enableSection(choices, items, itemsProblem, t, placed)}
      </div>`,
    });
  });

  return router;
}
