import { Router } from 'express';
import { isValidObjectId } from 'mongoose';
import { ZodError } from 'zod';
import { HttpError } from '../web/errors.js';
import { requireAdminToken } from '../web/routes/admin-token.js';
import { LtiPlatform } from './models.js';
import { institutionIdSchema, findInstitution } from '../institutions/institutions.js';
import {
  PlatformConflictError,
  platformInputSchema,
  platformView,
  registerPlatform,
  updatePlatform,
} from './platforms.js';

/** A manual registration through the admin API names the institution the platform joins. */
const adminPlatformInput = platformInputSchema.extend({ institutionId: institutionIdSchema });

/**
 * The operator's admin API for platforms: manual registration into a named institution (LMSs without dynamic
 * registration, Canvas developer keys), listing, activating / disabling, adding deployments, across every
 * institution. Bearer ADMIN_API_TOKEN; without it the API is closed.
 */
export function platformAdminRouter(adminToken: string | undefined): Router {
  const router = Router();
  const guard = requireAdminToken(adminToken);
  const base = '/api/admin/lti/platforms';
  const badInput = (err: unknown): never => {
    if (err instanceof ZodError) {
      throw new HttpError(
        400,
        'invalid_input',
        'Invalid platform',
        err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    }
    if (err instanceof PlatformConflictError) throw new HttpError(409, 'conflict', err.message);
    throw err;
  };

  router.get(base, guard, async (_req, res) => {
    const platforms = await LtiPlatform.find().sort({ createdAt: 1 });
    res.json({ platforms: platforms.map(platformView) });
  });
  router.post(base, guard, async (req, res) => {
    const parsed = adminPlatformInput.safeParse(req.body ?? {});
    if (!parsed.success) badInput(parsed.error);
    const { institutionId, ...input } = parsed.data!;
    if (!(await findInstitution(institutionId)))
      throw new HttpError(400, 'invalid_input', `institutionId: no institution "${institutionId}"`, [
        { path: 'institutionId', message: `no institution "${institutionId}"` },
      ]);
    const platform = await registerPlatform(institutionId, input).catch(badInput);
    res.status(201).json(platformView(platform));
  });
  router.patch(`${base}/:id`, guard, async (req, res) => {
    const id = String(req.params.id);
    if (!isValidObjectId(id)) throw new HttpError(404, 'not_found', 'No such platform');
    const platform = await updatePlatform(undefined, id, req.body).catch(badInput);
    if (!platform) throw new HttpError(404, 'not_found', 'No such platform');
    res.json(platformView(platform));
  });
  return router;
}
