import { verifications } from '../../metrics/metrics.js';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Config } from '../../config/env.js';
import { ApiStatusEntry } from '../../credentials/api-status-model.js';
import { changeStatus, findCredential } from '../../credentials/credential-store.js';
import { credentialProblems } from '../../credentials/input-checks.js';
import { signCredential } from '../../credentials/signer.js';
import { allocateStatusEntry, statusListCredential } from '../../credentials/status-lists.js';
import { statusEntry } from '../../credentials/status-entry.js';
import { onlyDuplicateKeys } from '../../db/duplicate-key.js';
import { storedPairVerifier, type StoredPairVerifier } from '../../credentials/stored-verification.js';
import { verifyPresentation } from '../../credentials/presentation-verifier.js';
import { relatedResourceProblems } from '../../credentials/related-resources.js';
import { errorMessage, issuerWarnings, verifyCredential } from '../../credentials/verifier.js';
import { cachedDefaultIssuer, cachedIssuer } from '../../issuers/issuer-cache.js';
import { issuerDidDocument, signingIssuer } from '../../issuers/issuers.js';
import { requireEncryptionKey } from '../../security/encryption.js';
import { installationVerification } from '../../issuers/recognition.js';
import { publicReadCors } from '../cors.js';
import { HttpError } from '../errors.js';
import { requireAdminToken } from './admin-token.js';
import { randomUUID } from 'node:crypto';

const issueBody = z.strictObject({
  credential: z.record(z.string(), z.unknown()),
  options: z
    .strictObject({
      issuerId: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{1,62}$/)
        .optional(),
      credentialStatus: z.strictObject({ type: z.literal('BitstringStatusListEntry') }).optional(),
    })
    .optional(),
});
const verifyBody = z.strictObject({
  verifiableCredential: z.unknown(),
  options: z.record(z.string(), z.unknown()).optional(),
});
const verifyPresentationBody = z.strictObject({
  verifiablePresentation: z.unknown(),
  options: z
    .object({
      challenge: z.string().min(1).max(500).optional(),
      domain: z.string().min(1).max(500).optional(),
    })
    .optional(),
});
const statusBody = z.strictObject({
  credentialId: z.string().min(1).max(2000),
  credentialStatus: z
    .array(
      z.strictObject({
        type: z.literal('BitstringStatusListEntry'),
        statusPurpose: z.enum(['revocation', 'suspension']),
        status: z.boolean(),
      }),
    )
    .min(1),
});

function parseBody<T>(schema: z.ZodType<T>, req: Request): T {
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => ({
      field: i.path.join('.') || '(body)',
      message: i.message,
    }));
    throw new HttpError(400, 'invalid_input', fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
      fields,
    });
  }
  return parsed.data;
}

/**
 * The W3C CCG VC API (issue, verify, status), this installation's did:web documents, its status list
 * credentials and a public verification endpoint per stored credential.
 */
export function credentialsRouter(config: Config, deps: { verifyStored?: StoredPairVerifier } = {}): Router {
  const router = Router();
  const verification = installationVerification(config);
  const loader = verification.documentLoader;
  const verifyStored = deps.verifyStored ?? storedPairVerifier(verification, config.VERIFY_CACHE_SECONDS);
  const admin = requireAdminToken(config.ADMIN_API_TOKEN);

  // Read when signing, so an installation without KEY_ENCRYPTION_KEY still serves DIDs, lists and verification.
  const kek = () => {
    try {
      return requireEncryptionKey(config);
    } catch (err) {
      throw new HttpError(503, 'signing_unavailable', (err as Error).message);
    }
  };

  async function issuerFor(id: string | undefined) {
    const issuer = id ? await cachedIssuer(id) : await cachedDefaultIssuer();
    if (!issuer)
      throw new HttpError(404, 'issuer_not_found', id ? `No issuer "${id}"` : 'No default issuer is set up');
    return issuer;
  }

  router.get('/.well-known/did.json', publicReadCors, async (_req, res) => {
    const issuer = await cachedDefaultIssuer();
    if (!issuer) throw new HttpError(404, 'not_found', 'No default issuer is set up');
    res.type('application/did+json').send(JSON.stringify(issuerDidDocument(issuer)));
  });

  router.get('/issuers/:id/did.json', publicReadCors, async (req, res) => {
    const issuer = await cachedIssuer(String(req.params.id));
    if (!issuer || issuer.isDefault) throw new HttpError(404, 'not_found', 'No such issuer');
    res.type('application/did+json').send(JSON.stringify(issuerDidDocument(issuer)));
  });

  router.get('/status-lists/:id', publicReadCors, async (req, res) => {
    const id = String(req.params.id);
    const credential = /^[0-9a-f-]{36}$/.test(id) ? await statusListCredential(id) : undefined;
    if (!credential) throw new HttpError(404, 'not_found', 'No such status list');
    res.set('cache-control', 'public, max-age=300').json(credential);
  });

  router.get('/credentials/:id/:format', publicReadCors, async (req, res) => {
    const [id, format] = [String(req.params.id), String(req.params.format)];
    const stored = await findCredential(id);
    if (!stored) throw new HttpError(404, 'not_found', 'No such credential');
    if (format === 'ob3' || format === 'elm') {
      res.json(stored[format]);
      return;
    }
    if (format !== 'verification') throw new HttpError(404, 'not_found', 'Use ob3, elm or verification');
    const { verified, verdict, issuer, ob3, elm } = await verifyStored(stored);
    verifications.inc({ kind: 'stored', verdict });
    res.json({ id, verified, verdict, issuer, issuedAt: stored.issuedAt, ob3, elm });
  });

  router.post('/credentials/issue', admin, async (req, res) => {
    const { credential, options } = parseBody(issueBody, req);
    const issuer = await signingIssuer(await issuerFor(options?.issuerId), kek());
    const unsigned: Record<string, unknown> = { ...credential };
    if ('proof' in unsigned)
      throw new HttpError(400, 'invalid_input', 'credential.proof: must not be present');
    // The credential names its issuer (VC Data Model 2.0: issuer is required); it is never filled in, since an
    // issuer object's name would be lost with it, but it must be the issuer that signs.
    const given = unsigned.issuer;
    const givenId =
      typeof given === 'object' && given && !Array.isArray(given) ? (given as { id?: unknown }).id : given;
    if (typeof givenId === 'string' && givenId !== issuer.did) {
      throw new HttpError(400, 'invalid_input', `credential.issuer: must be this issuer's DID ${issuer.did}`);
    }
    // An id left out is made here; one given must be a URL (null included: credentialProblems says so).
    if (!('id' in unsigned)) unsigned.id = `urn:uuid:${randomUUID()}`;
    if (options?.credentialStatus && 'credentialStatus' in unsigned) {
      throw new HttpError(
        400,
        'invalid_input',
        'credential.credentialStatus: leave it out when options.credentialStatus asks for an entry',
      );
    }
    const problems = credentialProblems(unsigned);
    if (problems.length) {
      throw new HttpError(400, 'invalid_credential', problems.map((p) => `credential.${p}`).join('; '), {
        problems,
      });
    }
    // VC Data Model 2.0 §5.3: a related resource's digest must be the resource's, or the issuer vouches for nothing.
    if (unsigned.relatedResource !== undefined) {
      const related = verification.fetchResource
        ? await relatedResourceProblems(unsigned, verification.fetchResource)
        : [];
      if (related.length) {
        throw new HttpError(400, 'invalid_credential', related.map((p) => `credential.${p}`).join('; '), {
          problems: related,
        });
      }
    }
    const credentialId = unsigned.id as string; // a URL: credentialProblems said so
    if (options?.credentialStatus) {
      const ref = await allocateStatusEntry(issuer, config.PUBLIC_URL, loader);
      unsigned.credentialStatus = statusEntry(ref);
      // Remembered by the credential's id, so POST /credentials/status can change it later.
      try {
        await ApiStatusEntry.create({
          _id: credentialId,
          issuerId: issuer.id,
          purpose: ref.statusPurpose,
          listId: ref.statusListCredential.split('/').pop()!,
          index: ref.statusListIndex,
        });
      } catch (err) {
        if (!onlyDuplicateKeys(err)) throw err;
        throw new HttpError(
          409,
          'conflict',
          `credential.id: a credential with id "${credentialId}" was already issued with a status entry`,
        );
      }
    }
    let signed: Record<string, unknown>;
    try {
      signed = await signCredential(unsigned, issuer.key, loader);
    } catch (err) {
      if (options?.credentialStatus) await ApiStatusEntry.deleteOne({ _id: credentialId });
      throw new HttpError(400, 'invalid_credential', `credential could not be signed: ${errorMessage(err)}`);
    }
    res.status(201).json({ verifiableCredential: signed });
  });

  router.post('/credentials/verify', async (req, res) => {
    const { verifiableCredential } = parseBody(verifyBody, req);
    const result = await verifyCredential(verifiableCredential, verification);
    verifications.inc({ kind: 'credential', verdict: result.verdict });
    const errors = result.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.message}`);
    res.status(result.verified ? 200 : 400).json({
      verified: result.verified,
      verdict: result.verdict,
      issuer: result.issuer ?? null,
      checks: result.checks.map((c) => c.check), // every check that ran, failed ones included (see results)
      results: result.checks,
      warnings: issuerWarnings(result.issuer),
      errors,
    });
  });

  router.post('/presentations/verify', async (req, res) => {
    const { verifiablePresentation, options } = parseBody(verifyPresentationBody, req);
    const result = await verifyPresentation(verifiablePresentation, { ...verification, ...options });
    verifications.inc({ kind: 'presentation', verdict: result.verdict });
    const errors = [
      ...result.checks.filter((c) => !c.ok).map((c) => `presentation ${c.check}: ${c.message}`),
      ...result.credentials.flatMap((r, i) =>
        r.checks.filter((c) => !c.ok).map((c) => `verifiableCredential[${i}] ${c.check}: ${c.message}`),
      ),
    ];
    res.status(result.verified ? 200 : 400).json({
      verified: result.verified,
      verdict: result.verdict,
      holder: result.holder ?? null,
      presentationResult: { checks: result.checks },
      credentialResults: result.credentials.map((r) => ({
        verified: r.verified,
        verdict: r.verdict,
        format: r.format,
        issuer: r.issuer ?? null,
        results: r.checks,
        warnings: issuerWarnings(r.issuer),
      })),
      warnings: result.warnings,
      errors,
    });
  });

  router.post('/credentials/status', admin, async (req, res) => {
    const body = parseBody(statusBody, req);
    // An award this installation stored, or a credential issued through POST /credentials/issue with a status.
    const stored = await findCredential(body.credentialId);
    const fromApi = stored ? undefined : await ApiStatusEntry.findById(body.credentialId).lean();
    const found = stored ?? fromApi;
    if (!found) throw new HttpError(404, 'not_found', `credentialId: no credential "${body.credentialId}"`);
    const entries = stored ? stored.status : [fromApi!];
    const issuer = await signingIssuer(await issuerFor(found.issuerId), kek());
    for (const change of body.credentialStatus) {
      await changeStatus(entries, change.statusPurpose, change.status, issuer, config.PUBLIC_URL, loader);
    }
    res.status(200).json({ credentialId: body.credentialId, credentialStatus: body.credentialStatus });
  });

  return router;
}
