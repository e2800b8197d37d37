import { Router } from 'express';
import { checkReadiness, type ReadinessDeps } from './readiness.js';

/**
 * `/healthz`: the process is alive (no dependency checked, so a slow database never gets it restarted).
 * `/readyz`: the process can serve: MongoDB and Redis answer. `extra` adds process-specific facts.
 */
export function healthRouter(deps: ReadinessDeps, extra?: () => Promise<Record<string, unknown>>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(deps);
    const facts = extra ? await extra().catch(() => ({})) : {};
    res.status(readiness.ok ? 200 : 503).json({
      status: readiness.ok ? 'ready' : 'not ready',
      message: readiness.message,
      checks: readiness.checks,
      ...facts,
    });
  });
  return router;
}
