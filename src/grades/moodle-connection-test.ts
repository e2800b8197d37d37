import {
  type ConnectionCheck,
  type ConnectionReport,
  type MappedEvidence,
  noMappedEvidence,
} from './mapped.js';
import { SERVICE_FUNCTIONS } from './moodle-capabilities.js';
import { accessRefusal, explainMoodleError, notInService, type AccessRefusal } from './moodle-diagnosis.js';
import { MoodleWsError, type MoodleWsClient } from './moodle-ws-client.js';
import {
  ASSESSED_MODULES,
  type WsActivityStatus,
  type WsEnrolledUser,
  type WsSection,
  type WsUserGrades,
} from './moodle-ws-source.js';

/**
 * A function no Moodle has. Moodle checks the token and its user (webservice/rest:use included) before it looks
 * a function up, so this call's answer says whether those checks pass, with no effect on the site.
 */
export const PROBE_FUNCTION = 'credbridge_connection_probe';

/**
 * Why core_webservice_get_site_info got `accessexception` when Moodle's message does not say: the probe
 * refused alike means Moodle refuses the token's user (webservice/rest:use, or the token's IP restriction);
 * the probe getting past the checks means only get_site_info is refused (not in the service). Moodle deletes
 * an expired token on its first refusal, so the probe then finds the token unknown.
 */
async function siteInfoRefusal(client: MoodleWsClient, err: MoodleWsError): Promise<AccessRefusal> {
  const stated = accessRefusal(err);
  if (stated !== 'unknown') return stated;
  try {
    await client.call(PROBE_FUNCTION);
    return 'not-in-service';
  } catch (probe) {
    // No answer from Moodle itself (network, HTTP status, not JSON): nothing learnt.
    if (!(probe instanceof MoodleWsError) || ['network', 'http'].includes(probe.exception)) return 'unknown';
    if (probe.errorcode === 'invalidtoken') return 'token-expired';
    if (probe.errorcode !== 'accessexception') return 'not-in-service';
    const said = accessRefusal(probe);
    return said === 'unknown' ? 'rest-use' : said;
  }
}

/**
 * "Test connection": calls each function the source uses for the course and reports in plain words what the
 * token's user lacks and where to fix it. report_competency_data_for_report is only called when `mapped` maps a
 * competency, because Moodle writes a rating row when it answers it.
 */
export async function testMoodleConnection(
  client: MoodleWsClient,
  courseId: string,
  mapped: MappedEvidence = noMappedEvidence(),
): Promise<ConnectionReport> {
  const checks: ConnectionCheck[] = [];
  const missing = new Set<string>();
  const fail = (check: string, diagnosis: { text: string; capability?: string }) => {
    if (diagnosis.capability) missing.add(diagnosis.capability);
    checks.push({ check, ok: false, detail: diagnosis.text });
  };
  const report = () => ({ ok: checks.every((c) => c.ok), checks, missing: [...missing] });
  const courseid = Number(courseId);

  let site: { username?: string; release?: string; functions?: { name: string }[] } | undefined;
  try {
    site = await client.call('core_webservice_get_site_info');
    checks.push({
      check: 'Token',
      ok: true,
      detail: `core_webservice_get_site_info: ok (${site?.username ?? '?'} on Moodle ${site?.release ?? '?'})`,
    });
  } catch (err) {
    const refusal =
      err instanceof MoodleWsError && err.errorcode === 'accessexception'
        ? await siteInfoRefusal(client, err)
        : undefined;
    fail('Token', explainMoodleError(err, { refusal }));
    // Every other call would fail alike, unless only get_site_info is left out of the service.
    if (refusal !== 'not-in-service') return report();
  }

  const listed = new Set((site?.functions ?? []).map((f) => f.name));
  const absent = SERVICE_FUNCTIONS.filter((f) => !listed.has(f));
  if (site?.functions && absent.length > 0) fail('Service functions', { text: notInService(absent) });

  // Moodle accepted the token and its user above, so an access refusal now is about the function; with
  // get_site_info refused too, possibly about the whole service (disabled, or not authorising the user).
  const afterAuth = site ? { authenticated: true } : { refusal: 'not-in-service' as const };
  const run = async <T>(
    check: string,
    fn: string,
    params: Record<string, number>,
  ): Promise<T | undefined> => {
    try {
      const data = await client.call<T>(fn, params);
      checks.push({ check, ok: true, detail: `${fn}: ok` });
      return data;
    } catch (err) {
      if (err instanceof MoodleWsError && err.errorcode === 'nocriteriaset') {
        checks.push({
          check,
          ok: true,
          detail: `${fn}: the course has no completion criteria (nothing to map)`,
        });
        return undefined;
      }
      fail(check, explainMoodleError(err, afterAuth));
      return undefined;
    }
  };

  const [enrolled, grades, sections] = await Promise.all([
    run<WsEnrolledUser[]>('Participants', 'core_enrol_get_enrolled_users', { courseid }),
    run<{ usergrades: WsUserGrades[] }>('Grades', 'gradereport_user_get_grade_items', { courseid }),
    run<WsSection[]>('Course contents', 'core_course_get_contents', { courseid }),
    run('Course competencies', 'core_competency_list_course_competencies', { id: courseid }),
  ]);
  checkParticipants(enrolled, grades?.usergrades, checks, missing);

  const learner = grades?.usergrades[0];
  if (!learner) {
    checks.push({
      check: 'Learners',
      ok: grades !== undefined,
      detail: 'No learner with grades in the course: per-learner functions not checked',
    });
    return report();
  }
  const userid = learner.userid;
  const statuses = await run<{ statuses: WsActivityStatus[] }>(
    'Activity completion',
    'core_completion_get_activities_completion_status',
    { courseid, userid },
  );
  await run('Course completion', 'core_completion_get_course_completion_status', { courseid, userid });
  const quiz = learner.gradeitems.find((i) => i.itemmodule === 'quiz' && i.iteminstance);
  if (quiz)
    await run('Quiz pass marks', 'mod_quiz_get_user_best_grade', { quizid: quiz.iteminstance!, userid });
  if (mapped.competencies.size > 0) {
    await run('Competency ratings', 'report_competency_data_for_report', { courseid, userid, moduleid: 0 });
  } else {
    checks.push({
      check: 'Competency ratings',
      ok: true,
      detail:
        'Not called: no competency is mapped (report_competency_data_for_report writes rating rows in Moodle)',
    });
  }

  // Rows Moodle leaves out silently: modules the course shows but the answers have nothing of.
  const modules = (sections ?? []).flatMap((s) => s.modules);
  const gradedTypes = new Set(learner.gradeitems.map((i) => i.itemmodule));
  const completionCms = new Set((statuses?.statuses ?? []).map((s) => s.cmid));
  const silent = new Set<string>();
  for (const m of modules) {
    if (statuses && (m.completion ?? 0) > 0 && !completionCms.has(m.id)) silent.add(m.modname);
    if (ASSESSED_MODULES.has(m.modname) && !gradedTypes.has(m.modname)) silent.add(m.modname);
  }
  for (const modname of silent) {
    fail(`Module ${modname}`, {
      capability: `mod/${modname}:view`,
      text: `Moodle leaves out the grades and completion of every ${modname} in the course: the web service user lacks mod/${modname}:view`,
    });
  }
  return report();
}

/**
 * What the roster leaves out without an error: everyone but course contacts (teachers) without
 * moodle/user:viewdetails, and e-mail addresses without moodle/site:viewuseridentity.
 */
function checkParticipants(
  enrolled: WsEnrolledUser[] | undefined,
  usergrades: WsUserGrades[] | undefined,
  checks: ConnectionCheck[],
  missing: Set<string>,
): void {
  if (!enrolled) return;
  const listed = new Set(enrolled.map((u) => u.id));
  if (usergrades?.length && !usergrades.some((u) => listed.has(u.userid))) {
    missing.add('moodle/user:viewdetails');
    checks.push({
      check: 'Participants',
      ok: false,
      detail:
        'Moodle lists none of the learners the gradebook shows: the web service user lacks moodle/user:viewdetails (learners then have no e-mail or given and family names)',
    });
  } else if (enrolled.length > 0 && !enrolled.some((u) => u.email)) {
    // Not a failure: learners still get credentials, and the LTI launch or NRPS may carry their e-mail.
    missing.add('moodle/site:viewuseridentity');
    checks.push({
      check: 'Participants',
      ok: true,
      detail:
        'Moodle shows no e-mail addresses: grant moodle/site:viewuseridentity (with "email" in Site administration > Users > Permissions > User policies > Show user identity); until then learners get e-mail only if the LTI launch or NRPS carries it',
    });
  }
}
