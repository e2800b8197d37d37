import { randomUUID } from 'node:crypto';
import { Router, json, urlencoded, type Request, type Response } from 'express';
import { isValidObjectId } from 'mongoose';
import { ZodError } from 'zod';
import type { Config } from '../../config/env.js';
import { buildElmCredential } from '../../credentials/elm.js';
import { buildOb3Credential } from '../../credentials/ob3.js';
import { AuditEvent, recordAudit } from '../../db/models/audit-event.js';
import { Issuer } from '../../issuers/issuer-model.js';
import { rotateIssuerKey } from '../../issuers/issuers.js';
import { LtiPlatform } from '../../lti/models.js';
import { PlatformConflictError, registerPlatform, updatePlatform } from '../../lti/platforms.js';
import { loadSession, parseCookies } from '../../lti/session.js';
import type { Queues } from '../../queue/queues.js';
import { parseEncryptionKey } from '../../security/encryption.js';
import { publishingProblems } from '../../templates/elements.js';
import {
  TemplateError,
  archiveTemplate,
  exportTemplate,
  importTemplate,
  newVersion,
  publishTemplate,
  updateDraft,
  type StoredTemplate,
} from '../../templates/lifecycle.js';
import { describeIssues, templateSchema, type TemplateData } from '../../templates/schema.js';
import { Template } from '../../templates/template-model.js';
import { HttpError } from '../../web/errors.js';
import { formToken, requireFormToken, sameToken } from '../csrf.js';
import { html, type Html } from '../html.js';
import { pickLanguage, translator, type Translate, type UiLanguage } from '../i18n.js';
import { sendScreen } from '../layout.js';
import { labelProblem, templateFields } from './template-fields.js';
import { authenticate, endAdminSession, findAdminSession, startAdminSession } from './accounts.js';
import { loginLockout } from './login-lockout.js';

const ADMIN_COOKIE = 'credbridge_admin';

interface AdminIdentity {
  who: string;
  csrfToken: string;
  locale?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    admin?: AdminIdentity;
  }
}

/** What a template check answers: schema problems, then each missing mandatory element by name. */
export function templateCheck(json: unknown): { valid: boolean; problems: string[]; missing: string[] } {
  const parsed = templateSchema.safeParse(json);
  if (!parsed.success) return { valid: false, problems: describeIssues(parsed.error), missing: [] };
  return { valid: true, problems: [], missing: publishingProblems(parsed.data) };
}

/** Unsigned OB3 and ELM documents of a template for a sample learner: what issuing would produce. */
function previews(data: TemplateData): { ob3?: unknown; elm?: unknown; error?: string } {
  if (publishingProblems(data).length) return {};
  try {
    const award = {
      template: data,
      issuer: { did: 'did:web:example.org', profile: data.awardingBodies![0]! },
      learner: { fullName: 'Alex Example', givenName: 'Alex', familyName: 'Example' },
      credentialId: randomUUID(),
    };
    return { ob3: buildOb3Credential(award), elm: buildElmCredential(award) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/**
 * The administrators' console: platforms, issuers and keys, templates (edit, live validation, preview,
 * publish, archive, import/export), the audit log and the queues. Open to an LTI session with the admin role
 * or a standalone login (scrypt-hashed accounts from the CLI, sessions in MongoDB, failed logins limited).
 * Every form carries the session's CSRF token.
 */
export function adminScreensRouter(config: Config, queues: Queues): Router {
  const router = Router();
  const lockout = loginLockout();
  const secure = config.PUBLIC_URL.startsWith('https:');
  const form = urlencoded({ extended: false, limit: '512kb' });

  const screen = (req: Request, res: Response, title: string, body: Html, current: string, status = 200) => {
    const lang = pickLanguage(req, res, req.admin?.locale);
    const t = translator(lang);
    const nav = [
      ['platforms', '/admin'],
      ['issuers', '/admin/issuers'],
      ['templates', '/admin/templates'],
      ['auditLog', '/admin/audit'],
      ['queues', '/admin/queues'],
    ] as const;
    sendScreen(req, res, {
      lang,
      t,
      title,
      status,
      body: html`${body}${req.admin ? html`<form method="post" action="/admin/logout" class="logout"><input type="hidden" name="_csrf" value="${req.admin.csrfToken}" /><button type="submit">${t('signOut')}</button></form>` : ''}`,
      nav: req.admin ? nav.map(([k, href]) => ({ label: t(k), href, current: k === current })) : [],
      scripts: ['common.js', 'admin.js', 'template-fields.js'],
    });
  };
  const tr = (req: Request, res: Response): [Translate, UiLanguage] => {
    const lang = pickLanguage(req, res, req.admin?.locale);
    return [translator(lang), lang];
  };

  // Bodies are parsed first: the CSRF check reads the form's token.
  router.use('/admin', form, json({ limit: '512kb' }));
  router.use('/admin', loadSession, async (req, _res, next) => {
    const session = await findAdminSession(parseCookies(req)[ADMIN_COOKIE]);
    if (session) req.admin = { who: `admin:${session.username}`, csrfToken: session.csrfToken };
    else if (req.ltiSession?.role === 'admin')
      req.admin = {
        who: `lti:${String(req.ltiSession.platformId)}:${req.ltiSession.userId}`,
        csrfToken: req.ltiSession.csrfToken,
        locale: req.ltiSession.locale,
      };
    next();
  });

  // Login CSRF too: a cross-site page must not sign a browser in to an account of its choosing.
  const loginForm = (req: Request, res: Response, t: Translate, problem = '') =>
    html` ${problem ? html`<p class="warning" role="alert">${problem}</p>` : ''}
      <form method="post" action="/admin/login" class="stack">
        <input type="hidden" name="_csrf" value="${formToken(req, res)}" />
        <label for="username">${t('username')}</label>
        <input id="username" name="username" autocomplete="username" required />
        <label for="password">${t('password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">${t('signIn')}</button>
      </form>`;

  router.get('/admin/login', (req, res) => {
    const [t] = tr(req, res);
    screen(req, res, t('signIn'), loginForm(req, res, t), '');
  });

  router.post('/admin/login', async (req, res) => {
    requireFormToken(req);
    const [t] = tr(req, res);
    const body = req.body as { username?: unknown; password?: unknown };
    const username = typeof body.username === 'string' ? body.username.trim().toLowerCase() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const attempt = { address: req.ip ?? '', username };
    if (await lockout.blocked(attempt)) {
      screen(req, res, t('signIn'), loginForm(req, res, t, t('tooManyAttempts')), '', 429);
      return;
    }
    if (!(await authenticate(username, password))) {
      await lockout.fail(attempt);
      screen(req, res, t('signIn'), loginForm(req, res, t, t('loginFailed')), '', 401);
      return;
    }
    await lockout.succeed(attempt);
    const { token } = await startAdminSession(username, config.ADMIN_SESSION_TTL_MINUTES);
    res.cookie(ADMIN_COOKIE, token, {
      httpOnly: true,
      secure,
      sameSite: 'strict',
      path: '/admin',
      maxAge: config.ADMIN_SESSION_TTL_MINUTES * 60_000,
    });
    await recordAudit(
      {
        actor: { kind: 'admin', id: username },
        action: 'admin.login',
        target: { kind: 'admin', id: username },
      },
      config.AUDIT_RETENTION_DAYS,
    );
    res.redirect(303, '/admin');
  });

  // Everything below needs an administrator; writes need the CSRF token of that session.
  router.use('/admin', (req, res, next) => {
    if (!req.admin) {
      if (req.method === 'GET' && req.accepts('html')) return res.redirect(303, '/admin/login');
      return next(new HttpError(401, 'not_admin', 'Sign in as an administrator.'));
    }
    if (req.method !== 'GET') {
      const given = req.get('x-csrf-token') ?? (req.body as { _csrf?: unknown } | undefined)?._csrf;
      if (!sameToken(given, req.admin.csrfToken))
        return next(
          new HttpError(403, 'csrf_mismatch', 'The form has expired; reload the page and try again.'),
        );
    }
    next();
  });

  const audit = (
    req: Request,
    action: string,
    kind: string,
    id: string,
    details: Record<string, unknown> = {},
  ) =>
    recordAudit(
      { actor: { kind: 'admin', id: req.admin!.who }, action, target: { kind, id }, details },
      config.AUDIT_RETENTION_DAYS,
    );
  const csrf = (req: Request) => html`<input type="hidden" name="_csrf" value="${req.admin!.csrfToken}" />`;

  router.post('/admin/logout', async (req, res) => {
    await endAdminSession(parseCookies(req)[ADMIN_COOKIE]);
    res.clearCookie(ADMIN_COOKIE, { path: '/admin' });
    res.redirect(303, '/admin/login');
  });

  // Platforms.
  type PlatformForm = Partial<
    Record<'name' | 'issuer' | 'clientId' | 'authLoginUrl' | 'tokenUrl' | 'jwksUrl' | 'deploymentIds', string>
  >;
  const platformsPage = async (
    req: Request,
    res: Response,
    problems: string[] = [],
    values: PlatformForm = {},
    status = 200,
  ) => {
    const [t] = tr(req, res);
    const platforms = await LtiPlatform.find().sort({ createdAt: 1 }).lean();
    const field = (name: keyof PlatformForm, label: string, type = 'url') =>
      html`<label for="p-${name}">${label}</label>
        <input
          id="p-${name}"
          name="${name}"
          type="${type}"
          value="${values[name] ?? ''}"
          ${name === 'name' ? '' : html`required`}
        />`;
    screen(
      req,
      res,
      t('platforms'),
      html`<div class="table-wrap">
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
                            <form method="post" action="/admin/platforms/${id}/deployments" class="inline">
                              ${csrf(req)}<input type="hidden" name="remove" value="${d}" />
                              <button type="submit" aria-label="${t('removeDeployment', { id: d })}">
                                ×
                              </button>
                            </form>
                          </li>`,
                      )}
                    </ul>
                    <form method="post" action="/admin/platforms/${id}/deployments" class="inline">
                      ${csrf(req)}
                      <label for="add-${id}" class="visually-hidden">${t('addDeployment')}</label>
                      <input id="add-${id}" name="add" required maxlength="255" />
                      <button type="submit">${t('addDeployment')}</button>
                    </form>
                  </td>
                  <td>${p.status}</td>
                  <td>
                    <form method="post" action="/admin/platforms/${id}/status">
                      ${csrf(req)}
                      <input
                        type="hidden"
                        name="status"
                        value="${p.status === 'active' ? 'disabled' : 'active'}"
                      />
                      <button type="submit">${p.status === 'active' ? t('disable') : t('activate')}</button>
                    </form>
                  </td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
        <section class="panel" aria-labelledby="register-h">
          <h2 id="register-h">${t('registerPlatform')}</h2>
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
          <form method="post" action="/admin/platforms" class="stack">
            ${csrf(req)} ${field('name', t('name'), 'text')} ${field('issuer', 'Issuer')}
            ${field('clientId', 'Client id', 'text')} ${field('authLoginUrl', 'Auth login URL')}
            ${field('tokenUrl', 'Token URL')} ${field('jwksUrl', 'JWKS URL')}
            <label for="p-deploymentIds">${t('deploymentIdsOnePerLine')}</label>
            <textarea id="p-deploymentIds" name="deploymentIds" rows="3" required>
${values.deploymentIds ?? ''}</textarea>
            <button type="submit">${t('registerPlatform')}</button>
          </form>
        </section>`,
      'platforms',
      status,
    );
  };

  router.get('/admin', async (req, res) => {
    await platformsPage(req, res);
  });

  const lines = (text: unknown) =>
    String(text ?? '')
      .split(/[\r\n,]+/)
      .map((s) => s.trim())
      .filter(Boolean);

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
      const platform = await registerPlatform({
        issuer: values.issuer!,
        clientId: values.clientId!,
        ...(values.name ? { name: values.name } : {}),
        authLoginUrl: values.authLoginUrl!,
        tokenUrl: values.tokenUrl!,
        jwksUrl: values.jwksUrl!,
        deploymentIds: lines(values.deploymentIds),
      });
      await audit(req, 'platform.register', 'platform', String(platform._id), { issuer: platform.issuer });
      res.redirect(303, '/admin');
    } catch (err) {
      if (err instanceof ZodError) return platformsPage(req, res, describeIssues(err), values, 400);
      if (err instanceof PlatformConflictError) return platformsPage(req, res, [err.message], values, 409);
      throw err;
    }
  });

  router.post('/admin/platforms/:id/deployments', async (req, res) => {
    const body = req.body as { add?: unknown; remove?: unknown };
    const add = lines(body.add);
    const remove = lines(body.remove);
    if (!isValidObjectId(req.params.id) || add.length + remove.length === 0)
      throw new HttpError(400, 'invalid_input', 'add or remove: a deployment id');
    try {
      const id = String(req.params.id);
      if (!(await updatePlatform(id, { addDeploymentIds: add, removeDeploymentIds: remove })))
        throw new HttpError(404, 'not_found', 'No such platform');
      await audit(req, 'platform.deployments', 'platform', id, { add, remove });
    } catch (err) {
      if (err instanceof ZodError) throw new HttpError(400, 'invalid_input', describeIssues(err).join('; '));
      throw err;
    }
    res.redirect(303, '/admin');
  });

  // Issuers and keys.
  router.get('/admin/issuers', async (req, res) => {
    const [t, lang] = tr(req, res);
    const issuers = await Issuer.find().sort({ _id: 1 }).lean();
    screen(
      req,
      res,
      t('issuers'),
      html`${issuers.map((i) => {
        const profile = i.profile as { legalName?: Record<string, string> };
        return html`<section class="panel" aria-labelledby="iss-${String(i._id)}">
          <h2 id="iss-${String(i._id)}">
            ${profile.legalName?.[lang] ?? profile.legalName?.en ?? String(i._id)}
            ${i.isDefault ? html`<small>(${t('default')})</small>` : ''}
          </h2>
          <p><code>${i.did}</code></p>
          <h3>${t('keys')}</h3>
          <ul>
            ${(i.keys as { keyId: string; status: string; createdAt?: Date }[]).map(
              (k) =>
                html`<li>
                  <code>${k.keyId}</code> —
                  ${k.status}${k.createdAt ? html`, ${new Date(k.createdAt).toISOString().slice(0, 10)}` : ''}
                </li>`,
            )}
          </ul>
          <form method="post" action="/admin/issuers/${String(i._id)}/rotate">
            ${csrf(req)}<button type="submit">${t('rotateKey')}</button>
          </form>
        </section>`;
      })}`,
      'issuers',
    );
  });

  router.post('/admin/issuers/:id/rotate', async (req, res) => {
    if (!config.KEY_ENCRYPTION_KEY)
      throw new HttpError(503, 'signing_unavailable', 'KEY_ENCRYPTION_KEY is not set');
    const id = String(req.params.id);
    if (!(await Issuer.exists({ _id: id }))) throw new HttpError(404, 'not_found', 'No such issuer');
    await rotateIssuerKey(id, parseEncryptionKey(config.KEY_ENCRYPTION_KEY));
    await audit(req, 'issuer.rotate-key', 'issuer', id);
    res.redirect(303, '/admin/issuers');
  });

  // Templates.
  const problemList = (t: Translate, check: ReturnType<typeof templateCheck>) =>
    html` <div id="template-check" aria-live="polite">
      ${
        check.problems.length
          ? html`<p>${t('invalidTemplate')}</p>
              <ul class="problems">
                ${check.problems.map((p) => html`<li>${labelProblem(t, p)}</li>`)}
              </ul>`
          : ''
      }
      ${
        check.missing.length
          ? html`<p>${t('cannotPublish')}</p>
              <ul class="problems">
                ${check.missing.map((p) => html`<li>${labelProblem(t, p)}</li>`)}
              </ul>`
          : ''
      }
      ${check.valid && !check.missing.length ? html`<p class="verdict ok">${t('readyToPublish')}</p>` : ''}
    </div>`;

  const editor = (
    req: Request,
    t: Translate,
    action: string,
    text: string,
    check: ReturnType<typeof templateCheck>,
    data: Record<string, unknown>,
  ) =>
    html` <form method="post" action="${action}" class="stack template-form">
      ${csrf(req)}
      <section aria-labelledby="fields-h">
        <h2 id="fields-h">${t('templateFields')}</h2>
        ${templateFields(t, data)}
      </section>
      <details class="advanced">
        <summary>${t('advancedJson')}</summary>
        <div class="stack">
          <label for="template-file">${t('importJson')}</label>
          <input id="template-file" type="file" accept=".json,application/json" data-fills="template-json" />
          <label for="template-json">${t('templateJson')}</label>
          <textarea
            id="template-json"
            name="template"
            rows="24"
            required
            data-check="/admin/templates/check"
            data-csrf="${req.admin!.csrfToken}"
            data-msg-invalid="${t('invalidTemplate')}"
            data-msg-missing="${t('cannotPublish')}"
            data-msg-ready="${t('readyToPublish')}"
            aria-describedby="template-json-status"
          >
${text}</textarea>
          <p
            id="template-json-status"
            class="form-error"
            role="status"
            data-msg-invalid="${t('jsonInvalid')}"
            data-msg-where="${t('jsonWhere')}"
            data-msg-not-object="${t('jsonNotObject')}"
          ></p>
        </div>
      </details>
      ${problemList(t, check)}
      <button type="submit">${t('saveDraft')}</button>
    </form>`;

  router.get('/admin/templates', async (req, res) => {
    const [t] = tr(req, res);
    const templates = await Template.find({}, { key: 1, version: 1, status: 1, data: 1 })
      .sort({ key: 1, version: -1 })
      .lean();
    const sample = { format: 'credbridge-template/1', key: 'new-micro-credential', title: { en: '' } };
    screen(
      req,
      res,
      t('templates'),
      html`<div class="table-wrap">
          <table>
            <caption class="visually-hidden">
              ${t('templates')}
            </caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">${t('version')}</th>
                <th scope="col">${t('status')}</th>
                <th scope="col">${t('name')}</th>
              </tr>
            </thead>
            <tbody>
              ${templates.map(
                (tpl) =>
                  html`<tr>
                    <td><a href="/admin/templates/${tpl.key}/${tpl.version}">${tpl.key}</a></td>
                    <td>${tpl.version}</td>
                    <td>${tpl.status}</td>
                    <td>${(tpl.data as TemplateData).title?.en ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <section class="panel" aria-labelledby="new-h">
          <h2 id="new-h">${t('newTemplate')}</h2>
          ${editor(req, t, '/admin/templates', JSON.stringify(sample, null, 2), { valid: true, problems: [], missing: [] }, sample)}
        </section>`,
      'templates',
    );
  });

  router.post('/admin/templates/check', (req, res) => {
    const [t] = tr(req, res);
    const text = String((req.body as { template?: unknown }).template ?? '');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      res.json({ valid: false, problems: [`(JSON) ${(err as Error).message}`], missing: [] });
      return;
    }
    // Each problem also names the field by its label on screen, in the console's language.
    const check = templateCheck(json);
    res.json({
      ...check,
      problems: check.problems.map((p) => labelProblem(t, p)),
      missing: check.missing.map((p) => labelProblem(t, p)),
    });
  });

  const templateFail = (err: unknown): never => {
    if (err instanceof TemplateError)
      throw new HttpError(
        err.code === 'not_found' ? 404 : 400,
        `template_${err.code}`,
        err.message,
        err.problems,
      );
    throw err;
  };

  const showTemplate = async (
    req: Request,
    res: Response,
    stored: StoredTemplate,
    notice?: Html,
    status = 200,
  ) => {
    const [t] = tr(req, res);
    const data = exportTemplate(stored);
    const check = templateCheck(data);
    const preview = previews(data);
    const base = `/admin/templates/${stored.key}/${stored.version}`;
    const button = (action: string, label: string) =>
      html`<form method="post" action="${base}/${action}" class="inline">
        ${csrf(req)}<button type="submit">${label}</button>
      </form>`;
    screen(
      req,
      res,
      `${t('editTemplate')}: ${stored.key} v${stored.version} (${stored.status})`,
      html`${notice ?? ''}
        <div class="actions">
          ${stored.status === 'draft' ? button('publish', t('publish')) : ''}
          ${stored.status === 'published' ? button('archive', t('archive')) : ''}
          ${stored.status !== 'draft' ? button('new-version', t('newVersion')) : ''}
          <a class="button" href="${base}/export" download>${t('exportJson')}</a>
        </div>
        ${
          stored.status === 'draft'
            ? editor(req, t, base, JSON.stringify(data, null, 2), check, data)
            : html`${problemList(t, check)}
                <details class="raw">
                  <summary>${t('templateJson')}</summary>
                  <pre tabindex="0">${JSON.stringify(data, null, 2)}</pre>
                </details>`
        }
        <section aria-labelledby="preview-h">
          <h2 id="preview-h">${t('preview')}</h2>
          ${preview.error ? html`<p class="warning">${preview.error}</p>` : ''}
          ${
            preview.ob3
              ? html`<details class="raw">
                  <summary>Open Badges 3.0</summary>
                  <pre tabindex="0">${JSON.stringify(preview.ob3, null, 2)}</pre>
                </details>`
              : ''
          }
          ${
            preview.elm
              ? html`<details class="raw">
                  <summary>${t('elmName')}</summary>
                  <pre tabindex="0">${JSON.stringify(preview.elm, null, 2)}</pre>
                </details>`
              : ''
          }
        </section>`,
      'templates',
      status,
    );
  };

  const parseTemplateBody = (req: Request) => {
    try {
      return JSON.parse(String((req.body as { template?: unknown }).template ?? '')) as unknown;
    } catch (err) {
      throw new HttpError(400, 'invalid_json', `template: ${(err as Error).message}`);
    }
  };

  router.post('/admin/templates', async (req, res) => {
    const stored = await importTemplate(parseTemplateBody(req)).catch(templateFail);
    await audit(req, 'template.import', 'template', `${stored.key}@${stored.version}`);
    res.redirect(303, `/admin/templates/${stored.key}/${stored.version}`);
  });

  const findStored = async (req: Request) => {
    const key = String(req.params.key);
    const version = Number(req.params.version);
    const stored = Number.isInteger(version) ? await Template.findOne({ key, version }).lean() : null;
    if (!stored) throw new HttpError(404, 'not_found', 'No such template version');
    return stored as unknown as StoredTemplate;
  };

  router.get('/admin/templates/:key/:version', async (req, res) => {
    await showTemplate(req, res, await findStored(req));
  });

  router.get('/admin/templates/:key/:version/export', async (req, res) => {
    const stored = await findStored(req);
    res.attachment(`${stored.key}-v${stored.version}.json`).json(exportTemplate(stored));
  });

  router.post('/admin/templates/:key/:version', async (req, res) => {
    const stored = await findStored(req);
    const updated = await updateDraft(stored.key, stored.version, parseTemplateBody(req)).catch(templateFail);
    await audit(req, 'template.update', 'template', `${stored.key}@${stored.version}`);
    res.redirect(303, `/admin/templates/${updated.key}/${updated.version}`);
  });

  router.post('/admin/templates/:key/:version/:action', async (req, res) => {
    const stored = await findStored(req);
    const action = String(req.params.action);
    const [t] = tr(req, res);
    try {
      let result: StoredTemplate;
      if (action === 'publish') result = await publishTemplate(stored.key, stored.version);
      else if (action === 'archive') result = await archiveTemplate(stored.key, stored.version);
      else if (action === 'new-version') result = await newVersion(stored.key, stored.version);
      else throw new HttpError(404, 'not_found', 'Use publish, archive or new-version');
      await audit(req, `template.${action}`, 'template', `${result.key}@${result.version}`);
      res.redirect(303, `/admin/templates/${result.key}/${result.version}`);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      // Refused: the same page again, with every problem named.
      const notice = html`<div class="warning" role="alert">
        <p>${t('cannotPublish')}</p>
        <ul class="problems">
          ${(err.problems.length ? err.problems : [err.message]).map((p) => html`<li>${labelProblem(t, p)}</li>`)}
        </ul>
      </div>`;
      await showTemplate(req, res, stored, notice, 409);
    }
  });

  // Audit log.
  router.get('/admin/audit', async (req, res) => {
    const [t] = tr(req, res);
    const events = await AuditEvent.find().sort({ at: -1 }).limit(200).lean();
    screen(
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
  router.get('/admin/queues', async (req, res) => {
    const [t] = tr(req, res);
    const rows = await Promise.all(
      queues.all().map(async (q) => ({
        name: q.name,
        counts: await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'),
        failed: await q.getFailed(0, 19),
      })),
    );
    screen(
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
                        ${csrf(req)}<button type="submit">${t('retryFailed')}</button>
                      </form>
                    </section>`,
                )
            : html`<p class="empty">${t('noFailedJobs')}</p>`
        }`,
      'queues',
    );
  });

  router.post('/admin/queues/:name/retry', async (req, res) => {
    const queue = queues.all().find((q) => q.name === req.params.name);
    if (!queue) throw new HttpError(404, 'not_found', 'No such queue');
    await queue.retryJobs({ state: 'failed' });
    await audit(req, 'queue.retry-failed', 'queue', queue.name);
    res.redirect(303, '/admin/queues');
  });

  return router;
}
