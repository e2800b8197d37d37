import { Router } from 'express';
import { CourseBinding } from '../courses/binding-model.js';
import { ruleSchema } from '../courses/rules.js';
import { bindingProgress } from '../issuance/progress.js';
import { supersededFor } from '../issuance/reissue.js';
import { IssuanceRequest } from '../issuance/request-model.js';
import { platformServices, requireCourse } from '../lti/course-access.js';
import type { LtiDeps } from '../lti/deps.js';
import { LtiPlatform } from '../lti/models.js';
import { LmsConnection } from '../grades/lms-connection-model.js';
import { lmsGradeSource } from '../grades/lms-sources.js';
import { parseEncryptionKey } from '../security/encryption.js';
import type { TemplateData } from '../templates/schema.js';
import { Template } from '../templates/template-model.js';
import { localized } from './credential-view.js';
import { html } from './html.js';
import { pickLanguage, translator } from './i18n.js';
import { sendScreen } from './layout.js';
import {
  bindingSection,
  enableSection,
  type ItemChoice,
  type RequestRow,
  type TemplateChoice,
} from './views/dashboard.js';

/**
 * The instructor's course dashboard, scoped to the course of the launch: enable templates and map their
 * outcomes to the course's assessments, dry run, per-learner status with live progress, and actions.
 * Everything it changes goes through the issuance JSON API with the session's CSRF token.
 */
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
      Template.find({ status: 'published' }, { key: 1, version: 1, data: 1 })
        .sort({ key: 1, version: -1 })
        .lean(),
      CourseBinding.find({ courseId }).sort({ createdAt: 1 }).lean(),
    ]);

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

    const PAGE = 200;
    const panels = await Promise.all(
      bindings.map(async (b) => {
        const bindingId = String(b._id);
        const [template, progress, requests, total] = await Promise.all([
          Template.findOne({ key: b.templateId, version: b.templateVersion }, { data: 1 }).lean(),
          bindingProgress(bindingId),
          IssuanceRequest.find({ bindingId }).sort({ createdAt: 1 }).limit(PAGE).lean(),
          IssuanceRequest.countDocuments({ bindingId }),
        ]);
        // Each learner's credentials that re-issues replaced, listed just before the one that replaced them.
        const history = new Map<string, RequestRow[]>();
        const replaced = new Map<string, string>();
        for (const h of await supersededFor(
          bindingId,
          requests.map((r) => r.learnerId),
          PAGE,
        )) {
          const row: RequestRow = {
            id: String(h._id),
            name: h.learner?.name ?? h.learnerId,
            state: 'superseded',
            issuedAt: h.issuedAt ?? undefined,
            reason: h.statusReason || '',
            supersededBy: h.supersededBy,
            reissueReason: h.reissueReason || '',
          };
          history.set(h.learnerId, [...(history.get(h.learnerId) ?? []), row]);
          replaced.set(h.supersededBy, row.id);
        }
        const data = (template?.data ?? {}) as TemplateData;
        return bindingSection(
          {
            id: bindingId,
            title: localized(data.title, lang) || b.templateId,
            enabled: b.enabled,
            regradePolicy: b.regradePolicy,
            rule: ruleSchema.parse(b.rule),
            outcomes: outcomesOf(data),
            progress,
            synced: (b.sync?.status ?? 'never') !== 'never',
            requests: requests.flatMap((r) => [
              ...(history.get(r.learnerId) ?? []),
              {
                id: String(r._id),
                name: r.learner?.name ?? r.learnerId,
                state: r.state,
                issuedAt: r.issuedAt ?? undefined,
                reason: r.lastError || r.statusReason || r.flagged || '',
                replaces: replaced.get(String(r._id)),
              },
            ]),
            total,
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
        ${panels} ${enableSection(choices, items, itemsProblem, t)}
      </div>`,
    });
  });

  return router;
}
