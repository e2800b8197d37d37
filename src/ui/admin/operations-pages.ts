import { Router } from 'express';
import { AuditEvent } from '../../db/models/audit-event.js';
import { issuanceOverview, type IssuanceCounts } from '../../issuance/overview.js';
import { REQUEST_STATES } from '../../issuance/request-model.js';
import { HttpError } from '../../web/errors.js';
import { html, type Html } from '../../render/html.js';
import type { Translate } from '../../i18n/catalogs.js';
import { institutionOf, operatorOnly, type ConsoleKit } from './console.js';

/** BullMQ's counts shown; completed jobs are removed on purpose (src/issuance/queueing.ts), so never counted. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Issuance from MongoDB, one row for the installation and one per institution: requests by state and the
 * credentials signed lately. Each count carries `data-scope` and `data-count` for scripts and tests.
 */
function issuanceTable(
  rows: { scope: string; name: string; counts: IssuanceCounts }[],
  t: Translate,
  lang: string,
): Html {
  const n = new Intl.NumberFormat(lang);
  const cell = (scope: string, key: string, value: number) =>
    html`<td data-scope="${scope}" data-count="${key}">${n.format(value)}</td>`;
  return html`<div class="table-wrap">
    <table class="counts">
      <caption class="visually-hidden">
        ${t('issuance')}
      </caption>
      <thead>
        <tr>
          <th scope="col">${t('institution')}</th>
          ${REQUEST_STATES.map((s) => html`<th scope="col">${t(`state.${s}`)}</th>`)}
          <th scope="col">${t('issuedLastHour')}</th>
          <th scope="col">${t('issuedLastDay')}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          ({ scope, name, counts }) =>
            html`<tr>
              <th scope="row">${name}</th>
              ${REQUEST_STATES.map((s) => cell(scope, s, counts.byState[s]))}
              ${cell(scope, 'issued-hour', counts.issuedLastHour)}
              ${cell(scope, 'issued-day', counts.issuedLastDay)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** The audit log (an operator's: the installation's; an administrator's: the institution's) and the queues (operators). */
export function operationsPages(kit: ConsoleKit): Router {
  const router = Router();

  // Audit log.
  router.get('/admin/audit', async (req, res) => {
    const [t] = kit.tr(req, res);
    // An operator reads the whole installation's log; an institution administrator only the institution's.
    const filter = req.admin!.kind === 'operator' ? {} : { institutionId: institutionOf(req) };
    const events = await AuditEvent.find(filter).sort({ at: -1 }).limit(200).lean();
    kit.screen(
      req,
      res,
      t('auditLog'),
      html`<div class="table-wrap">
        <table>
          <caption class="visually-hidden">
            ${t('auditLog')}
          </caption>
          <thead>
            <tr>
              <th scope="col">${t('when')}</th>
              <th scope="col">${t('who')}</th>
              <th scope="col">${t('what')}</th>
              <th scope="col">${t('target')}</th>
              <th scope="col">${t('reason')}</th>
            </tr>
          </thead>
          <tbody>
            ${events.map(
              (e) =>
                html`<tr>
                  <td>${e.at.toISOString().replace('T', ' ').slice(0, 19)}</td>
                  <td>${e.actor?.kind}: ${e.actor?.id}</td>
                  <td>${e.action}</td>
                  <td>${e.target?.kind}: ${e.target?.id}</td>
                  <td>${(e.details as { reason?: string } | undefined)?.reason ?? ''}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`,
      'auditLog',
    );
  });

  // Issuance (from MongoDB, the truth) and queue health (BullMQ: the work still to do).
  router.get('/admin/queues', operatorOnly, async (req, res) => {
    const [t, lang] = kit.tr(req, res);
    const [overview, rows] = await Promise.all([
      issuanceOverview(),
      Promise.all(
        kit.queues.all().map(async (q) => ({
          name: q.name,
          counts: await q.getJobCounts(...JOB_STATES),
          failed: await q.getFailed(0, 19),
        })),
      ),
    ]);
    kit.screen(
      req,
      res,
      t('queues'),
      html`<div class="table-wrap">
          <table class="counts">
            <caption class="visually-hidden">
              ${t('queues')}
            </caption>
            <thead>
              <tr>
                <th scope="col">${t('queue')}</th>
                ${JOB_STATES.map((s) => html`<th scope="col">${t(`jobs.${s}`)}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) =>
                  html`<tr>
                    <th scope="row">${r.name}</th>
                    ${JOB_STATES.map((s) => html`<td data-queue="${r.name}" data-jobs="${s}">${r.counts[s]}</td>`)}
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <h2>${t('issuance')}</h2>
        <p>${t('issuanceCounted')}</p>
        ${issuanceTable(
          [
            { scope: 'all', name: t('wholeInstallation'), counts: overview.installation },
            ...overview.institutions.map((i) => ({ scope: i.id, name: i.name, counts: i.counts })),
          ],
          t,
          lang,
        )}
        <h2>${t('failedJobs')}</h2>
        ${
          rows.some((r) => r.failed.length)
            ? rows
                .filter((r) => r.failed.length)
                .map(
                  (r) =>
                    html`<section class="panel" aria-labelledby="q-${r.name}">
                      <h3 id="q-${r.name}">${r.name}</h3>
                      <ul>
                        ${r.failed.map((j) => html`<li><code>${j.id}</code>: ${j.failedReason}</li>`)}
                      </ul>
                      <form method="post" action="/admin/queues/${r.name}/retry">
                        ${kit.csrf(req)}<button type="submit">${t('retryFailed')}</button>
                      </form>
                    </section>`,
                )
            : html`<p class="empty">${t('noFailedJobs')}</p>`
        }`,
      'queues',
    );
  });

  router.post('/admin/queues/:name/retry', operatorOnly, async (req, res) => {
    const queue = kit.queues.all().find((q) => q.name === req.params.name);
    if (!queue) throw new HttpError(404, 'not_found', 'No such queue');
    await queue.retryJobs({ state: 'failed' });
    await kit.audit(req, 'queue.retry-failed', 'queue', queue.name);
    res.redirect(303, '/admin/queues');
  });

  return router;
}
