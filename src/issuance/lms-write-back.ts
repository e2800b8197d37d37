import type { ServiceTokens } from '../lti/service-token.js';
import { platformServices } from '../lti/course-access.js';
import type { GradeWriteBack } from './ports.js';

/**
 * Reports an award on the course's credential line item through AGS: full marks and a comment with the
 * credential's link. The line item's maximum is read once per process.
 */
export function agsWriteBack(tokens: ServiceTokens): GradeWriteBack {
  const maximums = new Map<string, number>();
  return {
    async report(binding, request, credentialUrl) {
      const { ags } = await platformServices(binding.platformId, tokens);
      const url = binding.writeBackLineItemUrl;
      let max = maximums.get(url);
      if (max === undefined) {
        max = (await ags.getLineItem(url)).scoreMaximum;
        maximums.set(url, max);
      }
      await ags.postScore(url, {
        userId: request.learnerId,
        scoreGiven: max,
        scoreMaximum: max,
        comment: `Credential issued: ${credentialUrl}`,
        timestamp: new Date().toISOString(),
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
      });
    },
  };
}
