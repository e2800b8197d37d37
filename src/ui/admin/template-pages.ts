import { randomUUID } from 'node:crypto';
import { BadgeImageError, badgeDataUri, MAX_BADGE_BYTES } from '../../badges/badge-image.js';
import { generatedBadgeDataUri } from '../../badges/generated-badge.js';
import { brandingOf } from '../../institutions/branding.js';
import { findInstitution } from '../../institutions/institutions.js';
import { textIn } from '../../i18n/languages.js';
import { Router, type Request, type Response } from 'express';
import { buildElmCredential } from '../../credentials/elm.js';
import { buildOb3Credential } from '../../credentials/ob3.js';
import { publishingProblems } from '../../templates/elements.js';
import {
  TemplateError,
  archiveTemplate,
  exportTemplate,
  findTemplateVersion,
  importTemplate,
  newVersion,
  publishTemplate,
  updateDraft,
  type StoredTemplate,
} from '../../templates/lifecycle.js';
import { describeIssues } from '../../i18n/problems.js';
import { templateSchema, type TemplateData } from '../../templates/schema.js';
import { Template } from '../../templates/template-model.js';
import { HttpError } from '../../web/errors.js';
import { html, type Html } from '../../render/html.js';
import type { Translate } from '../../i18n/catalogs.js';
import { institutionOf, institutionOnly, type ConsoleKit } from './console.js';
import { labelProblem, templateFields } from './template-fields.js';

/** What a template check answers: schema problems, then each missing mandatory element by name. */
export function templateCheck(
  json: unknown,
  t: Translate,
): { valid: boolean; problems: string[]; missing: string[] } {
  const parsed = templateSchema.safeParse(json);
  if (!parsed.success) return { valid: false, problems: describeIssues(parsed.error, t), missing: [] };
  return { valid: true, problems: [], missing: publishingProblems(parsed.data, t) };
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
 * An institution's templates: list, edit with live validation and preview, publish, archive, new version,
 * import and export. Template keys are the institution's own; every lookup filters on its id.
 */
export function templatePages(kit: ConsoleKit): Router {
  const router = Router();
  router.use('/admin/templates', institutionOnly);

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
      ${kit.csrf(req)}
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
            data-msg-where="${t('jsonWhere', { line: '{line}', column: '{column}' })}"
            data-msg-not-object="${t('jsonNotObject')}"
          ></p>
        </div>
      </details>
      ${problemList(t, check)}
      <button type="submit">${t('saveDraft')}</button>
    </form>`;

  router.get('/admin/templates', async (req, res) => {
    const [t] = kit.tr(req, res);
    const templates = await Template.find(
      { institutionId: institutionOf(req) },
      { key: 1, version: 1, status: 1, data: 1 },
    )
      .sort({ key: 1, version: -1 })
      .lean();
    const sample = { format: 'credbridge-template/1', key: 'new-micro-credential', title: { en: '' } };
    kit.screen(
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
                    <td>${textIn((tpl.data as TemplateData).title, t.language) ?? ''}</td>
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
    const [t] = kit.tr(req, res);
    const text = String((req.body as { template?: unknown }).template ?? '');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      res.json({ valid: false, problems: [`(JSON) ${(err as Error).message}`], missing: [] });
      return;
    }
    // Each problem also names the field by its label on screen, in the console's language.
    const check = templateCheck(json, t);
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
    const [t] = kit.tr(req, res);
    const data = exportTemplate(stored);
    const check = templateCheck(data, t);
    const preview = previews(data);
    const base = `/admin/templates/${stored.key}/${stored.version}`;
    const button = (action: string, label: string) =>
      html`<form method="post" action="${base}/${action}" class="inline">
        ${kit.csrf(req)}<button type="submit">${label}</button>
      </form>`;
    kit.screen(
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
        ${stored.status === 'draft' ? badgeForm(req, t, base, data) : ''}
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
    const stored = await importTemplate(institutionOf(req), parseTemplateBody(req)).catch(templateFail);
    await kit.audit(req, 'template.import', 'template', `${stored.key}@${stored.version}`);
    res.redirect(303, `/admin/templates/${stored.key}/${stored.version}`);
  });

  const findStored = async (req: Request) => {
    const key = String(req.params.key);
    const version = Number(req.params.version);
    const stored = Number.isInteger(version)
      ? await findTemplateVersion(institutionOf(req), key, version)
      : undefined;
    if (!stored) throw new HttpError(404, 'not_found', 'No such template version');
    return stored;
  };

  /** The badge picture of a draft: the current one, and a file to replace it (PNG or SVG, checked, SVG sanitised). */
  const badgeForm = (req: Request, t: Translate, base: string, data: TemplateData) =>
    html`<section aria-labelledby="badge-h" class="badge-upload">
      <h2 id="badge-h">${t('badge.heading')}</h2>
      ${
        data.badgeImage?.dataUri || data.badgeImage?.url
          ? html`<img
              class="badge"
              src="${data.badgeImage.dataUri ?? data.badgeImage.url}"
              alt="${t('badge.current')}"
              width="96"
              height="96"
            />`
          : html`<p>${t('badge.none')}</p>`
      }
      <form method="post" action="${base}/badge-image" enctype="multipart/form-data" class="stack">
        ${kit.csrf(req)}
        <label for="badge-file">${t('badge.file')}</label>
        <input id="badge-file" name="image" type="file" accept="image/png,image/svg+xml" required />
        <p class="hint">${t('badge.help', { max: Math.round(MAX_BADGE_BYTES / 1000) })}</p>
        <button type="submit">${t('badge.upload')}</button>
      </form>
      <form method="post" action="${base}/badge-image/generate" class="stack">
        ${kit.csrf(req)}
        <p class="hint">${t('badge.generateHelp')}</p>
        <button type="submit">${t('badge.generate')}</button>
      </form>
    </section>`;

  /** A draft's badge picture replaced by `dataUri` (its URL kept); refusals shown on the draft's page. */
  const replaceBadge = async (
    req: Request,
    res: Response,
    stored: StoredTemplate,
    dataUri: () => Promise<string>,
    action: string,
  ) => {
    const [t] = kit.tr(req, res);
    try {
      const data = exportTemplate(stored);
      await updateDraft(stored.institutionId, stored.key, stored.version, {
        ...data,
        badgeImage: {
          ...(data.badgeImage?.url ? { url: data.badgeImage.url } : {}),
          dataUri: await dataUri(),
        },
      });
    } catch (err) {
      if (!(err instanceof BadgeImageError || err instanceof TemplateError)) throw err;
      const problems = err instanceof TemplateError && err.problems.length ? err.problems : [err.message];
      const notice = html`<div class="warning" role="alert">
        <p>${t('badge.refused')}</p>
        <ul class="problems">
          ${problems.map((p) => html`<li>${p}</li>`)}
        </ul>
      </div>`;
      await showTemplate(req, res, stored, notice, 400);
      return;
    }
    await kit.audit(req, action, 'template', `${stored.key}@${stored.version}`);
    res.redirect(303, `/admin/templates/${stored.key}/${stored.version}`);
  };

  router.post('/admin/templates/:key/:version/badge-image', async (req, res) => {
    const stored = await findStored(req);
    const [t] = kit.tr(req, res);
    const file = (req as Request & { file?: { buffer: Buffer } }).file;
    await replaceBadge(
      req,
      res,
      stored,
      async () => {
        if (!file) throw new BadgeImageError(t('badge.noFile'));
        return await badgeDataUri(file.buffer);
      },
      'template.badge-image',
    );
  });

  // A badge from the institution's colours and logo, with the title in the administrator's language (or the
  // template's first) and the institution's name on its ribbon.
  router.post('/admin/templates/:key/:version/badge-image/generate', async (req, res) => {
    const stored = await findStored(req);
    const [t] = kit.tr(req, res);
    await replaceBadge(
      req,
      res,
      stored,
      async () => {
        const [institution, branding] = await Promise.all([
          findInstitution(stored.institutionId),
          brandingOf(stored.institutionId),
        ]);
        return generatedBadgeDataUri({
          title: textIn((stored.data as TemplateData).title, t.language) ?? stored.key,
          ribbon: institution?.name,
          ...branding,
        });
      },
      'template.badge-generate',
    );
  });

  router.get('/admin/templates/:key/:version', async (req, res) => {
    await showTemplate(req, res, await findStored(req));
  });

  router.get('/admin/templates/:key/:version/export', async (req, res) => {
    const stored = await findStored(req);
    res.attachment(`${stored.key}-v${stored.version}.json`).json(exportTemplate(stored));
  });

  router.post('/admin/templates/:key/:version', async (req, res) => {
    const stored = await findStored(req);
    const updated = await updateDraft(
      stored.institutionId,
      stored.key,
      stored.version,
      parseTemplateBody(req),
    ).catch(templateFail);
    await kit.audit(req, 'template.update', 'template', `${stored.key}@${stored.version}`);
    res.redirect(303, `/admin/templates/${updated.key}/${updated.version}`);
  });

  router.post('/admin/templates/:key/:version/:action', async (req, res) => {
    const stored = await findStored(req);
    const action = String(req.params.action);
    const [t] = kit.tr(req, res);
    try {
      let result: StoredTemplate;
      const scope = [stored.institutionId, stored.key, stored.version] as const;
      if (action === 'publish') result = await publishTemplate(...scope);
      else if (action === 'archive') result = await archiveTemplate(...scope);
      else if (action === 'new-version') result = await newVersion(...scope);
      else throw new HttpError(404, 'not_found', 'Use publish, archive or new-version');
      await kit.audit(req, `template.${action}`, 'template', `${result.key}@${result.version}`);
      res.redirect(303, `/admin/templates/${result.key}/${result.version}`);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      // Refused: the same page again, with every problem named in the console's language.
      const problems =
        err.code === 'not_publishable'
          ? publishingProblems(stored.data as TemplateData, t)
          : err.problems.length
            ? err.problems
            : [err.message];
      const notice = html`<div class="warning" role="alert">
        <p>${t('cannotPublish')}</p>
        <ul class="problems">
          ${problems.map((p) => html`<li>${labelProblem(t, p)}</li>`)}
        </ul>
      </div>`;
      await showTemplate(req, res, stored, notice, 409);
    }
  });

  return router;
}
