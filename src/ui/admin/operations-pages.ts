import { Router } from 'express';
import { AuditEvent } from '../../db/models/audit-event.js';
import { HttpError } from '../../web/errors.js';
import { html } from '../html.js';
import { institutionOf, operatorOnly, type ConsoleKit } from './console.js';

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

  // Queue health.
  router.get('/admin/queues', operatorOnly, async (req, res) => {
    const [t] = kit.tr(req, res);
    const rows = await Promise.all(
      kit.queues.all().map(async (q) => ({
        name: q.name,
        counts: await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'),
        failed: await q.getFailed(0, 19),
      })),
    );
    kit.screen(
      req,
      res,
      t('queues'),
      html`<div class="table-wrap">
          <table>
            <caption class="visually-hidden">
              ${t('queues')}
            </caption>
            <thead>
              <tr>
                <th scope="col">${t('queue')}</th>
                <th scope="col">waiting</th>
                <th scope="col">active</th>
                <th scope="col">delayed</th>
                <th scope="col">completed</th>
                <th scope="col">failed</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) =>
                  html`<tr>
                    <td>${r.name}</td>
                    <td>${r.counts.waiting}</td>
                    <td>${r.counts.active}</td>
                    <td>${r.counts.delayed}</td>
                    <td>${r.counts.completed}</td>
                    <td>${r.counts.failed}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
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
