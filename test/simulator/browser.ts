/**
 * Just enough of a browser for LTI flows over real HTTP: a cookie jar (by name, all hosts are 127.0.0.1),
 * manual redirects, and reading the auto-post forms LTI uses to hand tokens back and forth.
 */
export interface Page {
  status: number;
  url: string;
  body: string;
  headers: Headers;
}

export interface Form {
  action: string;
  fields: Record<string, string>;
}

export class Browser {
  readonly cookies = new Map<string, string>();

  async get(url: string): Promise<Page> {
    return this.request(url, { method: 'GET' });
  }

  async post(url: string, fields: Record<string, string>): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** One request, following redirects (303 and 302 after POST become GET), keeping cookies. */
  async request(url: string, init: RequestInit, maxRedirects = 10): Promise<Page> {
    let current = url;
    let options: RequestInit = init;
    for (let i = 0; i <= maxRedirects; i++) {
      const headers = new Headers(options.headers);
      if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      headers.set('accept', 'text/html');
      // As a browser says of a page the person opens (Fetch Metadata).
      headers.set('sec-fetch-dest', 'document');
      const res = await fetch(current, { ...options, headers, redirect: 'manual' });
      for (const line of res.headers.getSetCookie()) this.storeCookie(line);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current).toString();
        options = { method: 'GET' };
        await res.body?.cancel();
        continue;
      }
      return { status: res.status, url: current, body: await res.text(), headers: res.headers };
    }
    throw new Error('too many redirects');
  }

  /** Submits the page's (first) form as its script would. */
  async submitForm(page: Page, extra: Record<string, string> = {}): Promise<Page> {
    const form = readForm(page);
    return this.post(form.action, { ...form.fields, ...extra });
  }

  private storeCookie(line: string): void {
    const [pair = '', ...attrs] = line.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const expired =
      attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]!).getTime() < Date.now()) ||
      attrs.some((a) => /^\s*max-age=0/i.test(a));
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

export function readForm(page: Page): Form {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(page.body);
  if (!form) throw new Error(`no form in page (${page.status}): ${page.body.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input([^>]*)>/g)) {
    const attr = (n: string) => new RegExp(`${n}="([^"]*)"`).exec(input[1]!)?.[1];
    const name = attr('name');
    const type = attr('type');
    if (!name) continue;
    if ((type === 'radio' || type === 'checkbox') && !/\bchecked\b/.test(input[1]!)) continue;
    fields[decode(name)] = decode(attr('value') ?? '');
  }
  return { action: new URL(decode(form[1]!), page.url).toString(), fields };
}
