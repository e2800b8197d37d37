import { Router, type Request, type Response } from 'express';
import { isValidObjectId } from 'mongoose';
import { ZodError } from 'zod';
import { PATHS } from '../../lti/constants.js';
import { LtiPlatform } from '../../lti/models.js';
import { PlatformConflictError, registerPlatform, updatePlatform } from '../../lti/platforms.js';
import {
  createRegistrationLink,
  listRegistrationLinks,
  registrationUrl,
  revokeRegistrationLink,
} from '../../lti/registration-links.js';
import { describeIssues } from '../../i18n/problems.js';
import { HttpError } from '../../web/errors.js';
import { html, type Html } from '../../render/html.js';
import { institutionOf, institutionOnly, type ConsoleKit } from './console.js';
import { oneTimeLink } from './institution-pages.js';

type PlatformForm = Partial<
  Record<'name' | 'issuer' | 'clientId' | 'authLoginUrl' | 'tokenUrl' | 'jwksUrl' | 'deploymentIds', string>
>;

const lines = (text: unknown) =>
  String(text ?? '')
    .split(/[\r\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

const day = (d: Date) => new Date(d).toISOString().slice(0, 10);

/** What an LMS registered by hand is told of the tool: the institution's own keys and Canvas JSON. */
function toolUrls(publicUrl: string, institutionId: string): [string, string][] {
  const base = publicUrl.replace(/\/$/, '');
  return [
    ['OIDC login URL', `${base}${PATHS.login}`],
    ['Target link / redirect URI', `${base}${PATHS.launch}`],
    ['JWKS URL', `${base}${PATHS.jwks}/${institutionId}`],
    ['Canvas JSON URL', `${base}${PATHS.canvasConfig}?institution=${institutionId}`],
  ];
}

/**
 * An institution's LMS platforms: the registration links that let an LMS join (made here, shown once, with
 * copy buttons and the steps for Moodle and Canvas), platforms registered by hand, their deployments, and
 * disabling or enabling them. Every query is filtered on the administrator's institution.
 */
export function platformPages(kit: ConsoleKit): Router {
  const router = Router();
  router.use(['/admin/platforms', '/admin/registration-links'], institutionOnly);

  const platformsPage = async (
    req: Request,
    res: Response,
    options: { notice?: Html; problems?: string[]; values?: PlatformForm; status?: number } = {},
  ) => {
    const [t] = kit.tr(req, res);
    const institutionId = institutionOf(req);
    const { problems = [], values = {} } = options;
    const [platforms, links] = await Promise.all([
      LtiPlatform.find({ institutionId }).sort({ createdAt: 1 }).lean(),
      listRegistrationLinks(institutionId),
    ]);
    const now = Date.now();
    const field = (name: keyof PlatformForm, label: string, type = 'url') =>
      html`<label for="p-${name}">${label}</label>
        <input
          id="p-${name}"
          name="${name}"
          type="${type}"
          value="${values[name] ?? ''}"
          ${name === 'name' ? '' : html`required`}
        />`;
    const statusWord = (s: string) => (s === 'active' ? t('enabled') : s === 'disabled' ? t('disabled') : s);
    kit.screen(
      req,
      res,
      t('platforms'),
      html`${options.notice ?? ''}
        ${
          platforms.length
            ? html`<div class="table-wrap">
                <table>
                  <caption class="visually-hidden">
                    ${t('platforms')}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">${t('name')}</th>
                      <th scope="col">Issuer / client id</th>
                      <th scope="col">${t('deployments')}</th>
                      <th scope="col">${t('status')}</th>
                      <th scope="col">${t('action')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${platforms.map((p) => {
                      const id = String(p._id);
                      return html`<tr>
                        <td>${p.name}</td>
                        <td>${p.issuer}<br /><small>${p.clientId}</small></td>
                        <td>
                          <ul class="deployments">
                            ${p.deploymentIds.map(
                              (d) =>
                                html`<li>
                                  <code>${d}</code>
                                  <form
                                    method="post"
                                    action="/admin/platforms/${id}/deployments"
                                    class="inline"
                                  >
                                    ${kit.csrf(req)}<input type="hidden" name="remove" value="${d}" />
                                    <button type="submit" aria-label="${t('removeDeployment', { id: d })}">
                                      ×
                                    </button>
                                  </form>
                                </li>`,
                            )}
                          </ul>
                          <form method="post" action="/admin/platforms/${id}/deployments" class="inline">
                            ${kit.csrf(req)}
                            <label for="add-${id}" class="visually-hidden">${t('addDeployment')}</label>
                            <input id="add-${id}" name="add" required maxlength="255" />
                            <button type="submit">${t('addDeployment')}</button>
                          </form>
                        </td>
                        <td>${statusWord(p.status)}</td>
                        <td>
                          <form method="post" action="/admin/platforms/${id}/status">
                            ${kit.csrf(req)}
                            <input
                              type="hidden"
                              name="status"
                              value="${p.status === 'active' ? 'disabled' : 'active'}"
                            />
                            <button type="submit">
                              ${p.status === 'active' ? t('disable') : t('activate')}
                            </button>
                          </form>
                        </td>
                      </tr>`;
                    })}
                  </tbody>
                </table>
              </div>`
            : html`<p class="empty">${t('noPlatforms')}</p>`
        }
        <section class="panel" aria-labelledby="links-h">
          <h2 id="links-h">${t('registrationLinks')}</h2>
          <p>${t('registrationLinksIntro')}</p>
          ${
            links.length
              ? html`<ul class="links">
                  ${links.map(
                    (l) =>
                      html`<li>
                        ${l.label || html`<em>—</em>`} · ${t('created')} ${day(l.createdAt)} (${l.createdBy})
                        ·
                        ${
                          l.usedAt
                            ? t('linkUsed', { date: day(l.usedAt) })
                            : l.expiresAt.getTime() <= now
                              ? t('registrationLinkExpired')
                              : html`${t('linkExpires', { date: day(l.expiresAt) })}
                                  <form
                                    method="post"
                                    action="/admin/registration-links/${l.id}/withdraw"
                                    class="inline"
                                  >
                                    ${kit.csrf(req)}<button type="submit">${t('withdraw')}</button>
                                  </form>`
                        }
                      </li>`,
                  )}
                </ul>`
              : html`<p class="empty">${t('noLinks')}</p>`
          }
          <form method="post" action="/admin/registration-links" class="stack">
            ${kit.csrf(req)}
            <label for="link-label">${t('linkLabel')}</label>
            <input id="link-label" name="label" maxlength="200" />
            <button type="submit">${t('createLink')}</button>
          </form>
        </section>
        <details class="panel" ${problems.length ? html`open` : ''}>
          <summary>${t('registerByHand')}</summary>
          ${
            problems.length
              ? html`<div class="warning" role="alert">
                  <p>${t('platformNotRegistered')}</p>
                  <ul class="problems">
                    ${problems.map((p) => html`<li>${p}</li>`)}
                  </ul>
                </div>`
              : ''
          }
          <p>${t('toolUrlsIntro')}</p>
          <dl class="tool-urls">
            ${toolUrls(kit.config.PUBLIC_URL, institutionId).map(
              ([label, url]) =>
                html`<dt>${label}</dt>
                  <dd><code>${url}</code></dd>`,
            )}
          </dl>
          <form method="post" action="/admin/platforms" class="stack">
            ${kit.csrf(req)} ${field('name', t('name'), 'text')} ${field('issuer', 'Issuer')}
            ${field('clientId', 'Client id', 'text')} ${field('authLoginUrl', 'Auth login URL')}
            ${field('tokenUrl', 'Token URL')} ${field('jwksUrl', 'JWKS URL')}
            <label for="p-deploymentIds">${t('deploymentIdsOnePerLine')}</label>
            <textarea id="p-deploymentIds" name="deploymentIds" rows="3" required>
${values.deploymentIds ?? ''}</textarea>
            <button type="submit">${t('registerPlatform')}</button>
          </form>
        </details>`,
      'platforms',
      options.status ?? 200,
    );
  };

  router.get('/admin/platforms', async (req, res) => {
    await platformsPage(req, res);
  });

  // Registered through registerPlatform(), so its schema names the field that is wrong.
  router.post('/admin/platforms', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const values: PlatformForm = {};
    for (const k of [
      'name',
      'issuer',
      'clientId',
      'authLoginUrl',
      'tokenUrl',
      'jwksUrl',
      'deploymentIds',
    ] as const)
      values[k] = typeof body[k] === 'string' ? body[k].trim() : '';
    try {
      const platform = await registerPlatform(institutionOf(req), {
        issuer: values.issuer!,
        clientId: values.clientId!,
        ...(values.name ? { name: values.name } : {}),
        authLoginUrl: values.authLoginUrl!,
        tokenUrl: values.tokenUrl!,
        jwksUrl: values.jwksUrl!,
        deploymentIds: lines(values.deploymentIds),
      });
      await kit.audit(req, 'platform.register', 'platform', String(platform._id), {
        issuer: platform.issuer,
      });
      res.redirect(303, '/admin/platforms');
    } catch (err) {
      if (err instanceof ZodError)
        return platformsPage(req, res, {
          problems: describeIssues(err, kit.tr(req, res)[0]),
          values,
          status: 400,
        });
      if (err instanceof PlatformConflictError)
        return platformsPage(req, res, { problems: [err.message], values, status: 409 });
      throw err;
    }
  });

  /** The platform named in the URL, if the administrator's institution owns it: checked before the input. */
  const ownPlatform = async (req: Request) => {
    const id = String(req.params.id);
    const owned =
      isValidObjectId(id) && (await LtiPlatform.exists({ _id: id, institutionId: institutionOf(req) }));
    if (!owned) throw new HttpError(404, 'not_found', 'No such platform');
    return id;
  };

  const change = async (req: Request, id: string, input: Parameters<typeof updatePlatform>[2]) => {
    try {
      if (!(await updatePlatform(institutionOf(req), id, input)))
        throw new HttpError(404, 'not_found', 'No such platform');
    } catch (err) {
      if (err instanceof ZodError) throw new HttpError(400, 'invalid_input', describeIssues(err).join('; '));
      throw err;
    }
  };

  router.post('/admin/platforms/:id/deployments', async (req, res) => {
    const id = await ownPlatform(req);
    const body = req.body as { add?: unknown; remove?: unknown };
    const add = lines(body.add);
    const remove = lines(body.remove);
    if (add.length + remove.length === 0)
      throw new HttpError(400, 'invalid_input', 'add or remove: a deployment id');
    await change(req, id, { addDeploymentIds: add, removeDeploymentIds: remove });
    await kit.audit(req, 'platform.deployments', 'platform', id, { add, remove });
    res.redirect(303, '/admin/platforms');
  });

  // Disable stops every launch and service call of the platform at once; enable lets them in again.
  router.post('/admin/platforms/:id/status', async (req, res) => {
    const id = await ownPlatform(req);
    const status = (req.body as { status?: unknown }).status;
    if (status !== 'active' && status !== 'disabled')
      throw new HttpError(400, 'invalid_input', 'status: "active" or "disabled"');
    await change(req, id, { status });
    await kit.audit(req, `platform.${status === 'active' ? 'enable' : 'disable'}`, 'platform', id);
    res.redirect(303, '/admin/platforms');
  });

  router.post('/admin/registration-links', async (req, res) => {
    const [t] = kit.tr(req, res);
    const label = String((req.body as { label?: unknown }).label ?? '').trim();
    const link = await createRegistrationLink(institutionOf(req), req.admin!.who, label);
    await kit.audit(req, 'registration-link.create', 'registration-link', link.id, { label });
    const url = registrationUrl(kit.config.PUBLIC_URL, link.token);
    await platformsPage(req, res, {
      status: 201,
      notice: html`<div class="notice" role="status">
        <p>${t('linkCreated')}</p>
        ${oneTimeLink(t, 'registration-link', t('registrationLinks'), url)}
        <p>${t('forMoodle')}</p>
        <p>${t('forCanvas')}</p>
      </div>`,
    });
  });

  router.post('/admin/registration-links/:id/withdraw', async (req, res) => {
    const id = String(req.params.id);
    if (!isValidObjectId(id) || !(await revokeRegistrationLink(institutionOf(req), id)))
      throw new HttpError(404, 'not_found', 'No such unused registration link');
    await kit.audit(req, 'registration-link.withdraw', 'registration-link', id);
    res.redirect(303, '/admin/platforms');
  });

  return router;
}
