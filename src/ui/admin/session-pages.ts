import { Router, type Request, type Response } from 'express';
import { recordAudit } from '../../db/models/audit-event.js';
import { formToken, requireFormToken } from '../../web/csrf.js';
import { html } from '../../render/html.js';
import type { Translate } from '../../i18n/catalogs.js';
import { AccountError, authenticate, completeSetup, findSetupAccount } from '../../accounts/accounts.js';
import type { ConsoleKit } from './console.js';
import { SESSION_COOKIES, endSession, startSession } from '../../web/sessions.js';
import { loginLockout } from '../../accounts/login-lockout.js';

/**
 * Signing in and out of the console, and the one-time setup link a new account opens to choose its password.
 * Login and setup forms carry the double-submit form token (login CSRF: a cross-site page must not sign a
 * browser in to an account of its choosing).
 */
export function sessionPages(kit: ConsoleKit): Router {
  const router = Router();
  const { config } = kit;
  const lockout = loginLockout();
  const secure = config.PUBLIC_URL.startsWith('https:');

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
    const [t] = kit.tr(req, res);
    kit.screen(req, res, t('signIn'), loginForm(req, res, t), '');
  });

  router.post('/admin/login', async (req, res) => {
    requireFormToken(req);
    const [t] = kit.tr(req, res);
    const body = req.body as { username?: unknown; password?: unknown };
    const username = typeof body.username === 'string' ? body.username.trim().toLowerCase() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const attempt = { address: req.ip ?? '', username };
    if (await lockout.blocked(attempt)) {
      kit.screen(req, res, t('signIn'), loginForm(req, res, t, t('tooManyAttempts')), '', 429);
      return;
    }
    const account = await authenticate(username, password);
    if (!account) {
      await lockout.fail(attempt);
      kit.screen(req, res, t('signIn'), loginForm(req, res, t, t('loginFailed')), '', 401);
      return;
    }
    await lockout.succeed(attempt);
    await startConsoleSession(res, account.username, account.institutionId);
    res.redirect(303, '/admin');
  });

  const startConsoleSession = async (res: Response, username: string, institutionId?: string) => {
    const { token } = await startSession('console', { username }, config.ADMIN_SESSION_TTL_MINUTES * 60_000);
    res.cookie(SESSION_COOKIES.console, token, {
      httpOnly: true,
      secure,
      sameSite: 'strict',
      path: '/admin',
      maxAge: config.ADMIN_SESSION_TTL_MINUTES * 60_000,
    });
    await recordAudit(
      {
        actor: { kind: 'admin', id: username },
        ...(institutionId ? { institutionId } : {}),
        action: 'admin.login',
        target: { kind: 'admin', id: username },
      },
      config.AUDIT_RETENTION_DAYS,
    );
  };

  const newPassword = (id: string, name: string, label: string) =>
    html`<label for="${id}">${label}</label>
      <input
        id="${id}"
        name="${name}"
        type="password"
        autocomplete="new-password"
        minlength="12"
        required
      />`;

  const setupForm = (req: Request, res: Response, t: Translate, username: string, problem = '') =>
    html`<p>${t('setupIntro', { username })}</p>
      ${problem ? html`<p class="warning" role="alert">${problem}</p>` : ''}
      <form method="post" action="/admin/setup/${String(req.params.token)}" class="stack">
        <input type="hidden" name="_csrf" value="${formToken(req, res)}" />
        ${newPassword('new-password', 'password', t('password'))}
        ${newPassword('repeat-password', 'repeat', t('repeatPassword'))}
        <button type="submit">${t('setPassword')}</button>
      </form>`;

  const invalidLink = (req: Request, res: Response, t: Translate) =>
    kit.screen(
      req,
      res,
      t('choosePassword'),
      html`<p class="warning" role="alert">${t('setupInvalid')}</p>`,
      '',
      404,
    );

  // The token is in the path (single use, 72 h); pages under it are never cached and send no referrer.
  router.get('/admin/setup/:token', async (req, res) => {
    const [t] = kit.tr(req, res);
    const account = await findSetupAccount(String(req.params.token));
    if (!account) {
      invalidLink(req, res, t);
      return;
    }
    kit.screen(req, res, t('choosePassword'), setupForm(req, res, t, account.username), '');
  });

  router.post('/admin/setup/:token', async (req, res) => {
    requireFormToken(req);
    const [t] = kit.tr(req, res);
    const token = String(req.params.token);
    const account = await findSetupAccount(token);
    if (!account) {
      invalidLink(req, res, t);
      return;
    }
    const body = req.body as { password?: unknown; repeat?: unknown };
    const password = typeof body.password === 'string' ? body.password : '';
    const problem =
      password.length < 12 ? t('passwordTooShort') : password !== body.repeat ? t('passwordsDiffer') : '';
    if (problem) {
      kit.screen(req, res, t('choosePassword'), setupForm(req, res, t, account.username, problem), '', 400);
      return;
    }
    let done;
    try {
      done = await completeSetup(token, password);
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      kit.screen(
        req,
        res,
        t('choosePassword'),
        setupForm(req, res, t, account.username, err.message),
        '',
        400,
      );
      return;
    }
    if (!done) {
      invalidLink(req, res, t);
      return;
    }
    await startConsoleSession(res, done.username, done.institutionId);
    res.redirect(303, '/admin');
  });

  return router;
}

/** Signing out: behind the console guard (it needs the session's CSRF token). */
export function logoutPage(): Router {
  const router = Router();
  router.post('/admin/logout', async (req, res) => {
    await endSession(req, 'console');
    res.clearCookie(SESSION_COOKIES.console, { path: '/admin' });
    // An LMS administrator came in through their launch: signing out ends that session too.
    if (req.admin?.lmsUser) await endSession(req, 'launch');
    res.redirect(303, '/admin/login');
  });
  return router;
}
