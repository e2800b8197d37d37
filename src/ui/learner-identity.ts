import type { Request } from 'express';
import { learnerRef } from '../issuance/credential-ops.js';
import { readLearnerLinkToken } from '../issuance/links.js';

/** A learner as a request proves them: by the signed link of their e-mail, or by their launch session. */
export interface LearnerIdentity {
  ref: string;
  /** The signed link's token, when that is how they came: the pages they go on to keep it. */
  token?: string;
  /** The locale their LMS gave, when they came by a launch. */
  locale?: string;
}

/**
 * Who the learner is: the link token given (query or form) when there is one, else the launch session. A token
 * that does not verify is no identity at all; it never falls back to a session.
 */
export function learnerOf(req: Request, linkKey: Buffer, token: unknown): LearnerIdentity | undefined {
  if (typeof token === 'string' && token) {
    const link = readLearnerLinkToken(linkKey, token);
    return 'error' in link ? undefined : { ref: link.learnerRef, token };
  }
  const session = req.ltiSession;
  if (!session) return undefined;
  return {
    ref: learnerRef(String(session.platformId), session.userId),
    ...(session.locale ? { locale: session.locale } : {}),
  };
}
