import type { MoodleWsError } from './moodle-ws-client.js';

/**
 * What the Moodle grade source needs of the token's service and user. docs/grade-sources.md lists the same for
 * admins (test/unit/docs.test.ts keeps the two equal).
 */

/** The functions the grade source and its connection test call: each must be in the token's service. */
export const SERVICE_FUNCTIONS = [
  'core_webservice_get_site_info',
  'core_enrol_get_enrolled_users',
  'core_course_get_contents',
  'gradereport_user_get_grade_items',
  'core_completion_get_activities_completion_status',
  'core_completion_get_course_completion_status',
  'mod_quiz_get_user_best_grade',
  'core_competency_list_course_competencies',
  'report_competency_data_for_report',
] as const;

/**
 * Every capability the service user needs. `mod/<module>:view` stands for one per module type that counts.
 * Some never refuse a call, Moodle only leaves data out without them: `moodle/user:viewdetails` (the roster
 * keeps only course contacts), `moodle/site:viewuseridentity` (no e-mail addresses), `mod/<module>:view`.
 */
export const SERVICE_CAPABILITIES = [
  'webservice/rest:use',
  'moodle/course:view',
  'gradereport/user:view',
  'moodle/grade:viewall',
  'moodle/course:viewparticipants',
  'moodle/user:viewdetails',
  'moodle/site:viewuseridentity',
  'report/completion:view',
  'report/progress:view',
  'moodle/competency:coursecompetencyview',
  'moodle/competency:usercompetencyview',
  'mod/<module>:view',
  'mod/quiz:viewreports',
] as const;

/**
 * How Moodle names capabilities in its English `nopermissions` message ("Sorry, but you do not currently have
 * permissions to do that (View all grades)."), so a refusal can be reported as the capability to grant.
 */
export const CAPABILITY_NAMES: Record<string, string> = {
  'moodle/course:view': 'View courses without participation',
  'gradereport/user:view': 'View your own grade report',
  'moodle/grade:viewall': 'View grades of other users',
  'moodle/course:viewparticipants': 'View participants',
  'report/completion:view': 'View course completion report',
  'report/progress:view': 'View activity completion reports',
  'moodle/competency:usercompetencyview': 'View user competency',
  'moodle/competency:coursecompetencyview': 'View course competencies',
  'moodle/user:viewdetails': 'View user profiles',
  'mod/quiz:view': 'View quiz information',
  'mod/quiz:viewreports': 'View quiz reports',
};

/** The capabilities each function the grade source calls may refuse for. */
export const FUNCTION_CAPABILITIES: Record<string, string[]> = {
  core_webservice_get_site_info: [],
  core_course_get_contents: ['moodle/course:view'],
  core_enrol_get_enrolled_users: ['moodle/course:viewparticipants', 'moodle/user:viewdetails'],
  gradereport_user_get_grade_items: ['gradereport/user:view', 'moodle/grade:viewall'],
  core_completion_get_activities_completion_status: ['report/progress:view'],
  core_completion_get_course_completion_status: ['report/completion:view'],
  mod_quiz_get_user_best_grade: ['mod/quiz:viewreports', 'mod/quiz:view'],
  core_competency_list_course_competencies: ['moodle/competency:coursecompetencyview'],
  report_competency_data_for_report: ['moodle/competency:usercompetencyview'],
};

/** The capability a `nopermissions` refusal names, when its English name is one we know. */
export function refusedCapability(err: MoodleWsError): string | undefined {
  if (err.errorcode !== 'nopermissions') return undefined;
  const named = /\(([^()]+)\)\.?\s*$/.exec(err.message)?.[1]?.trim();
  const candidates = FUNCTION_CAPABILITIES[err.wsfunction] ?? [];
  const match = (cap: string) => CAPABILITY_NAMES[cap]?.toLowerCase() === named?.toLowerCase();
  return candidates.find(match) ?? Object.keys(CAPABILITY_NAMES).find(match) ?? candidates[0];
}
