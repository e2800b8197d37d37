import { PATHS, TOOL_SCOPES } from './constants.js';

/**
 * The JSON an admin gives Canvas under Admin > Developer Keys > + Developer Key > LTI Key, method
 * "Enter URL" (/lti/canvas.json?institution=<id>). custom_fields give us Canvas's own user and course ids next
 * to the LTI ones.
 */
export function canvasDeveloperKeyConfig(publicUrl: string, institutionId: string) {
  const launch = publicUrl + PATHS.launch;
  return {
    title: 'Credbridge',
    description: 'Signed EU micro-credentials for passed course assessments',
    oidc_initiation_url: publicUrl + PATHS.login,
    target_link_uri: launch,
    // The institution's own keys, as with dynamic registration.
    public_jwk_url: `${publicUrl}${PATHS.jwks}/${institutionId}`,
    scopes: TOOL_SCOPES,
    custom_fields: {
      canvas_user_id: '$Canvas.user.id',
      canvas_course_id: '$Canvas.course.id',
    },
    extensions: [
      {
        platform: 'canvas.instructure.com',
        domain: new URL(publicUrl).host,
        tool_id: 'credbridge',
        privacy_level: 'public',
        settings: {
          text: 'Credbridge',
          placements: [
            {
              placement: 'course_navigation',
              message_type: 'LtiResourceLinkRequest',
              target_link_uri: launch,
              text: 'Credentials',
            },
            {
              placement: 'link_selection',
              message_type: 'LtiDeepLinkingRequest',
              target_link_uri: launch,
              text: 'Add a credential',
            },
            {
              placement: 'assignment_selection',
              message_type: 'LtiDeepLinkingRequest',
              target_link_uri: launch,
              text: 'Add a credential',
            },
          ],
        },
      },
    ],
  };
}
