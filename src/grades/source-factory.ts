import type { CourseBindingDoc } from '../courses/binding-model.js';
import { platformServices } from '../lti/course-access.js';
import type { ServiceTokens } from '../lti/service-token.js';
import { AgsGradeSource } from './ags-source.js';
import { ManualGradeSource } from './manual-source.js';
import type { GradeSource } from './source.js';
import { gradeSourceForBinding } from './lms-sources.js';
import { RosterCheckedSource } from './roster-check.js';

export type GradeSourceFactory = (binding: CourseBindingDoc) => Promise<GradeSource>;

/** The grade source a binding names. LMS API sources (Moodle, Canvas) register through `extra`. */
export function gradeSourceFactory(
  tokens: ServiceTokens,
  extra: Partial<Record<string, GradeSourceFactory>> = {},
): GradeSourceFactory {
  return async (binding) => {
    const kind = binding.source?.kind ?? 'ags';
    if (kind === 'manual') return new ManualGradeSource(String(binding._id));
    if (kind === 'ags') {
      const { ags, nrps } = await platformServices(binding.platformId, tokens);
      return new AgsGradeSource(ags, nrps, {
        lineItemsUrl: binding.source!.lineItemsUrl,
        membershipsUrl: binding.source!.membershipsUrl,
        excludeLineItemUrl: binding.writeBackLineItemUrl || undefined,
      });
    }
    const factory = extra[kind];
    if (!factory) throw new Error(`grade source "${kind}" is not configured for this platform`);
    return factory(binding);
  };
}

/**
 * Moodle Web Services and Canvas REST, through the platform's stored (encrypted) LMS connection, for the
 * grades; the course's LTI roster (NRPS) for who may earn the credential (src/grades/roster-check.ts).
 */
export function lmsApiSources(kek: Buffer, tokens: ServiceTokens): Record<string, GradeSourceFactory> {
  const source: GradeSourceFactory = async (binding) => {
    const grades = await gradeSourceForBinding(kek, binding);
    const membershipsUrl = binding.source?.membershipsUrl;
    if (!membershipsUrl) return new RosterCheckedSource(grades, undefined);
    const { nrps } = await platformServices(binding.platformId, tokens);
    return new RosterCheckedSource(grades, () => nrps.listMembers(membershipsUrl));
  };
  return { moodle: source, canvas: source };
}
