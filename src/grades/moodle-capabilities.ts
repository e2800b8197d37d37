import { MoodleWsError } from './moodle-ws-client.js';

/**
 * What each web service function needs, and how Moodle names those capabilities in its English error
 * message ("Sorry, but you do not currently have permissions to do that (View all grades)."), so a refusal
 * can be reported as the capability an admin has to grant. docs/grade-sources.md lists them for admins.
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

/** A Moodle refusal in words an LMS admin acts on, naming the capability or setting to change. */
export function explainMoodleError(err: unknown): { text: string; capability?: string } {
  if (!(err instanceof MoodleWsError)) return { text: (err as Error).message };
  const fn = err.wsfunction;
  switch (err.errorcode) {
    case 'invalidtoken':
      return { text: 'Moodle does not accept the token (mistyped, revoked or expired): create a new one.' };
    case 'accessexception':
      return {
        text: `${fn} is not in the token's web service: add it to the service under Site administration > Server > Web services > External services.`,
      };
    case 'nopermissions': {
      const capability = refusedCapability(err);
      return {
        capability,
        text: `${fn}: the web service user lacks the capability ${capability ?? 'named in Moodle\u2019s message'} (Moodle: "${err.message}")`,
      };
    }
    case 'requireloginerror':
      return {
        capability: 'moodle/course:view',
        text: `${fn}: the web service user cannot enter the course: grant moodle/course:view or enrol the user (Moodle: "${err.message}")`,
      };
    case 'nocriteriaset':
      return { text: `${fn}: the course has no completion criteria` };
    default:
      return { text: `${fn}: ${err.message || err.errorcode}` };
  }
}
