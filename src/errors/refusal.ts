/** What kind of refusal: the request is wrong, clashes with what is stored, is not allowed, or names nothing. */
export type RefusalKind = 'invalid' | 'conflict' | 'forbidden' | 'not_found';

/**
 * A request the domain refuses, said without HTTP: the kind of refusal, a stable code and each problem with the
 * field it is about. The web layer gives it its status (src/web/errors.ts); the CLI prints the problems.
 */
export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    readonly code: string,
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}: ${problems.join('; ')}` : message);
    this.name = 'Refusal';
  }
}
