import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { Router, type Request, type Response } from 'express';

/**
 * Canvas's REST API (`/api/v1`, bearer token) as a real HTTP server, with Canvas's ways: pagination through
 * `Link` headers (per_page, default 10), `X-Rate-Limit-Remaining` / `X-Request-Cost` on every answer and
 * 403 "Rate Limit Exceeded" when the quota runs out, and its error bodies (401 "Invalid access token.",
 * 403 "user not authorized to perform that action", 404 "The specified resource does not exist.").
 * Runs standalone (`start()`) or mounts into another express app (`router()`).
 */

export type CanvasPermission = 'read_roster' | 'view_all_grades' | 'read_course_content';

export interface CanvasSimUser {
  id: number;
  name: string;
  sortableName: string;
  email: string;
}

export interface CanvasSimCourse {
  id: number;
  name: string;
  students: CanvasSimUser[];
  assignments: { id: number; name: string; points: number; groupId: number; gradingType?: string }[];
  groups: { id: number; name: string }[];
  /** Scores by user id, then assignment id. */
  scores: Map<number, Map<number, number>>;
  /** Final score percent by user id (what the gradebook shows). */
  finalScores: Map<number, number>;
  outcomes: { id: number; title: string; masteryPoints: number; pointsPossible: number }[];
  /** Outcome scores by user id, then outcome id. */
  outcomeScores: Map<number, Map<number, number>>;
  modules: { id: number; name: string }[];
  /** Completed module ids by user id. */
  completedModules: Map<number, Set<number>>;
}

export class CanvasRestSimulator {
  url = '';
  readonly courses = new Map<number, CanvasSimCourse>();
  readonly tokens = new Map<string, { userId: number; denied: Set<CanvasPermission> }>();
  /** Requests seen (method and path with query), for assertions. */
  readonly requests: string[] = [];
  /** Quota as Canvas reports it; each request costs `requestCost`, and the quota refills by `refill` per request. */
  quota = 700;
  requestCost = 1;
  /** Answer the next n requests with 403 Rate Limit Exceeded. */
  throttleNext = 0;
  defaultPerPage = 10;
  private server?: Server;

  addToken(token: string, userId = 1): void {
    this.tokens.set(token, { userId, denied: new Set() });
  }

  deny(token: string, permission: CanvasPermission): void {
    this.tokens.get(token)?.denied.add(permission);
  }

  addCourse(course: Partial<CanvasSimCourse> & { id: number }): CanvasSimCourse {
    const full: CanvasSimCourse = {
      name: `Course ${course.id}`,
      students: [],
      assignments: [],
      groups: [],
      scores: new Map(),
      finalScores: new Map(),
      outcomes: [],
      outcomeScores: new Map(),
      modules: [],
      completedModules: new Map(),
      ...course,
    };
    this.courses.set(full.id, full);
    return full;
  }

  router(): Router {
    const router = Router();
    router.use('/api/v1', (req, res) => this.handle(req, res));
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
    this.requests.push(`${req.method} ${req.originalUrl}`);
    const token = this.tokens.get(/^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '');
    if (!token) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="canvas-lms"')
        .json({ errors: [{ message: 'Invalid access token.' }] });
      return;
    }
    if (this.throttleNext > 0 || this.quota <= 0) {
      if (this.throttleNext > 0) this.throttleNext--;
      this.quota = Math.min(700, this.quota + 50); // the bucket leaks while the client waits
      res
        .status(403)
        .set('X-Rate-Limit-Remaining', '0.0')
        .type('text/plain')
        .send('403 Forbidden (Rate Limit Exceeded)\n');
      return;
    }
    this.quota -= this.requestCost;
    res.set('X-Request-Cost', String(this.requestCost)).set('X-Rate-Limit-Remaining', this.quota.toFixed(1));

    const notFound = () =>
      res.status(404).json({ errors: [{ message: 'The specified resource does not exist.' }] });
    const unauthorized = () =>
      res.status(403).json({
        status: 'unauthorized',
        errors: [{ message: 'user not authorized to perform that action' }],
      });
    const need = (p: CanvasPermission) => !token.denied.has(p);

    if (req.path === '/users/self') {
      res.json({
        id: token.userId,
        name: 'Grades Service',
        sortable_name: 'Service, Grades',
        short_name: 'Grades',
      });
      return;
    }
    const m = /^\/courses\/(\d+)(\/.*)?$/.exec(req.path);
    const course = m ? this.courses.get(Number(m[1])) : undefined;
    if (!m || !course) return void notFound();
    const rest = m[2] ?? '';
    const q = req.query as Record<string, string | string[] | undefined>;

    switch (rest) {
      case '':
        return void res.json({
          id: course.id,
          name: course.name,
          course_code: `C${course.id}`,
          workflow_state: 'available',
        });
      case '/enrollments':
        if (!need('read_roster')) return void unauthorized();
        return this.page(
          req,
          res,
          course.students.map((u, i) => ({
            id: 1000 + i,
            user_id: u.id,
            course_id: course.id,
            type: 'StudentEnrollment',
            role: 'StudentEnrollment',
            enrollment_state: 'active',
            grades: {
              html_url: `${this.url}/courses/${course.id}/grades/${u.id}`,
              current_score: course.finalScores.get(u.id) ?? null,
              final_score: course.finalScores.get(u.id) ?? 0,
              current_grade: null,
              final_grade: null,
            },
            user: { id: u.id, name: u.name, sortable_name: u.sortableName, short_name: u.name },
          })),
        );
      case '/users':
        if (!need('read_roster')) return void unauthorized();
        return this.page(
          req,
          res,
          course.students.map((u) => ({
            id: u.id,
            name: u.name,
            sortable_name: u.sortableName,
            short_name: u.name,
            ...(String(q['include[]'] ?? '').includes('email') ? { email: u.email } : {}),
          })),
        );
      case '/assignments':
        if (!need('read_course_content')) return void unauthorized();
        return this.page(
          req,
          res,
          course.assignments.map((a, i) => ({
            id: a.id,
            name: a.name,
            position: i + 1,
            points_possible: a.points,
            grading_type: a.gradingType ?? 'points',
            assignment_group_id: a.groupId,
            course_id: course.id,
            published: true,
            submission_types: ['online_upload'],
          })),
        );
      case '/assignment_groups':
        if (!need('read_course_content')) return void unauthorized();
        return this.page(
          req,
          res,
          course.groups.map((g, i) => ({
            id: g.id,
            name: g.name,
            position: i + 1,
            group_weight: 0,
            rules: {},
          })),
        );
      case '/students/submissions': {
        if (!need('view_all_grades')) return void unauthorized();
        const rows = course.students.flatMap((u) =>
          course.assignments.map((a) => {
            const score = course.scores.get(u.id)?.get(a.id);
            return {
              id: u.id * 1000 + a.id,
              assignment_id: a.id,
              user_id: u.id,
              score: score ?? null,
              entered_score: score ?? null,
              grade: score === undefined ? null : String(score),
              workflow_state: score === undefined ? 'unsubmitted' : 'graded',
              excused: false,
              late: false,
              missing: false,
            };
          }),
        );
        return this.page(req, res, rows);
      }
      case '/outcome_rollups': {
        if (!need('view_all_grades')) return void unauthorized();
        const includeOutcomes = String(q['include[]'] ?? '').includes('outcomes');
        const rollups = course.students.map((u) => ({
          scores: [...(course.outcomeScores.get(u.id) ?? new Map<number, number>())].map(
            ([outcome, score]) => ({
              score,
              title: course.outcomes.find((o) => o.id === outcome)?.title,
              count: 1,
              links: { outcome: String(outcome) },
            }),
          ),
          links: { user: String(u.id), section: '1', status: 'active' },
        }));
        return this.page(req, res, rollups, (items, meta) => ({
          rollups: items,
          ...(includeOutcomes
            ? {
                linked: {
                  outcomes: course.outcomes.map((o) => ({
                    id: o.id,
                    title: o.title,
                    mastery_points: o.masteryPoints,
                    points_possible: o.pointsPossible,
                    calculation_method: 'highest',
                  })),
                },
              }
            : {}),
          meta,
        }));
      }
      case '/modules': {
        const studentId = q.student_id ? Number(q.student_id) : undefined;
        if (studentId !== undefined && !need('view_all_grades')) return void unauthorized();
        return this.page(
          req,
          res,
          course.modules.map((mod, i) => ({
            id: mod.id,
            name: mod.name,
            position: i + 1,
            unlock_at: null,
            require_sequential_progress: false,
            published: true,
            items_count: 1,
            items_url: `${this.url}/api/v1/courses/${course.id}/modules/${mod.id}/items`,
            ...(studentId !== undefined
              ? course.completedModules.get(studentId)?.has(mod.id)
                ? { state: 'completed', completed_at: '2026-11-01T10:00:00Z' }
                : { state: 'unlocked', completed_at: null }
              : {}),
          })),
        );
      }
      default:
        return void notFound();
    }
  }

  /** One page of `items` with Canvas's Link header (next, current, first, last). */
  private page<T>(
    req: Request,
    res: Response,
    items: T[],
    wrap?: (items: T[], meta: unknown) => unknown,
  ): void {
    const perPage = Math.min(100, Math.max(1, Number(req.query.per_page) || this.defaultPerPage));
    const page = Math.max(1, Number(req.query.page) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const url = new URL(`${this.url || `http://${req.get('host')}`}${req.originalUrl}`);
      url.searchParams.set('page', String(p));
      url.searchParams.set('per_page', String(perPage));
      return url.toString();
    };
    const rels = [
      ...(page < last ? [`<${link(page + 1)}>; rel="next"`] : []),
      `<${link(page)}>; rel="current"`,
      `<${link(1)}>; rel="first"`,
      `<${link(last)}>; rel="last"`,
    ];
    const slice = items.slice((page - 1) * perPage, page * perPage);
    res.set('Link', rels.join(','));
    res.json(
      wrap
        ? wrap(slice, { pagination: { page, per_page: perPage, count: items.length, page_count: last } })
        : slice,
    );
  }
}
