/**
 * A request path fit for the logs: no query string, and no token of a registration or setup link, nor the id of a
 * wallet offer or VC API exchange (each a bearer for a learner's credential while it lives).
 */
export function loggablePath(url: string): string {
  // Case-insensitive, as express's routing is: /LTI/Register/<token> reaches the same route.
  return url
    .split('?')[0]!
    .replace(
      /^\/(lti\/register|admin\/setup|wallet\/offers|wallet\/exchanges|wallet\/interactions)\/[^/]+/i,
      '/$1/[token]',
    );
}
