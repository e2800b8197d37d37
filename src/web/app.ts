import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { RedisClient } from '../queue/redis.js';
import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { loggablePath } from '../log/paths.js';
import { healthRouter } from '../health/routes.js';
import { createLti, ltiDisabledRouter, ltiRouter } from '../lti/index.js';
import { gradeSourceFactory, lmsApiSources } from '../grades/source-factory.js';
import { recordCanvasLaunchIds } from '../grades/canvas-ids.js';
import { gradeSourceRouter } from './routes/grade-sources.js';
import { installationVerification } from '../issuers/recognition.js';
import { storedPairVerifier } from '../credentials/stored-verification.js';
import { installationCredentialOps } from '../issuance/credential-ops.js';
import { courseLaunched } from '../issuance/queueing.js';
import { issuanceRouter } from '../issuance/routes.js';
import { parseEncryptionKey } from '../security/encryption.js';
import { publishedTemplateCatalog } from '../templates/catalog.js';
import type { Queues } from '../queue/queues.js';
import { errorHandler, notFound } from './errors.js';
import { rejectOperatorInjection } from './operator-guard.js';
import { createRateLimits } from './rate-limits.js';
import { credentialsRouter } from './routes/credentials.js';
import { walletRouter } from './routes/openid4vci.js';
import { installationDocumentLoader } from '../issuers/resolvers.js';
import { institutionsAdminRouter } from './routes/institutions.js';
import { adminScreensRouter } from '../ui/admin/routes.js';
import { publicScreensRouter } from '../ui/public-routes.js';
import { deepLinkPickerRouter } from '../ui/deep-link-routes.js';
import { instructorScreensRouter } from '../ui/instructor-routes.js';
import { learnerScreensRouter } from '../ui/learner-routes.js';
import { walletConsentRouter } from '../ui/wallet-consent-routes.js';
import { staticRouter } from '../ui/static-files.js';
import { metricsRouter } from '../metrics/routes.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  queues: Queues;
}

export function createApp({ config, logger, redis, queues }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(helmet({ hsts: config.PUBLIC_URL.startsWith('https:') }));
  app.use(
    pinoHttp({
      logger,
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      // Query strings can carry tokens (signed links, LTI parameters): log the path only, and without the
      // one-time tokens that registration and setup links carry in their path.
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({
          id: req.id,
          method: req.method,
          path: loggablePath(req.url),
        }),
        // The status only: a Location header can carry an authorization code and a wallet's state.
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  // Before any body is parsed: a client over its budget costs as little as possible.
  const limits = createRateLimits(config, redis, logger);
  app.post('/admin/login', limits.login);
  // A VC API exchange verifies a presentation (JSON-LD canonicalization): the verifiers' budget.
  app.post(
    ['/credentials/verify', '/presentations/verify', '/verify', '/wallet/exchanges/:exchangeId'],
    limits.verify,
  );
  // A stored credential's page and JSON verify both documents too (cached briefly): same budget.
  // Its files too: the certificate is a PDF made on each request, the baked pictures carry the whole credential.
  app.get(
    ['/credentials/:id', '/credentials/:id/verification', '/credentials/:id/files/:file'],
    limits.verify,
  );
  app.post(['/credentials/issue', '/credentials/status'], limits.vcApi);
  // The wallet endpoints (token, nonce, credential): each request a write, at the VC API's budget.
  app.post(
    [
      '/wallet/token',
      '/wallet/nonce',
      '/wallet/par',
      '/wallet/authorize',
      '/wallet/issuers/:issuerId/credential',
    ],
    limits.vcApi,
  );
  // A wallet offer page writes an offer and draws a QR code: the same budget.
  app.get(['/lti/me/wallet-offer', '/my/wallet-offer'], limits.vcApi);
  app.use(express.json({ limit: '256kb' }));
  app.use(rejectOperatorInjection);
  app.use(staticRouter());
  app.use(metricsRouter(config.METRICS_TOKEN));

  app.use(
    healthRouter({ redis, timeoutMs: config.READINESS_TIMEOUT_MS }, async () => ({
      workers: await queues.maintenance.getWorkersCount(),
    })),
  );

  if (config.KEY_ENCRYPTION_KEY) {
    const lti = createLti({
      config,
      logger,
      templates: publishedTemplateCatalog,
      onLaunch: async ({ platformId, deploymentId, courseId, claims }) => {
        await recordCanvasLaunchIds(platformId, deploymentId, claims);
        if (courseId) await courseLaunched(queues, courseId, config.SYNC_DEBOUNCE_MS);
      },
    });
    const kek = parseEncryptionKey(config.KEY_ENCRYPTION_KEY);
    const credentials = installationCredentialOps(config, kek, logger);
    app.use(walletRouter(config, kek, installationDocumentLoader(config.PUBLIC_URL.replace(/\/$/, ''))));
    const issuance = issuanceRouter({
      queues,
      sources: gradeSourceFactory(lti.serviceTokens, lmsApiSources(kek, lti.serviceTokens)),
      serviceTokens: lti.serviceTokens,
      credentials,
      auditRetentionDays: config.AUDIT_RETENTION_DAYS,
    });
    app.use(
      // Behind the launch session: the course dashboard and the learner's page (screens), then the course APIs.
      ltiRouter(
        lti,
        deepLinkPickerRouter(lti),
        instructorScreensRouter(lti),
        learnerScreensRouter(config, kek),
        walletConsentRouter(config, kek),
        issuance,
        gradeSourceRouter({ adminToken: config.ADMIN_API_TOKEN, encryptionKey: kek }),
      ),
    );
  } else {
    app.use(ltiDisabledRouter(logger));
  }

  // One verifier, so the page and the JSON of a credential share its cached result.
  const verifyStored = storedPairVerifier(installationVerification(config), config.VERIFY_CACHE_SECONDS);
  app.use(publicScreensRouter(config, { verifyStored }));
  app.use(adminScreensRouter(config, queues));
  app.use(credentialsRouter(config, { verifyStored }));
  app.use(institutionsAdminRouter(config));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
