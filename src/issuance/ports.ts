import type { CourseBindingDoc } from '../courses/binding-model.js';
import type { IssuanceRequestDoc } from './request-model.js';

/** What the pipeline needs from the credential engine. */
export interface CredentialOps {
  /** Builds, signs and stores both documents under the request's id; a second call returns the stored ones. */
  issue(request: IssuanceRequestDoc, binding: CourseBindingDoc): Promise<{ credentialId: string }>;
  /** Changes the credential's entry in the status lists (and re-signs the lists). */
  setStatus(credentialId: string, status: 'active' | 'suspended' | 'revoked', reason: string): Promise<void>;
  /** Title (in the learner's language where the template has it) and awarding body, for the e-mail. */
  summary(
    credentialId: string,
    locale: string | undefined,
  ): Promise<{ title: string; issuer: string; sealHolder?: string }>;
}

/** What the pipeline needs from the LMS to report an award (AGS score and comment). */
export interface GradeWriteBack {
  report(binding: CourseBindingDoc, request: IssuanceRequestDoc, credentialUrl: string): Promise<void>;
}
