import { Router, type Request, type RequestHandler, type Response } from 'express';
import { ZodError } from 'zod';
import {
  InstitutionConflictError,
  createInstitution,
  findInstitution,
  listInstitutions,
  updateInstitutionSettings,
} from '../../institutions/institutions.js';
import { institutionIssuers } from '../../issuers/issuers.js';
import { parseEncryptionKey } from '../../security/encryption.js';
import { describeIssues } from '../../i18n/problems.js';
import { HttpError } from '../../web/errors.js';
import { html, type Html } from '../../render/html.js';
import type { Translate } from '../../i18n/catalogs.js';
import {
  AccountError,
  USERNAME,
  findAccount,
  inviteAdminUser,
  listAccounts,
  removeAdminUser,
} from '../../accounts/accounts.js';
import { institutionOf, institutionOnly, operatorOnly, type ConsoleKit } from './console.js';
import { BrandingError, brandingOf, updateBranding } from '../../institutions/branding.js';
import { brandingSection, logoFrom } from './branding-section.js';
import { setupUrl } from '../../accounts/setup-link.js';

type InstitutionForm = Partial<Record<'id' | 'name' | 'country' | 'homepage' | 'admin', string>>;

/** A one-time link shown once, with a copy button. */
export function oneTimeLink(t: Translate, id: string, label: string, url: string): Html {
  return html`<div class="copy-field">
    <label for="${id}">${label}</label>
    <input id="${id}" value="${url}" readonly />
    <button type="button" class="copy" data-copy="${id}" data-done="${t('copied')}">${t('copy')}</button>
  </div>`;
}

/**
 * The operator's institutions (list, create with a first administrator) and an institution administrator's
 * own institution page (its settings and administrators, inviting another).
 */
export function institutionPages(kit: ConsoleKit): Router {
  const router = Router();
  const { config } = kit;

  const institutionsPage = async (
    req: Request,
    res: Response,
    notice: Html | '' = '',
    problems: string[] = [],
    values: InstitutionForm = {},
    status = 200,
  ) => {
    const [t] = kit.tr(req, res);
    const institutions = await listInstitutions();
    const issuers = new Map(
      await Promise.all(
        institutions.map(async (i) => [i._id, (await institutionIssuers(i._id))[0]?.did ?? ''] as const),
      ),
    );
    const field = (name: keyof InstitutionForm, label: string, type = 'text', extra: Html | '' = '') =>
      html`<label for="i-${name}">${label}</label>
        <input id="i-${name}" name="${name}" type="${type}" value="${values[name] ?? ''}" ${extra} />`;
    kit.screen(
      req,
      res,
      t('institutions'),
      html`${notice}
        ${
          institutions.length
            ? html`<div class="table-wrap">
                <table>
                  <caption class="visually-hidden">
                    ${t('institutions')}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">${t('name')}</th>
                      <th scope="col">${t('issuerDid')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${institutions.map(
                      (i) =>
                        html`<tr>
                          <td>
                            ${i.name}<br /><small><code>${i._id}</code></small>
                          </td>
                          <td><code>${issuers.get(i._id) ?? ''}</code></td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
            : html`<p class="empty">${t('noInstitutions')}</p>`
        }
        <section class="panel" aria-labelledby="new-institution-h">
          <h2 id="new-institution-h">${t('newInstitution')}</h2>
          ${
            problems.length
              ? html`<div class="warning" role="alert">
                  <p>${t('institutionNotCreated')}</p>
                  <ul class="problems">
                    ${problems.map((p) => html`<li>${p}</li>`)}
                  </ul>
                </div>`
              : ''
          }
          <form method="post" action="/admin/institutions" class="stack">
            ${kit.csrf(req)}
            ${field('id', t('institutionId'), 'text', html`required pattern="[a-z0-9][a-z0-9-]{1,62}"`)}
            ${field('name', t('legalName'), 'text', html`required`)}
            ${field('country', t('countryCode'), 'text', html`required pattern="[A-Z]{2}" maxlength="2"`)}
            ${field('homepage', t('homepage'), 'url', html`required`)}
            <label><input type="checkbox" name="rootDid" value="1" /> ${t('rootDid')}</label>
            ${field('admin', t('firstAdmin'), 'text', html`required`)}
            <button type="submit">${t('createInstitution')}</button>
          </form>
        </section>`,
      'institutions',
      status,
    );
  };

  router.get('/admin/institutions', operatorOnly, async (req, res) => {
    await institutionsPage(req, res);
  });

  router.post('/admin/institutions', operatorOnly, async (req, res) => {
    const [t] = kit.tr(req, res);
    const body = req.body as Record<string, unknown>;
    const values: InstitutionForm = {};
    for (const k of ['id', 'name', 'country', 'homepage', 'admin'] as const)
      values[k] = typeof body[k] === 'string' ? body[k].trim() : '';
    const admin = values.admin!.toLowerCase();
    // Checked first, so a refused username leaves no institution half made.
    if (!USERNAME.test(admin))
      return institutionsPage(
        req,
        res,
        '',
        ['admin: 2-63 lowercase letters, digits, ".", "_" or "-"'],
        values,
        400,
      );
    if (await findAccount(admin))
      return institutionsPage(req, res, '', [`admin: "${admin}" is already taken`], values, 409);
    if (!config.KEY_ENCRYPTION_KEY)
      throw new HttpError(503, 'signing_unavailable', 'KEY_ENCRYPTION_KEY is not set');
    try {
      const { institution, issuer } = await createInstitution(
        {
          id: values.id!,
          profile: { legalName: { en: values.name! }, country: values.country!, homepage: values.homepage! },
          rootDid: body.rootDid === '1',
        },
        { publicUrl: config.PUBLIC_URL, kek: parseEncryptionKey(config.KEY_ENCRYPTION_KEY) },
      );
      const { token } = await inviteAdminUser(admin, institution._id);
      await kit.audit(req, 'institution.create', 'institution', institution._id, { did: issuer.did, admin });
      const notice = html`<div class="notice" role="status">
        <p>${t('institutionCreated', { id: institution._id, did: issuer.did })}</p>
        <p>${t('setupLinkIntro', { username: admin })}</p>
        ${oneTimeLink(t, 'setup-link', t('setupLink'), setupUrl(config.PUBLIC_URL, token))}
      </div>`;
      await institutionsPage(req, res, notice, [], {}, 201);
    } catch (err) {
      const problems =
        err instanceof ZodError
          ? describeIssues(err, t).map((p) =>
              p.replace(/^profile\.legalName\.en/, 'name').replace(/^profile\./, ''),
            )
          : err instanceof InstitutionConflictError || err instanceof AccountError
            ? [err.message]
            : undefined;
      if (!problems) throw err;
      await institutionsPage(req, res, '', problems, values, err instanceof ZodError ? 400 : 409);
    }
  });

  const ownPage = async (req: Request, res: Response, notice: Html | '' = '', status = 200) => {
    const [t] = kit.tr(req, res);
    const removeButton = (username: string) =>
      html`<form
        method="post"
        action="/admin/institution/admins/${encodeURIComponent(username)}/remove"
        class="inline"
      >
        ${kit.csrf(req)}
        <button type="submit" aria-label="${t('removeAdmin', { username })}">${t('remove')}</button>
      </form>`;
    const institution = await findInstitution(institutionOf(req));
    if (!institution) throw new HttpError(404, 'not_found', 'No such institution');
    const [accounts, branding] = await Promise.all([
      listAccounts(institution._id),
      brandingOf(institution._id),
    ]);
    const check = (name: 'ltiAdminsAreAdmins' | 'manualAwardApproval') =>
      html`<label
        ><input type="checkbox" name="${name}" value="1" ${institution.settings[name] ? html`checked` : ''} />
        ${t(name)}</label
      >`;
    kit.screen(
      req,
      res,
      `${t('institution')}: ${institution.name}`,
      html`${notice}
        <section class="panel" aria-labelledby="settings-h">
          <h2 id="settings-h">${t('settings')}</h2>
          <form method="post" action="/admin/institution/settings" class="stack">
            ${kit.csrf(req)} ${check('ltiAdminsAreAdmins')} ${check('manualAwardApproval')}
            <button type="submit">${t('saveSettings')}</button>
          </form>
        </section>
        ${brandingSection(t, kit.csrf(req), branding, institution.name)}
        <section class="panel" aria-labelledby="admins-h">
          <h2 id="admins-h">${t('administrators')}</h2>
          <ul>
            ${accounts.map(
              (a) =>
                html`<li>
                  <code>${a.username}</code>${a.active ? '' : html` — ${t('awaitingSetup')}`}
                  ${req.admin!.username && req.admin!.username !== a.username ? removeButton(a.username) : ''}
                </li>`,
            )}
          </ul>
          <form method="post" action="/admin/institution/admins" class="stack">
            ${kit.csrf(req)}
            <label for="invite-username">${t('username')}</label>
            <input id="invite-username" name="username" required pattern="[a-z0-9][a-z0-9._\\-]{1,62}" />
            <button type="submit">${t('inviteAdmin')}</button>
          </form>
        </section>`,
      'institution',
      status,
    );
  };

  router.get('/admin/institution', institutionOnly, async (req, res) => {
    await ownPage(req, res);
  });

  // Who may change the institution's administrators and settings: its console accounts, not an LMS sign-in
  // (an LMS role must not mint a console account that outlives it, or switch approval off for itself).
  const consoleAccountOnly: RequestHandler = (req, res, next) => {
    if (req.admin!.username) return next();
    const [t] = kit.tr(req, res);
    next(new HttpError(403, 'console_account_only', t('consoleAccountOnly')));
  };

  router.post('/admin/institution/settings', institutionOnly, consoleAccountOnly, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const settings = {
      ltiAdminsAreAdmins: body.ltiAdminsAreAdmins === '1',
      manualAwardApproval: body.manualAwardApproval === '1',
    };
    await updateInstitutionSettings(institutionOf(req), settings);
    await kit.audit(req, 'institution.settings', 'institution', institutionOf(req), settings);
    res.redirect(303, '/admin/institution');
  });

  // The colours and logo: refused as a whole, naming the field, so a bad logo changes no colour either.
  router.post('/admin/institution/branding', institutionOnly, consoleAccountOnly, async (req, res) => {
    const [t] = kit.tr(req, res);
    const body = req.body as Record<string, unknown>;
    const logo = logoFrom(req);
    try {
      await updateBranding(institutionOf(req), { color: body.color, accent: body.accent }, logo);
    } catch (err) {
      const problems =
        err instanceof ZodError
          ? describeIssues(err, t)
          : err instanceof BrandingError
            ? [err.message]
            : undefined;
      if (!problems) throw err;
      await ownPage(
        req,
        res,
        html`<div class="warning" role="alert">
          <p>${t('branding.refused')}</p>
          <ul class="problems">
            ${problems.map((p) => html`<li>${p}</li>`)}
          </ul>
        </div>`,
        400,
      );
      return;
    }
    await kit.audit(req, 'institution.branding', 'institution', institutionOf(req), {
      color: body.color,
      accent: body.accent,
      logo: logo ? 'replaced' : logo === null ? 'removed' : 'kept',
    });
    res.redirect(303, '/admin/institution');
  });

  router.post('/admin/institution/admins', institutionOnly, consoleAccountOnly, async (req, res) => {
    const [t] = kit.tr(req, res);
    const username = String((req.body as { username?: unknown }).username ?? '')
      .trim()
      .toLowerCase();
    try {
      const { token } = await inviteAdminUser(username, institutionOf(req));
      await kit.audit(req, 'admin.invite', 'admin', username);
      await ownPage(
        req,
        res,
        html`<div class="notice" role="status">
          <p>${t('setupLinkIntro', { username })}</p>
          ${oneTimeLink(t, 'setup-link', t('setupLink'), setupUrl(config.PUBLIC_URL, token))}
        </div>`,
        201,
      );
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      await ownPage(req, res, html`<p class="warning" role="alert">${err.message}</p>`, 400);
    }
  });

  // Removing an administrator ends their sessions at once; nobody removes themselves (the last one stays).
  router.post(
    '/admin/institution/admins/:username/remove',
    institutionOnly,
    consoleAccountOnly,
    async (req, res) => {
      const username = String(req.params.username);
      if (req.admin!.username === username)
        throw new HttpError(400, 'invalid_input', 'username: you cannot remove yourself');
      if (!(await removeAdminUser(username, institutionOf(req))))
        throw new HttpError(404, 'not_found', 'No such administrator of this institution');
      await kit.audit(req, 'admin.remove', 'admin', username);
      res.redirect(303, '/admin/institution');
    },
  );

  return router;
}
