/** A request path fit for the logs: no query string, and no token of a registration or setup link. */
export function loggablePath(url: string): string {
  return url.split('?')[0]!.replace(/^\/(lti\/register|admin\/setup)\/[^/]+/, '/$1/[token]');
}
