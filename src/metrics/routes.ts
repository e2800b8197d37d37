import { Router } from 'express';
import { sameToken } from '../web/csrf.js';
import { registry } from './metrics.js';

/**
 * `GET /metrics` in Prometheus text format, for a scraper holding METRICS_TOKEN (`Authorization: Bearer`). Without
 * the setting nothing is served: a process's numbers (queue depths, platforms, error rates) are not public.
 */
export function metricsRouter(token: string | undefined): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (!token)
      return void res.status(404).json({ error: 'not_found', message: 'metrics are off (METRICS_TOKEN)' });
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    if (!sameToken(given, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      return void res.status(401).json({ error: 'unauthorized', message: 'the metrics token is required' });
    }
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
