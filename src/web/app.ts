import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { healthRouter } from '../health/routes.js';
import { createLtiRouter } from '../lti/index.js';
import type { Queues } from '../queue/queues.js';
import { errorHandler, notFound } from './errors.js';
import { rejectOperatorInjection } from './operator-guard.js';
import { credentialsRouter } from './routes/credentials.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
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
      // Query strings can carry tokens (signed links, LTI parameters): log the path only.
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
      },
    }),
  );
  app.use(express.json({ limit: '256kb' }));
  app.use(rejectOperatorInjection);

  app.use(
    healthRouter({ redis, timeoutMs: config.READINESS_TIMEOUT_MS }, async () => ({
      workers: await queues.maintenance.getWorkersCount(),
    })),
  );

  app.use(createLtiRouter(config, logger));

  app.use(credentialsRouter(config));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
