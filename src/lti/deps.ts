import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import type { PlatformJwks } from './platform-jwks.js';
import type { ServiceTokens } from './service-token.js';
import type { CookiePolicy } from './session.js';
import type { TemplateCatalog } from './template-catalog.js';
import type { ToolKeys } from './tool-keys.js';

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
}
