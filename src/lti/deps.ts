import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import type { PlatformJwks } from './platform-jwks.js';
import type { ServiceTokens } from './service-token.js';
import type { CookiePolicy } from '../web/cookies.js';
import type { TemplateCatalog } from './template-catalog.js';
import type { ToolKeys } from './tool-keys.js';

/** A launch that passed every check: where it came from and its validated id_token claims. */
export interface AcceptedLaunch {
  platformId: string;
  deploymentId: string;
  /** The tool's course record (LtiCourse id), when the launch came from a course. */
  courseId?: string;
  claims: Record<string, unknown>;
}

/** Everything the LTI routes share; built once per process by createLti(). */
export interface LtiDeps {
  config: Config;
  logger: Logger;
  publicUrl: string;
  toolKeys: ToolKeys;
  platformJwks: PlatformJwks;
  serviceTokens: ServiceTokens;
  templates: TemplateCatalog;
  cookies: CookiePolicy;
  sessionTtlMs: number;
  /** Called after every accepted launch (grade sync, LMS id links hook in here); failures are only logged. */
  onLaunch?: (launch: AcceptedLaunch) => Promise<void>;
}
