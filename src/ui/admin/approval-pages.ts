import { Router } from 'express';
import { z } from 'zod';
import { decideAward, findPendingAward, isOwnAward, pendingAwards } from '../../issuance/approval.js';
import { fieldProblems } from '../../courses/bindings.js';
import { HttpError } from '../../web/errors.js';
import { html } from '../../render/html.js';
import { institutionOf, institutionOnly, type ConsoleKit } from './console.js';

const decision = z.strictObject({
  _csrf: z.string().optional(),
  decision: z.enum(['approve', 'refuse']),
  reason: z.string().trim().min(5, 'give a reason of at least 5 characters').max(1000),
});

/** Manual awards of the institution's courses that wait for an administrator (when the institution asks for it). */
export function approvalPages(kit: ConsoleKit): Router {
  const router = Router();
  router.use('/admin/approvals', institutionOnly);

  router.get('/admin/approvals', async (req, res) => {
    const [t] = kit.tr(req, res);
    const awards = await pendingAwards(institutionOf(req));
    kit.screen(
      req,
      res,
      t('approvals'),
      html`<p>${t('approvalsIntro')}</p>
        ${
          awards.length
            ? awards.map(
                (a) =>
                  html`<section class="panel" aria-labelledby="award-${a.requestId}">
                    <h2 id="award-${a.requestId}">${a.learnerName} <small>(${a.learnerId})</small></h2>
                    <dl>
                      <dt>${t('course')}</dt>
                      <dd>${a.contextId}</dd>
                      ${
                        a.kind === 'award'
                          ? html`<dt>${t('awardedBy')}</dt>
                              <dd>
                                ${a.awardedBy}, ${a.awardedAt.toISOString().slice(0, 16).replace('T', ' ')}
                              </dd>
                              <dt>${t('reason')}</dt>
                              <dd>${a.reason}</dd>`
                          : html`<dt>${t('reason')}</dt>
                              <dd>${t('importedResults')}</dd>`
                      }
                    </dl>
                    <form method="post" action="/admin/approvals/${a.requestId}" class="stack">
                      ${kit.csrf(req)}
                      <label for="why-${a.requestId}">${t('decisionReason')}</label>
                      <input id="why-${a.requestId}" name="reason" required minlength="5" maxlength="1000" />
                      <div class="actions">
                        <button type="submit" name="decision" value="approve">${t('approve')}</button>
                        <button type="submit" name="decision" value="refuse">${t('refuse')}</button>
                      </div>
                    </form>
                  </section>`,
              )
            : html`<p class="empty">${t('noApprovals')}</p>`
        }`,
      'approvals',
    );
  });

  router.post('/admin/approvals/:requestId', async (req, res) => {
    // Another institution's award is "no such award", whatever the form says.
    const award = await findPendingAward(institutionOf(req), String(req.params.requestId));
    if (!award) throw new HttpError(404, 'not_found', 'No such award waiting for approval');
    if (isOwnAward(award, req.admin!.lmsUser)) {
      const [t] = kit.tr(req, res);
      throw new HttpError(403, 'own_award', t('cannotApproveOwn'));
    }
    const input = decision.safeParse(req.body ?? {});
    if (!input.success) throw new HttpError(400, 'invalid_input', fieldProblems(input.error).join('; '));
    const decided = await decideAward({
      institutionId: institutionOf(req),
      requestId: String(req.params.requestId),
      approve: input.data.decision === 'approve',
      by: req.admin!.who,
      reason: input.data.reason,
      queues: kit.queues,
      retentionDays: kit.config.AUDIT_RETENTION_DAYS,
    });
    if (!decided) throw new HttpError(404, 'not_found', 'No such award waiting for approval');
    res.redirect(303, '/admin/approvals');
  });

  return router;
}
