import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../../config/env.js';
import { recordAudit } from '../../db/models/audit-event.js';
import { findInstitution } from '../../institutions/institutions.js';
import type { Queues } from '../../queue/queues.js';
import { HttpError } from '../../web/errors.js';
import { requireSessionToken } from '../../web/csrf.js';
import { html, type Html } from '../../render/html.js';
import { translator, type Translate } from '../../i18n/catalogs.js';
import { type Language } from '../../i18n/languages.js';
import { pickLanguage } from '../../web/language.js';
import { sendScreen } from '../layout.js';
import { findAccount } from '../../accounts/accounts.js';

/**
 * Who is using the console. An operator runs the installation (institutions, queues, the whole audit log);
 * an institution administrator runs one institution (its platforms, issuer, templates, approvals) and sees
 * nothing of another. An LTI launch can make an institution administrator, never an operator.
 */
export interface ConsoleIdentity {
  /** The audit actor: the account's username, or `lti:<platform>:<user>` for an LMS sign-in. */
  who: string;
  /** The console account, when it is one (an LMS sign-in has none). */
  username?: string;
  /** The LMS user of an LMS sign-in (the platform and the launch's `sub`). */
  lmsUser?: { platformId: string; userId: string };
  kind: 'operator' | 'institution';
  institutionId?: string;
  csrfToken: string;
  locale?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    admin?: ConsoleIdentity;
  }
}

/**
 * Reads the console identity: a console login session (its account read afresh, so a removed account or a
 * changed institution takes effect at once), else an LTI session with the administrator role whose
 * institution lets LMS administrators in, as an administrator of that institution only. Mount after
 * loadSessions (src/web/sessions.ts).
 */
export const loadConsoleIdentity: RequestHandler = async (req, _res, next) => {
  const session = req.consoleSession;
  const account = session ? await findAccount(session.username) : undefined;
  if (session && account) {
    req.admin = {
      who: account.username,
      username: account.username,
      kind: account.institutionId ? 'institution' : 'operator',
      ...(account.institutionId ? { institutionId: account.institutionId } : {}),
      csrfToken: session.csrfToken,
    };
  } else if (req.ltiSession?.role === 'admin' && req.ltiSession.institutionId) {
    const institution = await findInstitution(req.ltiSession.institutionId);
    const lmsUser = { platformId: String(req.ltiSession.platformId), userId: req.ltiSession.userId };
    if (institution?.settings.ltiAdminsAreAdmins)
      req.admin = {
        who: `lti:${lmsUser.platformId}:${lmsUser.userId}`,
        lmsUser,
        kind: 'institution',
        institutionId: institution._id,
        csrfToken: req.ltiSession.csrfToken,
        locale: req.ltiSession.locale,
      };
  }
  next();
};

/** Everything behind the sign-in: an identity, and on every write the CSRF token of its session. */
export const requireConsole: RequestHandler = (req, res, next) => {
  if (!req.admin) {
    if (req.method === 'GET' && req.accepts('html')) return res.redirect(303, '/admin/login');
    return next(new HttpError(401, 'not_admin', 'Sign in as an administrator.'));
  }
  if (req.method !== 'GET') requireSessionToken(req, req.admin);
  next();
};

/** Installation pages (institutions, queues): operators only. */
export const operatorOnly: RequestHandler = (req, _res, next) => {
  if (req.admin?.kind !== 'operator')
    return next(new HttpError(403, 'not_operator', "This page is for the installation's operators."));
  next();
};

/** An institution's pages: its administrators only; the institution comes from the identity, never the URL. */
export const institutionOnly: RequestHandler = (req, _res, next) => {
  if (req.admin?.kind !== 'institution' || !req.admin.institutionId)
    return next(
      new HttpError(403, 'not_institution_admin', "This page is for an institution's administrators."),
    );
  next();
};

/** The institution of an institution administrator (after institutionOnly). */
export function institutionOf(req: Request): string {
  return req.admin!.institutionId!;
}

type NavKey =
  | 'institutions'
  | 'platforms'
  | 'issuers'
  | 'seal'
  | 'templates'
  | 'approvals'
  | 'institution'
  | 'auditLog'
  | 'queues';

const NAV: Record<ConsoleIdentity['kind'], [NavKey, string][]> = {
  operator: [
    ['institutions', '/admin/institutions'],
    ['auditLog', '/admin/audit'],
    ['queues', '/admin/queues'],
  ],
  institution: [
    ['platforms', '/admin/platforms'],
    ['issuers', '/admin/issuers'],
    ['seal', '/admin/seal'],
    ['templates', '/admin/templates'],
    ['approvals', '/admin/approvals'],
    ['institution', '/admin/institution'],
    ['auditLog', '/admin/audit'],
  ],
};

/** What every console page module shares: the settings, the page frame, the CSRF field and the audit. */
export interface ConsoleKit {
  config: Config;
  queues: Queues;
  tr(req: Request, res: Response): [Translate, Language];
  screen(req: Request, res: Response, title: string, body: Html, current: NavKey | '', status?: number): void;
  csrf(req: Request): Html;
  audit(
    req: Request,
    action: string,
    kind: string,
    id: string,
    details?: Record<string, unknown>,
  ): Promise<void>;
}

export function consoleKit(config: Config, queues: Queues): ConsoleKit {
  const tr = (req: Request, res: Response): [Translate, Language] => {
    const lang = pickLanguage(req, res, req.admin?.locale);
    return [translator(lang), lang];
  };
  return {
    config,
    queues,
    tr,
    screen(req, res, title, body, current, status = 200) {
      const [t, lang] = tr(req, res);
      sendScreen(req, res, {
        lang,
        t,
        title,
        status,
        body: html`${body}${req.admin ? html`<form method="post" action="/admin/logout" class="logout"><input type="hidden" name="_csrf" value="${req.admin.csrfToken}" /><button type="submit">${t('signOut')}</button></form>` : ''}`,
        nav: req.admin
          ? NAV[req.admin.kind].map(([k, href]) => ({ label: t(k), href, current: k === current }))
          : [],
        scripts: ['common.js', 'admin.js', 'template-fields.js'],
      });
    },
    csrf: (req) => html`<input type="hidden" name="_csrf" value="${req.admin!.csrfToken}" />`,
    audit: (req, action, kind, id, details = {}) =>
      recordAudit(
        {
          actor: { kind: 'admin', id: req.admin!.who },
          ...(req.admin!.institutionId ? { institutionId: req.admin!.institutionId } : {}),
          action,
          target: { kind, id },
          details,
        },
        config.AUDIT_RETENTION_DAYS,
      ),
  };
}
