/** The three things a person can be in Credbridge, from most to least privileged. */
export type AppRole = 'admin' | 'instructor' | 'learner';

const ADMIN = new Set([
  'http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin',
  'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator',
]);
const INSTRUCTOR = new Set(['Instructor', 'ContentDeveloper', 'TeachingAssistant']);

/**
 * Reduces a role to the final segment of an LTI membership role: full URIs
 * (`.../membership#Instructor`, `.../membership/Instructor#TeachingAssistant`), LTI 1.1 URNs
 * (`urn:lti:role:ims/lis/Instructor`) and the short names Moodle's NRPS sends (`Instructor`).
 */
function membershipRole(role: string): string | undefined {
  if (/^https?:\/\/purl\.imsglobal\.org\/vocab\/lis\/v2\/membership(\/[A-Za-z]+)?#[A-Za-z]+$/.test(role)) {
    return role.slice(role.indexOf('#') + 1);
  }
  const urn = /^urn:lti:role:ims\/lis\/([A-Za-z]+)(\/([A-Za-z]+))?$/.exec(role);
  if (urn) return urn[3] ?? urn[1];
  if (/^[A-Za-z]+$/.test(role)) return role;
  return undefined;
}

/** Institution or system administrators are admins; course staff are instructors; everyone else a learner. */
export function mapRoles(roles: readonly string[]): AppRole {
  const short = roles.map(membershipRole).filter((r): r is string => Boolean(r));
  if (roles.some((r) => ADMIN.has(r)) || short.includes('Administrator')) return 'admin';
  if (short.some((r) => INSTRUCTOR.has(r))) return 'instructor';
  return 'learner';
}
