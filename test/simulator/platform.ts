import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { FaultInjector } from './faults.js';

/**
 * An LTI 1.3 platform as a real HTTP server, shaped on Moodle 4.5 (URLs, answers and quirks recorded in
 * /work/shared/fixtures/moodle-4.5): OpenID configuration, dynamic registration (new tools Pending until
 * activated; the same tool URL again updates the existing tool), OIDC auth endpoint, JWKS, token endpoint
 * checking the tool's JWT assertion, AGS line items / results / scores with paging (only the tool's own line
 * items; 404 "Line item does not exist" otherwise; 400 "Incorrect score received" for non-gradable users),
 * NRPS with paging and Moodle's short role names, and a deep-linking return that verifies the tool's
 * signature. Courses, people, line items and grades are scripted through the methods below.
 */

export interface SimUser {
  id: string;
  name: string;
  givenName: string;
  familyName: string;
  email: string;
  username: string;
}

export interface SimCourse {
  id: string;
  label: string;
  title: string;
  members: Map<string, 'Instructor' | 'Learner'>;
}

export interface SimLineItem {
  id: number;
  courseId: string;
  /** The tool (client id) the item belongs to; undefined for the LMS's own gradebook items. */
  clientId?: string;
  label: string;
  scoreMaximum: number;
  resourceId: string;
  tag: string;
  resourceLinkId?: string;
  results: Map<string, { score: number; max: number; comment?: string }>;
}

export interface SimTool {
  clientId: string;
  typeId: number;
  deploymentId: string;
  status: 'pending' | 'active';
  registration: Record<string, unknown>;
  jwksUri: string;
  initiateLoginUri: string;
  redirectUris: string[];
  scopes: string[];
}

interface PendingAuth {
  clientId: string;
  userId: string;
  courseId: string;
  messageType: string;
  resourceLinkId: string;
}

export interface DeepLinkReturn {
  clientId: string;
  courseId: string;
  claims: JWTPayload & Record<string, unknown>;
}

const DR_TOKEN_TTL_S = 3600;

/** What a simulator needs to come back as the same platform (keys, registered tools), e.g. for the demo. */
export interface PlatformState {
  keys: { kid: string; privateJwk: JWK; publicJwk: JWK }[];
  tools: SimTool[];
  nextTypeId: number;
}

export class PlatformSimulator {
  url = '';
  readonly users = new Map<string, SimUser>();
  readonly courses = new Map<string, SimCourse>();
  readonly lineItems = new Map<number, SimLineItem>();
  readonly tools = new Map<string, SimTool>();
  /**
   * Whether deep-linking requests offer to create a line item with the link (`accept_lineitem`). Moodle 4.5
   * sends none, so it is off; Canvas-like platforms turn it on.
   */
  acceptLineItem = false;
  /**
   * Activities deep linking placed in a course, by resource link id: Moodle makes one per content item and
   * launches it with the item's title and custom parameters (as `credbridge_template_id`).
   */
  readonly activities = new Map<
    string,
    { courseId: string; title: string; custom: Record<string, string> }
  >();
  private nextActivityId = 100;
  /** Site administrators: Moodle launches them as Instructor with the institution and system Administrator roles. */
  readonly siteAdmins = new Set<string>();
  readonly deepLinkReturns: DeepLinkReturn[] = [];
  /** Access tokens handed out; clearing it makes every service call answer 401. */
  readonly accessTokens = new Map<string, { clientId: string; scopes: string[]; expiresAt: number }>();
  tokenRequests = 0;
  /** Failure switches: 500s, 429s, hangs, malformed pages (see faults.ts). */
  readonly faults = new FaultInjector();
  accessTokenTtlS = 3600;
  private keys: { kid: string; privateKey: CryptoKey; publicJwk: JWK }[] = [];
  private readonly messageHints = new Map<string, PendingAuth>();
  private readonly usedAssertions = new Set<string>();
  private server?: Server;
  private nextLineItemId = 100;
  private nextTypeId = 2;

  /** Listens on 127.0.0.1 at `port` (0: any free port); `state` restores an earlier run's keys and tools. */
  /** Steps the landing page shows first (the demo's "where to click"), as plain text. */
  private guide: string[] = [];

  async start(options: { port?: number; state?: PlatformState; guide?: string[] } = {}): Promise<this> {
    this.guide = options.guide ?? [];
    if (options.state) await this.importState(options.state);
    else await this.rotateKey();
    const app = express();
    app.use(express.urlencoded({ extended: false, limit: '1mb' }));
    app.use(express.json({ type: ['application/json', 'application/*+json'], limit: '1mb' }));
    app.use(this.faults.middleware);
    this.routes(app);
    this.humanPages(app);
    await new Promise<void>((resolve, reject) => {
      // express 5 hands a listen error (e.g. EADDRINUSE) to this callback.
      this.server = app.listen(options.port ?? 0, '127.0.0.1', (err?: Error) =>
        err ? reject(err) : resolve(),
      );
    });
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  get issuer(): string {
    return this.url;
  }
  get openIdConfigurationUrl(): string {
    return `${this.url}/mod/lti/openid-configuration.php`;
  }
  get authUrl(): string {
    return `${this.url}/mod/lti/auth.php`;
  }
  get tokenUrl(): string {
    return `${this.url}/mod/lti/token.php`;
  }
  get jwksUrl(): string {
    return `${this.url}/mod/lti/certs.php`;
  }

  // ---- scripting ----------------------------------------------------------------------------------

  addUser(id: string, name: string): SimUser {
    const [givenName = name, familyName = ''] = name.split(' ');
    const user = { id, name, givenName, familyName, email: `user${id}@example.com`, username: `user${id}` };
    this.users.set(id, user);
    return user;
  }

  addCourse(id: string, title: string, label = `C${id}`): SimCourse {
    const course = { id, title, label, members: new Map<string, 'Instructor' | 'Learner'>() };
    this.courses.set(id, course);
    return course;
  }

  enrol(courseId: string, userId: string, role: 'Instructor' | 'Learner'): void {
    if (!this.users.has(userId)) this.addUser(userId, `User ${userId}`);
    this.course(courseId).members.set(userId, role);
  }

  /** A gradebook item; with clientId it belongs to that tool, without it to the LMS (invisible to tools). */
  addLineItem(
    courseId: string,
    label: string,
    options: Partial<
      Pick<SimLineItem, 'clientId' | 'scoreMaximum' | 'resourceId' | 'tag' | 'resourceLinkId'>
    > = {},
  ): SimLineItem {
    const item: SimLineItem = {
      id: this.nextLineItemId++,
      courseId,
      label,
      scoreMaximum: options.scoreMaximum ?? 100,
      resourceId: options.resourceId ?? '',
      tag: options.tag ?? '',
      clientId: options.clientId,
      resourceLinkId: options.resourceLinkId,
      results: new Map(),
    };
    this.lineItems.set(item.id, item);
    return item;
  }

  grade(lineItemId: number, userId: string, score: number): void {
    const item = this.lineItems.get(lineItemId)!;
    item.results.set(userId, { score, max: item.scoreMaximum });
  }

  activateTool(clientId: string): void {
    this.tool(clientId).status = 'active';
  }

  /** A registration token as Moodle makes one: an RS256 JWT with scope "reg", valid for an hour. */
  async registrationToken(): Promise<string> {
    const key = this.keys[0]!;
    return new SignJWT({ scope: 'reg' })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setSubject(randomBytes(8).toString('hex'))
      .setIssuedAt()
      .setExpirationTime(`${DR_TOKEN_TTL_S}s`)
      .sign(key.privateKey);
  }

  /** The URL the LMS opens to start dynamic registration with a tool. */
  async registrationUrl(toolRegistrationUrl: string, token?: string): Promise<string> {
    const url = new URL(toolRegistrationUrl);
    url.searchParams.set('openid_configuration', this.openIdConfigurationUrl);
    url.searchParams.set('registration_token', token ?? (await this.registrationToken()));
    return url.toString();
  }

  async exportState(): Promise<PlatformState> {
    return {
      keys: await Promise.all(
        this.keys.map(async (k) => ({
          kid: k.kid,
          privateJwk: await exportJWK(k.privateKey),
          publicJwk: k.publicJwk,
        })),
      ),
      tools: [...this.tools.values()],
      nextTypeId: this.nextTypeId,
    };
  }

  private async importState(state: PlatformState): Promise<void> {
    this.keys = await Promise.all(
      state.keys.map(async (k) => ({
        kid: k.kid,
        privateKey: (await importJWK(k.privateJwk, 'RS256', { extractable: true })) as CryptoKey,
        publicJwk: k.publicJwk,
      })),
    );
    for (const tool of state.tools) this.tools.set(tool.clientId, tool);
    this.nextTypeId = state.nextTypeId;
  }

  /** New platform signing key; the old one leaves the JWKS (as after a key rotation in the LMS). */
  async rotateKey(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomBytes(10).toString('hex');
    this.keys = [
      { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } },
    ];
    return kid;
  }

  /** Signs arbitrary claims with the platform key (or with a given key / header), for tests of bad tokens. */
  async sign(
    claims: Record<string, unknown>,
    options: { kid?: string; key?: CryptoKey } = {},
  ): Promise<string> {
    const key = this.keys[0]!;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid, typ: 'JWT' })
      .sign(options.key ?? key.privateKey);
  }

  /**
   * The id_token claims Moodle sends for a launch (see fixtures id_token-*.json): sub = user id, context =
   * course, custom parameters, AGS and NRPS endpoints of the tool's type.
   */
  launchClaims(
    tool: SimTool,
    userId: string,
    courseId: string,
    messageType: string,
    resourceLinkId: string,
    nonce: string,
    redirectUri: string,
  ): Record<string, unknown> {
    const user = this.users.get(userId)!;
    const course = this.course(courseId);
    const admin = this.siteAdmins.has(userId);
    const role = course.members.get(userId) ?? (admin ? 'Instructor' : 'Learner');
    const now = Math.floor(Date.now() / 1000);
    const lti = 'https://purl.imsglobal.org/spec/lti/claim/';
    const services = `${this.url}/mod/lti/services.php`;
    const claims: Record<string, unknown> = {
      nonce,
      iat: now,
      exp: now + 60,
      iss: this.issuer,
      aud: tool.clientId,
      sub: userId,
      given_name: user.givenName,
      family_name: user.familyName,
      name: user.name,
      email: user.email,
      [`${lti}deployment_id`]: tool.deploymentId,
      [`${lti}target_link_uri`]: redirectUri,
      [`${lti}roles`]: [
        `http://purl.imsglobal.org/vocab/lis/v2/membership#${role}`,
        ...(admin
          ? [
              'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
              'http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator',
            ]
          : []),
      ],
      [`${lti}context`]: { id: course.id, label: course.label, title: course.title, type: ['CourseSection'] },
      [`${lti}message_type`]: messageType,
      [`${lti}version`]: '1.3.0',
      [`${lti}ext`]: { user_username: user.username, lms: 'moodle-2' },
      [`${lti}launch_presentation`]: {
        locale: 'en',
        document_target: 'iframe',
        return_url: `${this.url}/mod/lti/return.php?course=${course.id}`,
      },
      [`${lti}tool_platform`]: {
        product_family_code: 'moodle',
        version: '2024100706',
        guid: 'simulator',
        name: 'sim',
      },
      [`${lti}custom`]: { context_id: course.id },
      'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint': {
        scope: tool.scopes.filter((s) => s.includes('lti-ags')),
        lineitems: `${services}/${course.id}/lineitems?type_id=${tool.typeId}`,
      },
      'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': {
        context_memberships_url: `${services}/CourseSection/${course.id}/bindings/${tool.typeId}/memberships`,
        service_versions: ['1.0', '2.0'],
      },
    };
    if (messageType === 'LtiResourceLinkRequest') {
      const activity = this.activities.get(resourceLinkId);
      claims[`${lti}resource_link`] = {
        id: resourceLinkId,
        title: activity?.title ?? 'Credential activity',
        description: '',
      };
      if (activity) claims[`${lti}custom`] = { context_id: course.id, ...activity.custom };
    } else {
      claims['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] = {
        deep_link_return_url: `${this.url}/mod/lti/contentitem_return.php?course=${course.id}&id=${tool.typeId}`,
        accept_types: ['ltiResourceLink'],
        accept_presentation_document_targets: ['frame', 'iframe', 'window'],
        accept_copy_advice: false,
        accept_multiple: true,
        accept_unsigned: false,
        auto_create: false,
        can_confirm: false,
        ...(this.acceptLineItem ? { accept_lineitem: true } : {}),
        data: `sim-data-${course.id}`,
      };
    }
    return claims;
  }

  /**
   * What the LMS puts in the tool's login URL when someone opens the activity (third-party initiated login).
   */
  loginRequest(
    clientId: string,
    userId: string,
    courseId: string,
    messageType = 'LtiResourceLinkRequest',
    resourceLinkId = '1',
  ): { url: string; params: Record<string, string> } {
    const tool = this.tool(clientId);
    const hint = randomUUID();
    this.messageHints.set(hint, { clientId, userId, courseId, messageType, resourceLinkId });
    return {
      url: tool.initiateLoginUri,
      params: {
        iss: this.issuer,
        target_link_uri: String(
          (
            tool.registration['https://purl.imsglobal.org/spec/lti-tool-configuration'] as {
              target_link_uri: string;
            }
          ).target_link_uri,
        ),
        login_hint: userId,
        lti_message_hint: hint,
        client_id: clientId,
        lti_deployment_id: tool.deploymentId,
      },
    };
  }

  course(id: string): SimCourse {
    const course = this.courses.get(id);
    if (!course) throw new Error(`no course ${id}`);
    return course;
  }

  tool(clientId: string): SimTool {
    const tool = this.tools.get(clientId);
    if (!tool) throw new Error(`no tool ${clientId}`);
    return tool;
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  private routes(app: express.Express): void {
    app.get('/mod/lti/openid-configuration.php', async (req, res) => {
      if (!(await this.validRegistrationToken(req)))
        return void res.status(401).json({ error: 'invalid registration token' });
      res.json(this.openIdConfiguration());
    });

    app.post('/mod/lti/openid-registration.php', async (req, res) => {
      if (!(await this.validRegistrationToken(req))) return void res.status(401).send('Unauthorized');
      const body = req.body as Record<string, unknown>;
      const toolConfig = body['https://purl.imsglobal.org/spec/lti-tool-configuration'] as
        Record<string, unknown> | undefined;
      if (
        !toolConfig ||
        typeof body.initiate_login_uri !== 'string' ||
        !Array.isArray(body.redirect_uris) ||
        typeof body.jwks_uri !== 'string'
      ) {
        return void res.status(400).send('Invalid registration request');
      }
      const supported = new Set(this.openIdConfiguration().scopes_supported);
      const scopes = String(body.scope ?? '')
        .split(' ')
        .filter((s) => supported.has(s));
      // Moodle: the same tool URL registered again updates the existing tool and keeps its client id.
      let tool = [...this.tools.values()].find((t) => t.initiateLoginUri === body.initiate_login_uri);
      if (tool) {
        Object.assign(tool, {
          registration: body,
          jwksUri: body.jwks_uri,
          redirectUris: body.redirect_uris,
          scopes,
        });
      } else {
        const typeId = this.nextTypeId++;
        tool = {
          clientId: randomBytes(8).toString('base64url').slice(0, 15),
          typeId,
          deploymentId: String(typeId),
          status: 'pending',
          registration: body,
          jwksUri: body.jwks_uri as string,
          initiateLoginUri: body.initiate_login_uri as string,
          redirectUris: body.redirect_uris as string[],
          scopes,
        };
        this.tools.set(tool.clientId, tool);
      }
      res.json({
        client_id: tool.clientId,
        response_types: ['id_token'],
        jwks_uri: tool.jwksUri,
        initiate_login_uri: tool.initiateLoginUri,
        grant_types: ['client_credentials', 'implicit'],
        redirect_uris: tool.redirectUris,
        application_type: 'web',
        token_endpoint_auth_method: 'private_key_jwt',
        client_name: body.client_name,
        scope: scopes.join(' '),
        'https://purl.imsglobal.org/spec/lti-tool-configuration': {
          ...toolConfig,
          version: '1.3.0',
          deployment_id: tool.deploymentId,
        },
      });
    });

    app.get('/mod/lti/certs.php', (_req, res) => {
      res.json({ keys: this.keys.map((k) => k.publicJwk) });
    });

    app.get('/mod/lti/auth.php', async (req, res) => {
      const q = req.query as Record<string, string>;
      const pending = this.messageHints.get(q.lti_message_hint ?? '');
      const tool = this.tools.get(q.client_id ?? '');
      const error = (msg: string) => res.status(400).type('text').send(msg);
      if (
        q.scope !== 'openid' ||
        q.response_type !== 'id_token' ||
        q.response_mode !== 'form_post' ||
        !q.nonce ||
        !q.state
      )
        return void error('invalid_request');
      if (!tool || !pending || pending.clientId !== tool.clientId) return void error('invalid_client');
      if (tool.status !== 'active') return void error('The tool is not active (Pending)');
      if (!tool.redirectUris.includes(q.redirect_uri ?? '')) return void error('invalid_redirect_uri');
      if (q.login_hint !== pending.userId) return void error('invalid_login_hint');
      this.messageHints.delete(q.lti_message_hint!);
      const claims = this.launchClaims(
        tool,
        pending.userId,
        pending.courseId,
        pending.messageType,
        pending.resourceLinkId,
        q.nonce,
        q.redirect_uri!,
      );
      const idToken = await this.sign(claims);
      res.type('html').send(autoPost(q.redirect_uri!, { id_token: idToken, state: q.state }));
    });

    app.post('/mod/lti/token.php', async (req, res) => {
      this.tokenRequests++;
      const body = req.body as Record<string, string>;
      if (
        body.grant_type !== 'client_credentials' ||
        body.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
        !body.client_assertion
      ) {
        return void res.status(400).json({ error: 'invalid_request' });
      }
      const unverified = JSON.parse(
        Buffer.from(body.client_assertion.split('.')[1] ?? '', 'base64url').toString() || '{}',
      ) as { iss?: string };
      const tool = this.tools.get(unverified.iss ?? '');
      if (!tool || tool.status !== 'active') return void res.status(400).json({ error: 'invalid_client' });
      try {
        const { payload } = await jwtVerify(
          body.client_assertion,
          createRemoteJWKSet(new URL(tool.jwksUri)),
          {
            algorithms: ['RS256'],
            issuer: tool.clientId,
            subject: tool.clientId,
            audience: this.tokenUrl,
            requiredClaims: ['jti', 'exp', 'iat'],
          },
        );
        if (this.usedAssertions.has(String(payload.jti)))
          return void res.status(400).json({ error: 'invalid_grant' });
        this.usedAssertions.add(String(payload.jti));
      } catch {
        return void res.status(400).json({ error: 'invalid_client' });
      }
      const requested = String(body.scope ?? '')
        .split(' ')
        .filter(Boolean);
      const granted = requested.filter((s) => tool.scopes.includes(s));
      if (granted.length === 0) return void res.status(400).json({ error: 'invalid_scope' });
      const token = randomBytes(24).toString('hex');
      this.accessTokens.set(token, {
        clientId: tool.clientId,
        scopes: granted,
        expiresAt: Date.now() + this.accessTokenTtlS * 1000,
      });
      res.json({
        access_token: token,
        token_type: 'Bearer',
        expires_in: this.accessTokenTtlS,
        scope: granted.join(' '),
      });
    });

    const services = '/mod/lti/services.php';
    app.get(`${services}/:courseId/lineitems`, (req, res) => {
      const tool = this.authorize(req, res, ['lineitem', 'lineitem.readonly'], String(req.query.type_id));
      if (!tool) return;
      let items = [...this.lineItems.values()].filter(
        (i) => i.courseId === req.params.courseId && i.clientId === tool.clientId,
      );
      if (typeof req.query.resource_link_id === 'string')
        items = items.filter((i) => i.resourceLinkId === req.query.resource_link_id);
      if (typeof req.query.tag === 'string') items = items.filter((i) => i.tag === req.query.tag);
      if (typeof req.query.resource_id === 'string')
        items = items.filter((i) => i.resourceId === req.query.resource_id);
      this.page(
        req,
        res,
        items.map((i) => this.lineItemJson(i, tool)),
        'application/vnd.ims.lis.v2.lineitemcontainer+json',
        (list) => list,
      );
    });

    app.post(`${services}/:courseId/lineitems`, (req, res) => {
      const tool = this.authorize(req, res, ['lineitem'], String(req.query.type_id));
      if (!tool) return;
      const b = req.body as Record<string, unknown>;
      if (typeof b.label !== 'string' || typeof b.scoreMaximum !== 'number' || b.scoreMaximum <= 0)
        return void res.status(400).json({ status: 400, reason: 'Invalid line item' });
      const item = this.addLineItem(String(req.params.courseId), b.label, {
        clientId: tool.clientId,
        scoreMaximum: b.scoreMaximum,
        resourceId: typeof b.resourceId === 'string' ? b.resourceId : '',
        tag: typeof b.tag === 'string' ? b.tag : '',
        resourceLinkId: typeof b.resourceLinkId === 'string' ? b.resourceLinkId : undefined,
      });
      res
        .status(201)
        .type('application/vnd.ims.lis.v2.lineitem+json')
        .send(JSON.stringify(this.lineItemJson(item, tool)));
    });

    const ownItem = (req: Request, res: Response, tool: SimTool): SimLineItem | undefined => {
      const item = this.lineItems.get(Number(req.params.itemId));
      if (!item || item.clientId !== tool.clientId || item.courseId !== req.params.courseId) {
        res.status(404).json({
          status: 404,
          reason: 'Line item does not exist',
          request: { method: req.method, url: req.originalUrl },
        });
        return undefined;
      }
      return item;
    };

    app.get(`${services}/:courseId/lineitems/:itemId/lineitem`, (req, res) => {
      const tool = this.authorize(req, res, ['lineitem', 'lineitem.readonly'], String(req.query.type_id));
      const item = tool && ownItem(req, res, tool);
      if (item && tool)
        res
          .type('application/vnd.ims.lis.v2.lineitem+json')
          .send(JSON.stringify(this.lineItemJson(item, tool)));
    });

    app.get(`${services}/:courseId/lineitems/:itemId/lineitem/results`, (req, res) => {
      const tool = this.authorize(req, res, ['result.readonly'], String(req.query.type_id));
      const item = tool && ownItem(req, res, tool);
      if (!item || !tool) return;
      const base = `${this.url}${services}/${item.courseId}/lineitems/${item.id}/lineitem`;
      let results = [...item.results.entries()].map(([userId, r]) => ({
        id: `${base}/results/${userId}/result?type_id=${tool.typeId}`,
        scoreOf: `${base}?type_id=${tool.typeId}`,
        userId,
        resultScore: r.score,
        resultMaximum: r.max,
        ...(r.comment ? { comment: r.comment } : {}),
      }));
      if (typeof req.query.user_id === 'string')
        results = results.filter((r) => r.userId === req.query.user_id);
      this.page(req, res, results, 'application/vnd.ims.lis.v2.resultcontainer+json', (list) => list);
    });

    app.post(`${services}/:courseId/lineitems/:itemId/lineitem/scores`, (req, res) => {
      const tool = this.authorize(req, res, ['score'], String(req.query.type_id));
      const item = tool && ownItem(req, res, tool);
      if (!item) return;
      const b = req.body as Record<string, unknown>;
      const course = this.courses.get(item.courseId);
      // Moodle accepts scores only for gradable users (learners of the course).
      if (
        typeof b.userId !== 'string' ||
        course?.members.get(b.userId) !== 'Learner' ||
        typeof b.timestamp !== 'string' ||
        !b.activityProgress ||
        !b.gradingProgress
      ) {
        return void res.status(400).json({
          status: 400,
          reason: 'Incorrect score received',
          request: { method: 'POST', url: req.originalUrl },
        });
      }
      if (typeof b.scoreGiven === 'number') {
        const max = typeof b.scoreMaximum === 'number' ? b.scoreMaximum : item.scoreMaximum;
        item.results.set(b.userId, {
          score: (b.scoreGiven / max) * item.scoreMaximum,
          max: item.scoreMaximum,
          comment: typeof b.comment === 'string' ? b.comment : undefined,
        });
      }
      res.status(200).send('');
    });

    app.get(`${services}/CourseSection/:courseId/bindings/:typeId/memberships`, (req, res) => {
      const tool = this.authorize(req, res, ['contextmembership.readonly'], String(req.params.typeId));
      if (!tool) return;
      const course = this.courses.get(String(req.params.courseId));
      if (!course) return void res.status(404).json({ status: 404, reason: 'Not Found' });
      let members = [...course.members.entries()].map(([userId, role]) => {
        const u = this.users.get(userId)!;
        return {
          status: 'Active',
          roles: [role],
          user_id: userId,
          lis_person_sourcedid: '',
          name: u.name,
          given_name: u.givenName,
          family_name: u.familyName,
          email: u.email,
          ext_user_username: u.username,
        };
      });
      if (typeof req.query.role === 'string') {
        const role = req.query.role.replace(/^.*#/, '');
        members = members.filter((m) => (m.roles as string[]).includes(role));
      }
      const id = `${this.url}${req.path}`;
      this.page(req, res, members, 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json', (list) => ({
        id,
        context: { id: course.id, label: course.label, title: course.title },
        members: list,
      }));
    });

    app.post('/mod/lti/contentitem_return.php', async (req, res) => {
      const jwt = (req.body as Record<string, unknown>).JWT;
      if (typeof jwt !== 'string') return void res.status(400).type('text').send('Missing JWT');
      const unverified = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString() || '{}') as {
        iss?: string;
      };
      const tool = this.tools.get(unverified.iss ?? '');
      if (!tool) return void res.status(400).type('text').send('Unknown tool');
      try {
        const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(tool.jwksUri)), {
          algorithms: ['RS256'],
          issuer: tool.clientId,
          audience: this.issuer,
          requiredClaims: ['nonce', 'iat', 'exp'],
        });
        const lti = 'https://purl.imsglobal.org/spec/lti/claim/';
        if (
          payload[`${lti}message_type`] !== 'LtiDeepLinkingResponse' ||
          payload[`${lti}deployment_id`] !== tool.deploymentId ||
          payload[`${lti}version`] !== '1.3.0'
        ) {
          return void res.status(400).type('text').send('Invalid deep-linking response');
        }
        this.deepLinkReturns.push({
          clientId: tool.clientId,
          courseId: String(req.query.course),
          claims: payload as DeepLinkReturn['claims'],
        });
        const items = payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'];
        for (const item of Array.isArray(items) ? (items as Record<string, unknown>[]) : []) {
          if (item.type !== 'ltiResourceLink') continue;
          const custom = Object.fromEntries(
            Object.entries((item.custom ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
          );
          this.activities.set(String(this.nextActivityId++), {
            courseId: String(req.query.course),
            title: typeof item.title === 'string' ? item.title : 'Credbridge',
            custom,
          });
        }
        res.type('html').send('<p>Content added</p>');
      } catch (err) {
        res
          .status(400)
          .type('text')
          .send(`Invalid signature: ${(err as Error).message}`);
      }
    });
  }

  /**
   * Pages for a person in a browser: `/` lists the courses with their people and grades, each with a
   * "Launch as <name>" link; `/launch` performs the LMS side of opening the tool's activity (third-party
   * initiated login) for that person with the first active tool.
   */
  private humanPages(app: express.Express): void {
    const esc = (v: unknown) =>
      String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    app.get('/', (_req, res) => {
      const tool = [...this.tools.values()].find((t) => t.status === 'active');
      const courses = [...this.courses.values()].map((course) => {
        const items = [...this.lineItems.values()].filter((i) => i.courseId === course.id);
        const head = items.map((i) => `<th>${esc(i.label)} (/${i.scoreMaximum})</th>`).join('');
        const rows = [...course.members].map(([userId, role]) => {
          const user = this.users.get(userId)!;
          const grades = items.map((i) => `<td>${esc(i.results.get(userId)?.score ?? '–')}</td>`).join('');
          const launch = tool
            ? `<a href="/launch?course=${encodeURIComponent(course.id)}&amp;user=${encodeURIComponent(userId)}">Launch as ${esc(user.name)}</a>`
            : '';
          return `<tr><td>${esc(user.name)}</td><td>${role}</td>${grades}<td>${launch}</td></tr>`;
        });
        return (
          `<h2>${esc(course.title)} (${esc(course.label)})</h2>` +
          `<table><thead><tr><th>Name</th><th>Role</th>${head}<th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`
        );
      });
      res
        .type('html')
        .send(
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LTI platform simulator</title>` +
            `<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}` +
            `td,th{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:left}</style></head><body>` +
            `<h1>LTI platform simulator</h1><p>Behaves like Moodle 4.5 towards the tool. ` +
            (tool ? 'Open the tool as any person below.' : 'No tool is registered and active yet.') +
            `</p>${
              this.guide.length
                ? `<section aria-labelledby="guide"><h2 id="guide">Start here</h2><ol>${this.guide
                    .map((step) => `<li>${esc(step)}</li>`)
                    .join('')}</ol></section>`
                : ''
            }${courses.join('')}</body></html>`,
        );
    });
    app.get('/launch', (req, res) => {
      const tool = [...this.tools.values()].find((t) => t.status === 'active');
      const courseId = String(req.query.course ?? '');
      const userId = String(req.query.user ?? '');
      if (!tool || !this.courses.get(courseId)?.members.has(userId))
        return void res.status(404).type('text').send('No such person in this course, or no active tool');
      const { url, params } = this.loginRequest(tool.clientId, userId, courseId);
      res.redirect(302, `${url}?${new URLSearchParams(params)}`);
    });
  }

  private openIdConfiguration() {
    return {
      issuer: this.issuer,
      token_endpoint: this.tokenUrl,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256'],
      jwks_uri: this.jwksUrl,
      authorization_endpoint: this.authUrl,
      registration_endpoint: `${this.url}/mod/lti/openid-registration.php`,
      scopes_supported: [
        'https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome',
        'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
        'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
        'https://purl.imsglobal.org/spec/lti-ags/scope/score',
        'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
        'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
        'https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting',
        'openid',
      ],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'iss', 'name', 'given_name', 'family_name', 'email'],
      'https://purl.imsglobal.org/spec/lti-platform-configuration': {
        product_family_code: 'moodle',
        version: '4.5.6 (Build: 20250811)',
        messages_supported: [
          { type: 'LtiResourceLinkRequest' },
          { type: 'LtiDeepLinkingRequest', placements: ['ContentArea'] },
        ],
      },
    };
  }

  private async validRegistrationToken(req: Request): Promise<boolean> {
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    if (!token) return false;
    try {
      const { payload } = await jwtVerify(
        token,
        createLocalJWKSet({ keys: this.keys.map((k) => k.publicJwk) }),
        { algorithms: ['RS256'] },
      );
      return payload.scope === 'reg';
    } catch {
      return false;
    }
  }

  /** Bearer token check: known, unexpired, holding one of `scopes` (short forms), for the tool of `typeId`. */
  private authorize(req: Request, res: Response, scopes: string[], typeId: string): SimTool | undefined {
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const grant = this.accessTokens.get(token);
    if (!grant || grant.expiresAt < Date.now()) {
      res.status(401).json({ status: 401, reason: 'Unauthorized' });
      return undefined;
    }
    const tool = this.tools.get(grant.clientId);
    if (
      !tool ||
      String(tool.typeId) !== typeId ||
      !grant.scopes.some((s) => scopes.some((short) => s.endsWith(`/scope/${short}`)))
    ) {
      res.status(403).json({ status: 403, reason: 'Forbidden' });
      return undefined;
    }
    return tool;
  }

  private lineItemJson(item: SimLineItem, tool: SimTool) {
    return {
      id: `${this.url}/mod/lti/services.php/${item.courseId}/lineitems/${item.id}/lineitem?type_id=${tool.typeId}`,
      label: item.label,
      scoreMaximum: item.scoreMaximum,
      resourceId: item.resourceId,
      tag: item.tag,
      ...(item.resourceLinkId ? { resourceLinkId: item.resourceLinkId, ltiLinkId: item.resourceLinkId } : {}),
    };
  }

  /** `limit` / `from` paging with a Link rel="next" header, as Moodle's services do. */
  private page<T>(req: Request, res: Response, all: T[], type: string, wrap: (list: T[]) => unknown): void {
    const limit = Math.max(1, Math.min(Number(req.query.limit) || all.length || 1, 1000));
    const from = Math.max(0, Number(req.query.from) || 0);
    const slice = all.slice(from, from + limit);
    if (from + limit < all.length) {
      const next = new URL(`${this.url}${req.originalUrl}`);
      next.searchParams.set('limit', String(limit));
      next.searchParams.set('from', String(from + limit));
      res.setHeader('Link', `<${next.toString()}>; rel="next"`);
    }
    res.type(type).send(JSON.stringify(wrap(slice)));
  }
}

function autoPost(action: string, fields: Record<string, string>): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  return `<!doctype html><form method="post" action="${esc(action)}">${inputs}</form><script>document.forms[0].submit()</script>`;
}
