/** A request path fit for the logs: no query string, and no token of a registration or setup link or a wallet offer. */
export function loggablePath(url: string): string {
  // Case-insensitive, as express's routing is: /LTI/Register/<token> reaches the same route.
  return url.split('?')[0]!.replace(/^\/(lti\/register|admin\/setup|wallet\/offers)\/[^/]+/i, '/$1/[token]');
}
