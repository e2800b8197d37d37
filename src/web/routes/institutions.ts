import { Router } from 'express';
import { z, ZodError } from 'zod';
import type { Config } from '../../config/env.js';
import { recordAudit } from '../../db/models/audit-event.js';
import {
  InstitutionConflictError,
  createInstitution,
  institutionInputSchema,
  listInstitutions,
} from '../../institutions/institutions.js';
import { requireEncryptionKey } from '../../security/encryption.js';
import { AccountError, USERNAME, findAccount, inviteAdminUser } from '../../accounts/accounts.js';
import { setupUrl } from '../../accounts/setup-link.js';
import { HttpError } from '../errors.js';
import { requireAdminToken } from './admin-token.js';

const createBody = institutionInputSchema.extend({
  /** The first administrator: gets a one-time link to choose a password. */
  admin: z.strictObject({ username: z.string().trim().toLowerCase().regex(USERNAME) }).optional(),
});

function invalid(err: ZodError): never {
  const fields = err.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
  throw new HttpError(400, 'invalid_input', fields.map((f) => `${f.path}: ${f.message}`).join('; '), fields);
}

/**
 * The operator's admin API for institutions (Bearer ADMIN_API_TOKEN):
 *   GET  /api/admin/institutions
 *   POST /api/admin/institutions  {id, profile, rootDid?, settings?, admin?: {username}}
 * Creating one makes its issuer (did:web and first key) and, with `admin`, its first administrator with a
 * one-time setup link in the answer.
 */
export function institutionsAdminRouter(config: Config): Router {
  const router = Router();
  const guard = requireAdminToken(config.ADMIN_API_TOKEN);
  const base = '/api/admin/institutions';

  router.get(base, guard, async (_req, res) => {
    res.json({ institutions: await listInstitutions() });
  });

  router.post(base, guard, async (req, res) => {
    const parsed = createBody.safeParse(req.body ?? {});
    if (!parsed.success) invalid(parsed.error);
    const { admin, ...input } = parsed.data;
    let kek: Buffer;
    try {
      kek = requireEncryptionKey(config);
    } catch (err) {
      throw new HttpError(503, 'signing_unavailable', (err as Error).message);
    }
    // The username is checked first, so a taken one leaves no institution half made.
    if (admin && (await findAccount(admin.username)))
      throw new HttpError(409, 'conflict', `admin.username: "${admin.username}" is already taken`);
    try {
      const { institution, issuer } = await createInstitution(input, { publicUrl: config.PUBLIC_URL, kek });
      const invited = admin ? await inviteAdminUser(admin.username, institution._id) : undefined;
      await recordAudit(
        {
          actor: { kind: 'admin', id: 'admin-api' },
          action: 'institution.create',
          target: { kind: 'institution', id: institution._id },
          details: { did: issuer.did, ...(admin ? { admin: admin.username } : {}) },
        },
        config.AUDIT_RETENTION_DAYS,
      );
      res.status(201).json({
        institution,
        issuer: { id: issuer._id, did: issuer.did },
        ...(invited
          ? { admin: { username: admin!.username, setupUrl: setupUrl(config.PUBLIC_URL, invited.token) } }
          : {}),
      });
    } catch (err) {
      if (err instanceof ZodError) invalid(err);
      if (err instanceof InstitutionConflictError) throw new HttpError(409, 'conflict', err.message);
      if (err instanceof AccountError) throw new HttpError(409, 'conflict', err.message);
      throw err;
    }
  });
  return router;
}
