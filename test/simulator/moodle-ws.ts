import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { Router, type Request, type Response } from 'express';

/**
 * Moodle 4.5's REST web service (`POST /webservice/rest/server.php`, `moodlewsrestformat=json`) as a real HTTP
 * server, answering with the shapes recorded in /work/shared/fixtures/moodle-4.5/webservice. Errors come as
 * Moodle sends them: HTTP 200 and `{"exception", "errorcode", "message"}`, refused in Moodle's order
 * (webservice/lib.php): the token, its expiry and IP restriction, maintenance, the account, webservice/rest:use,
 * whether the function exists and is in the service, then the function's own capability checks. Each token has a
 * capability set: without `mod/<module>:view` that module's grade and completion rows are silently left out, as
 * are e-mails without `moodle/site:viewuseridentity` and everyone but teachers without `moodle/user:viewdetails`;
 * without any other capability the functions needing it answer `nopermissions`. Runs standalone (`start()`) or
 * mounts into another express app (`router()`, e.g. next to the LTI platform simulator).
 */

/** What docs/grade-sources.md tells admins to grant (`mod/<module>:view` for the captured course's modules). */
export const ALL_CAPABILITIES = [
  'webservice/rest:use',
  'moodle/course:view',
  'gradereport/user:view',
  'moodle/grade:viewall',
  'moodle/course:viewparticipants',
  'report/completion:view',
  'report/progress:view',
  'moodle/competency:usercompetencyview',
  'moodle/competency:coursecompetencyview',
  'moodle/user:viewdetails',
  'moodle/site:viewuseridentity',
  'moodle/user:viewalldetails',
  'mod/assign:view',
  'mod/quiz:view',
  'mod/quiz:viewreports',
];

/** Moodle's English capability names, as they appear in "nopermissions" messages. */
const CAPABILITY_TITLES: Record<string, string> = {
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

export interface MoodleSimUser {
  id: number;
  firstname: string;
  lastname: string;
  email: string;
  role: 'student' | 'editingteacher';
  /** The user's language preference (Moodle's `lang`, e.g. 'pt_br'). */
  lang?: string;
}

export interface MoodleSimModule {
  cmid: number;
  name: string;
  modname: string;
  instance: number;
  /** 0 none, 1 manual, 2 automatic. */
  completion: number;
}

export interface MoodleSimItem {
  id: number;
  itemname: string | null;
  itemtype: 'mod' | 'manual' | 'course';
  itemmodule?: string;
  iteminstance?: number;
  cmid?: number;
  idnumber?: string;
  grademin: number;
  grademax: number;
  outcomeid?: number;
  /** Grade to pass (the gradebook's, not exposed by gradereport_user; a quiz's comes out as gradetopass). */
  gradepass?: number;
}

export interface MoodleSimCourse {
  id: number;
  shortname: string;
  fullname: string;
  users: Map<number, MoodleSimUser>;
  modules: MoodleSimModule[];
  items: MoodleSimItem[];
  /** Raw grades by user, then grade item id. The course total is computed as the sum. */
  grades: Map<number, Map<number, number>>;
  /** Completion state by user, then cmid: 0 incomplete, 1 complete, 2 complete with pass, 3 with fail. */
  completion: Map<number, Map<number, number>>;
  /** Course completion by user; undefined when the course has no completion criteria. */
  courseCompletion?: Map<number, boolean>;
  competencies: { id: number; shortname: string; idnumber: string }[];
  /** Proficiency by user, then competency id; rows appear as report_competency_data_for_report writes them. */
  proficiency: Map<number, Map<number, boolean | null>>;
}

export interface MoodleSimToken {
  userid: number;
  capabilities: Set<string>;
  /** The token's "Valid until" has passed: Moodle refuses it once, deletes it, then no longer knows it. */
  expired?: boolean;
  /** The token's IP restriction leaves out the caller's address. */
  ipRestricted?: boolean;
  /** The token's user is not an active account. */
  account?: 'suspended' | 'unconfirmed' | 'deleted' | 'nologin' | 'passwordexpired';
}

/** Moodle's codes for a refused account (webservice_server::authenticate_user); message "Refused web service access for ...". */
const ACCOUNT_REFUSALS: Record<NonNullable<MoodleSimToken['account']>, [string, string]> = {
  deleted: ['wsaccessuserdeleted', 'deleted username'],
  unconfirmed: ['wsaccessuserunconfirmed', 'unconfirmed username'],
  suspended: ['wsaccessusersuspended', 'suspended username'],
  passwordexpired: ['wsaccessuserexpired', 'password expired username'],
  nologin: ['wsaccessusernologin', 'nologin authentication username'],
};

type Params = Record<string, string>;

class WsException extends Error {
  constructor(
    readonly exception: string,
    readonly errorcode: string,
    message: string,
    readonly debuginfo?: string,
  ) {
    super(message);
  }
}

/** webservice_access_exception: always "Access control exception"; the reason only in the debug info. */
const accessException = (debuginfo: string) =>
  new WsException('webservice_access_exception', 'accessexception', 'Access control exception', debuginfo);

const notAllowed = (fn: string) =>
  accessException(`Access to the function ${fn}() is not allowed.
                     There could be multiple reasons for this:
                     1. The service linked to the user token does not contain the function.
                     2. The service is user-restricted and the user is not listed.
                     3. The service is IP-restricted and the user IP is not listed.
                     4. The service is time-restricted and the time has expired.
                     5. The token is time-restricted and the time has expired.
                     6. The service requires a specific capability which the user does not have.
                     7. The function is called with username/password (no user token is sent)
                     and none of the services has the function to allow the user.
                     These settings can be found in Administration > Site administration
                     > Server > Web services > External services and Manage tokens.`);

const nopermissions = (capability: string) =>
  new WsException(
    'required_capability_exception',
    'nopermissions',
    `Sorry, but you do not currently have permissions to do that (${CAPABILITY_TITLES[capability] ?? capability}).`,
  );

export class MoodleWsSimulator {
  url = '';
  readonly courses = new Map<number, MoodleSimCourse>();
  readonly tokens = new Map<string, MoodleSimToken>();
  /** Every call received, for assertions (function name and parameters, without the token). */
  readonly calls: { wsfunction: string; params: Params }[] = [];
  /** Rating rows report_competency_data_for_report created (Moodle writes one when none exists). */
  competencyRowsWritten = 0;
  /** Functions left out of the tokens' external service (answered with "accessexception"). */
  readonly disabledFunctions = new Set<string>();
  /** Site settings: web services and the REST protocol on; off, server.php answers 403 with no body. */
  restEnabled = true;
  /** Maintenance mode: every call answers "sitemaintenance". */
  maintenance = false;
  /**
   * Debug messages at DEVELOPER level with display on: Moodle then adds `debuginfo` to errors and appends it to
   * the message. Off by default, as on production sites.
   */
  developerDebug = false;
  private server?: Server;
  private nextRowId = 100;

  addToken(
    token: string,
    userid = 6,
    capabilities: readonly string[] = ALL_CAPABILITIES,
    state: Pick<MoodleSimToken, 'expired' | 'ipRestricted' | 'account'> = {},
  ): MoodleSimToken {
    const t: MoodleSimToken = { userid, capabilities: new Set(capabilities), ...state };
    this.tokens.set(token, t);
    return t;
  }

  dropCapability(token: string, capability: string): void {
    this.tokens.get(token)?.capabilities.delete(capability);
  }

  addCourse(course: Partial<MoodleSimCourse> & { id: number }): MoodleSimCourse {
    const full: MoodleSimCourse = {
      shortname: `C${course.id}`,
      fullname: `Course ${course.id}`,
      users: new Map(),
      modules: [],
      items: [],
      grades: new Map(),
      completion: new Map(),
      competencies: [],
      proficiency: new Map(),
      ...course,
    };
    this.courses.set(full.id, full);
    return full;
  }

  router(): Router {
    const router = Router();
    router.post('/webservice/rest/server.php', express.urlencoded({ extended: false }), (req, res) =>
      this.handle(req, res),
    );
    return router;
  }

  async start(): Promise<this> {
    const app = express();
    app.use(this.router());
    await new Promise<void>((resolve) => {
      this.server = app.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: Request, res: Response): void {
    if (!this.restEnabled) {
      res.status(403).end();
      return;
    }
    const params = { ...(req.body as Params) };
    const wstoken = params.wstoken ?? '';
    const wsfunction = params.wsfunction ?? '';
    delete params.wstoken;
    this.calls.push({ wsfunction, params });
    const send = (body: unknown) => res.type('application/json; charset=utf-8').send(JSON.stringify(body));
    if (params.moodlewsrestformat !== 'json') {
      res.type('application/xml').send('<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE></RESPONSE>');
      return;
    }
    try {
      const token = this.authenticate(wstoken);
      const fn = (this.functions as Record<string, (p: Params, t: MoodleSimToken) => unknown>)[wsfunction];
      if (!fn)
        throw new WsException(
          'dml_missing_record_exception',
          'invalidrecord',
          "Can't find data record in database table external_functions.",
        );
      if (this.disabledFunctions.has(wsfunction)) throw notAllowed(wsfunction);
      send(fn.call(this, params, token));
    } catch (err) {
      if (!(err instanceof WsException)) throw err;
      const debug = this.developerDebug && err.debuginfo;
      send({
        exception: err.exception,
        errorcode: err.errorcode,
        message: debug ? `${err.message} (${err.debuginfo})` : err.message,
        ...(debug ? { debuginfo: err.debuginfo } : {}),
      });
    }
  }

  /** webservice_server::authenticate_user, in Moodle's order. */
  private authenticate(wstoken: string): MoodleSimToken {
    const token = this.tokens.get(wstoken);
    if (!token) throw new WsException('moodle_exception', 'invalidtoken', 'Invalid token - token not found');
    if (token.expired) {
      this.tokens.delete(wstoken); // Moodle deletes an expired token when it refuses it
      throw accessException('Invalid token - token expired - check validuntil time for the token');
    }
    if (token.ipRestricted)
      throw accessException('Invalid service - IP:127.0.0.1 is not supported - check this allowed user');
    if (this.maintenance)
      throw new WsException(
        'moodle_exception',
        'sitemaintenance',
        'The site is undergoing maintenance and is currently not available',
      );
    if (token.account) {
      const [code, who] = ACCOUNT_REFUSALS[token.account];
      throw new WsException('moodle_exception', code, `Refused web service access for ${who}: gradesvc`);
    }
    if (!token.capabilities.has('webservice/rest:use'))
      throw accessException(
        'You are not allowed to use the rest protocol (missing capability: webservice/rest:use)',
      );
    return token;
  }

  private course(id: string | undefined, token: MoodleSimToken): MoodleSimCourse {
    const course = this.courses.get(Number(id));
    if (!course)
      throw new WsException(
        'dml_missing_record_exception',
        'invalidrecord',
        "Can't find data record in database table course.",
      );
    if (!token.capabilities.has('moodle/course:view'))
      throw new WsException(
        'require_login_exception',
        'requireloginerror',
        'Course or activity not accessible. (Not enrolled)',
      );
    return course;
  }

  private require(token: MoodleSimToken, ...capabilities: string[]): void {
    for (const c of capabilities) if (!token.capabilities.has(c)) throw nopermissions(c);
  }

  /** Modules the token's user may view; the others' rows are left out without an error. */
  private visible(course: MoodleSimCourse, token: MoodleSimToken, modname: string | undefined): boolean {
    return (
      !modname ||
      !course.modules.some((m) => m.modname === modname) ||
      token.capabilities.has(`mod/${modname}:view`)
    );
  }

  private student(course: MoodleSimCourse, userid: string | undefined): MoodleSimUser {
    const user = course.users.get(Number(userid));
    if (!user)
      throw new WsException('moodle_exception', 'notenrolled', 'User is not enrolled in this course');
    return user;
  }

  private readonly functions = {
    core_webservice_get_site_info: (_p: Params, t: MoodleSimToken) => ({
      sitename: 'LTI Test Moodle',
      username: 'gradesvc',
      firstname: 'Grades',
      lastname: 'Service',
      fullname: 'Grades Service',
      lang: 'en',
      userid: t.userid,
      siteurl: this.url,
      // The token's service's functions, as Moodle lists them.
      functions: Object.keys(this.functions)
        .filter((name) => !this.disabledFunctions.has(name))
        .map((name) => ({ name, version: '2024100706' })),
      release: '4.5.6 (Build: 20250811)',
      version: '2024100706',
      userissiteadmin: false,
    }),

    core_enrol_get_enrolled_users: (p: Params, t: MoodleSimToken) => {
      const course = this.course(p.courseid, t);
      this.require(t, 'moodle/course:viewparticipants');
      // user_get_user_details: without moodle/user:viewdetails only course contacts (teachers) are listed;
      // e-mail is shown with moodle/site:viewuseridentity ("email" is in Show user identity by default).
      const shown = [...course.users.values()].filter(
        (u) => t.capabilities.has('moodle/user:viewdetails') || u.role === 'editingteacher',
      );
      return shown.map((u) => ({
        id: u.id,
        firstname: u.firstname,
        lastname: u.lastname,
        fullname: `${u.firstname} ${u.lastname}`,
        ...(t.capabilities.has('moodle/site:viewuseridentity') ? { email: u.email } : {}),
        // user_get_user_details gives lang (with auth, confirmed, theme...) only to moodle/user:viewalldetails; the
        // recorded teacher's token (fixtures/moodle-4.5/webservice) has none of them.
        ...(t.capabilities.has('moodle/user:viewalldetails') && u.lang ? { lang: u.lang } : {}),
        firstaccess: 0,
        lastaccess: 0,
        lastcourseaccess: 0,
        profileimageurlsmall: `${this.url}/theme/image.php/boost/core/1/u/f2`,
        profileimageurl: `${this.url}/theme/image.php/boost/core/1/u/f1`,
        roles: [{ roleid: u.role === 'student' ? 5 : 3, name: '', shortname: u.role, sortorder: 0 }],
        enrolledcourses: [{ id: course.id, fullname: course.fullname, shortname: course.shortname }],
      }));
    },

    gradereport_user_get_grade_items: (p: Params, t: MoodleSimToken) => {
      const course = this.course(p.courseid, t);
      this.require(t, 'gradereport/user:view', 'moodle/grade:viewall');
      const students = [...course.users.values()].filter(
        (u) => u.role === 'student' && (!p.userid || Number(p.userid) === u.id),
      );
      return {
        usergrades: students.map((u) => ({
          courseid: course.id,
          courseidnumber: '',
          userid: u.id,
          userfullname: `${u.firstname} ${u.lastname}`,
          useridnumber: '',
          maxdepth: 2,
          gradeitems: this.gradeItemsFor(course, t, u.id),
        })),
        warnings: [],
      };
    },

    core_completion_get_activities_completion_status: (p: Params, t: MoodleSimToken) => {
      const course = this.course(p.courseid, t);
      const user = this.student(course, p.userid);
      if (user.id !== t.userid) this.require(t, 'report/progress:view');
      const states = course.completion.get(user.id) ?? new Map<number, number>();
      return {
        statuses: course.modules
          .filter((m) => m.completion > 0 && this.visible(course, t, m.modname))
          .map((m) => {
            const state = states.get(m.cmid) ?? 0;
            return {
              cmid: m.cmid,
              modname: m.modname,
              instance: m.instance,
              state,
              timecompleted: state > 0 ? 1795404961 : 0,
              tracking: m.completion,
              overrideby: null,
              valueused: false,
              hascompletion: true,
              isautomatic: m.completion === 2,
              istrackeduser: true,
              uservisible: true,
              details: [],
              isoverallcomplete: state === 1 || state === 2,
            };
          }),
        warnings: [],
      };
    },

    core_completion_get_course_completion_status: (p: Params, t: MoodleSimToken) => {
      const course = this.course(p.courseid, t);
      const user = this.student(course, p.userid);
      if (user.id !== t.userid) this.require(t, 'report/completion:view');
      if (!course.courseCompletion)
        throw new WsException(
          'moodle_exception',
          'nocriteriaset',
          'No completion criteria set for this course',
        );
      const completed = course.courseCompletion.get(user.id) === true;
      return {
        completionstatus: {
          completed,
          aggregation: 1,
          completions: course.modules
            .filter((m) => m.completion > 0)
            .map((m) => ({
              type: 4,
              title: 'Activity completion',
              status: completed ? 'Yes' : 'No',
              complete: completed,
              timecompleted: completed ? 1795404961 : null,
              details: {
                type: 'Activity completion',
                criteria: `<a href="${this.url}/mod/${m.modname}/view.php?id=${m.cmid}">${m.name}</a>`,
                requirement: 'Achieving grade, Achieving passing grade',
                status: '',
              },
            })),
        },
        warnings: [],
      };
    },

    mod_quiz_get_user_best_grade: (p: Params, t: MoodleSimToken) => {
      const course = [...this.courses.values()].find((c) =>
        c.modules.some((m) => m.modname === 'quiz' && m.instance === Number(p.quizid)),
      );
      if (!course)
        throw new WsException(
          'dml_missing_record_exception',
          'invalidrecord',
          "Can't find data record in database table quiz.",
        );
      this.require(t, 'mod/quiz:view');
      if (Number(p.userid) !== t.userid) this.require(t, 'mod/quiz:viewreports');
      const item = course.items.find((i) => i.itemmodule === 'quiz' && i.iteminstance === Number(p.quizid));
      const grade = item ? course.grades.get(Number(p.userid))?.get(item.id) : undefined;
      return {
        hasgrade: grade !== undefined,
        ...(grade !== undefined ? { grade } : {}),
        gradetopass: item?.gradepass ?? 0,
        warnings: [],
      };
    },

    core_course_get_contents: (p: Params, t: MoodleSimToken) => {
      const course = this.course(p.courseid, t);
      return [
        {
          id: 1,
          name: 'General',
          visible: 1,
          summary: '',
          summaryformat: 1,
          section: 0,
          hiddenbynumsections: 0,
          uservisible: true,
          component: null,
          itemid: null,
          modules: course.modules.map((m) => ({
            id: m.cmid,
            url: `${this.url}/mod/${m.modname}/view.php?id=${m.cmid}`,
            name: m.name,
            instance: m.instance,
            contextid: 20 + m.cmid,
            visible: 1,
            uservisible: true,
            visibleoncoursepage: 1,
            modname: m.modname,
            modplural: `${m.modname}s`,
            indent: 0,
            onclick: '',
            afterlink: null,
            noviewlink: false,
            completion: m.completion,
            downloadcontent: 1,
            dates: [],
            groupmode: 0,
          })),
        },
      ];
    },

    core_competency_list_course_competencies: (p: Params, t: MoodleSimToken) => {
      const course = this.course(p.id, t);
      this.require(t, 'moodle/competency:coursecompetencyview');
      return course.competencies.map((c, i) => ({
        competency: {
          shortname: c.shortname,
          idnumber: c.idnumber,
          description: '',
          descriptionformat: 1,
          sortorder: i,
          parentid: 0,
          path: '/0/',
          ruleoutcome: 0,
          ruletype: null,
          ruleconfig: null,
          scaleid: null,
          scaleconfiguration: null,
          competencyframeworkid: 1,
          id: c.id,
          timecreated: 1795404961,
          timemodified: 1795404961,
          usermodified: 2,
        },
        coursecompetency: {
          courseid: course.id,
          competencyid: c.id,
          sortorder: i,
          ruleoutcome: 1,
          id: c.id,
          timecreated: 1795404961,
          timemodified: 1795404961,
          usermodified: 2,
        },
      }));
    },

    report_competency_data_for_report: (p: Params, t: MoodleSimToken) => {
      const course = this.course(p.courseid, t);
      const user = this.student(course, p.userid);
      this.require(t, 'moodle/competency:usercompetencyview');
      let rows = course.proficiency.get(user.id);
      if (!rows) course.proficiency.set(user.id, (rows = new Map()));
      return {
        courseid: course.id,
        user: {
          id: user.id,
          email: user.email,
          fullname: `${user.firstname} ${user.lastname}`,
          identity: user.email,
        },
        course: { id: course.id, fullname: course.fullname, shortname: course.shortname },
        usercompetencies: course.competencies.map((c) => {
          if (!rows.has(c.id)) {
            rows.set(c.id, null); // Moodle creates the user_competency_course row on first read
            this.competencyRowsWritten++;
          }
          const proficiency = rows.get(c.id) ?? null;
          return {
            usercompetencycourse: {
              userid: user.id,
              courseid: course.id,
              competencyid: c.id,
              proficiency,
              grade: proficiency ? 2 : null,
              id: this.nextRowId++,
              timecreated: 1795404961,
              timemodified: 1795404961,
              usermodified: t.userid,
              gradename: proficiency ? 'Competent' : '-',
              proficiencyname: proficiency ? 'Yes' : 'No',
            },
            competency: {
              linkedcourses: [],
              relatedcompetencies: [],
              competency: {
                shortname: c.shortname,
                idnumber: c.idnumber,
                id: c.id,
                competencyframeworkid: 1,
              },
            },
          };
        }),
        pushratingstouserplans: true,
      };
    },
  };

  private gradeItemsFor(course: MoodleSimCourse, token: MoodleSimToken, userid: number) {
    const grades = course.grades.get(userid) ?? new Map<number, number>();
    const row = (item: MoodleSimItem, graderaw: number | null) => ({
      id: item.id,
      itemname: item.itemname,
      itemtype: item.itemtype,
      itemmodule: item.itemmodule ?? null,
      iteminstance: item.iteminstance ?? (item.itemtype === 'course' ? 1 : null),
      itemnumber: item.itemtype === 'course' ? null : 0,
      idnumber: item.idnumber ?? (item.itemtype === 'mod' ? '' : null),
      categoryid: item.itemtype === 'course' ? null : 1,
      outcomeid: item.outcomeid ?? null,
      scaleid: null,
      locked: false,
      ...(item.cmid !== undefined ? { cmid: item.cmid } : {}),
      ...(graderaw === null ? { status: 'novalue' } : {}),
      graderaw,
      gradedatesubmitted: null,
      gradedategraded: graderaw === null ? null : 1795404961,
      gradehiddenbydate: false,
      gradeneedsupdate: false,
      gradeishidden: false,
      gradeislocked: false,
      gradeisoverridden: false,
      gradeformatted: graderaw === null ? '-' : graderaw.toFixed(2),
      grademin: item.grademin,
      grademax: item.grademax,
      rangeformatted: `${item.grademin}&ndash;${item.grademax}`,
      percentageformatted:
        graderaw === null
          ? '-'
          : `${((100 * (graderaw - item.grademin)) / (item.grademax - item.grademin)).toFixed(2)} %`,
      feedback: '',
      feedbackformat: 2,
    });
    const shown = course.items.filter(
      (i) => i.itemtype !== 'course' && this.visible(course, token, i.itemmodule),
    );
    const rows = shown.map((i) => row(i, grades.get(i.id) ?? null));
    const counted = course.items.filter((i) => i.itemtype !== 'course' && i.outcomeid === undefined);
    const graded = counted.filter((i) => grades.has(i.id));
    const total = course.items.find((i) => i.itemtype === 'course');
    if (total) {
      const sum = graded.reduce((s, i) => s + grades.get(i.id)!, 0);
      rows.push(
        row({ ...total, grademax: counted.reduce((s, i) => s + i.grademax, 0) }, graded.length ? sum : null),
      );
    }
    return rows;
  }
}

/** The course of the captures: assignment (pass 50), quiz (pass 5 of 10), manual "final-exam", course total. */
export function captureLikeCourse(sim: MoodleWsSimulator, id = 2): MoodleSimCourse {
  return sim.addCourse({
    id,
    shortname: 'LTI101',
    fullname: 'LTI Test Course',
    modules: [
      { cmid: 3, name: 'Essay assignment', modname: 'assign', instance: 1, completion: 2 },
      { cmid: 4, name: 'Check quiz', modname: 'quiz', instance: 1, completion: 2 },
    ],
    items: [
      {
        id: 7,
        itemname: 'Essay assignment',
        itemtype: 'mod',
        itemmodule: 'assign',
        iteminstance: 1,
        cmid: 3,
        grademin: 0,
        grademax: 100,
        gradepass: 50,
      },
      {
        id: 8,
        itemname: 'Check quiz',
        itemtype: 'mod',
        itemmodule: 'quiz',
        iteminstance: 1,
        cmid: 4,
        grademin: 0,
        grademax: 10,
        gradepass: 5,
      },
      {
        id: 9,
        itemname: 'Final exam (offline)',
        itemtype: 'manual',
        idnumber: 'final-exam',
        grademin: 0,
        grademax: 100,
        gradepass: 60,
      },
      {
        id: 10,
        itemname: 'Outcome: Communicates clearly',
        itemtype: 'manual',
        grademin: 1,
        grademax: 2,
        outcomeid: 1,
      },
      { id: 1, itemname: null, itemtype: 'course', grademin: 0, grademax: 210 },
    ],
    courseCompletion: new Map(),
    competencies: [
      { id: 1, shortname: 'Write an essay', idnumber: 'c-essay' },
      { id: 2, shortname: 'Pass the quiz', idnumber: 'c-quiz' },
    ],
  });
}
