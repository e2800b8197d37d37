import { createAdminUser } from '../../src/accounts/accounts.js';
import { startSession } from '../../src/web/sessions.js';

/**
 * A console session of a new account (an operator without `institutionId`), as the sign-in form makes one
 * (the sign-in itself is tested in test/security/login-lockout.test.ts): pages and form posts with its CSRF token.
 */
export async function consoleSession(toolUrl: string, username: string, institutionId?: string) {
  await createAdminUser(username, 'correct horse battery staple', institutionId);
  const { token, csrfToken } = await startSession('console', { username: username }, 3_600_000);
  const cookie = `credbridge_admin=${token}`;
  return {
    token,
    get: (path: string) =>
      fetch(`${toolUrl}${path}`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' }),
    post: (path: string, fields: Record<string, string> = {}) =>
      fetch(`${toolUrl}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ _csrf: csrfToken, ...fields }).toString(),
      }),
    /** A multipart form (a file upload) with the session's CSRF token, unless `csrf` is false. */
    upload: (path: string, form: FormData, csrf = true) => {
      if (csrf) form.set('_csrf', csrfToken);
      return fetch(`${toolUrl}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, accept: 'text/html' },
        body: form,
      });
    },
  };
}

/** The institution's branding form as a browser sends it: its fields (a list for a field sent twice) and a logo. */
export function brandingForm(
  fields: Record<string, string | string[]>,
  logo?: { name: string; type: string; body: string | Buffer },
): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields))
    for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
  if (logo) form.set('logo', new Blob([logo.body], { type: logo.type }), logo.name);
  return form;
}
