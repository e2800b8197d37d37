import { z } from 'zod';
import { LtiPlatform, type PlatformDoc } from './models.js';
import { TOOL_SCOPES } from './constants.js';

const httpUrl = z.url({ protocol: /^https?$/ });

/** Manual registration input: what an LMS admin copies from the LMS (Canvas developer key, Blackboard, ...). */
export const platformInputSchema = z.strictObject({
  issuer: httpUrl,
  clientId: z.string().min(1).max(255),
  name: z.string().max(200).optional(),
  authLoginUrl: httpUrl,
  tokenUrl: httpUrl,
  tokenAudience: httpUrl.optional(),
  jwksUrl: httpUrl,
  deploymentIds: z.array(z.string().min(1).max(255)).min(1),
  status: z.enum(['pending', 'active', 'disabled']).optional(),
});
export type PlatformInput = z.input<typeof platformInputSchema>;

export const platformUpdateSchema = z.strictObject({
  name: z.string().max(200).optional(),
  status: z.enum(['pending', 'active', 'disabled']).optional(),
  addDeploymentIds: z.array(z.string().min(1).max(255)).optional(),
  removeDeploymentIds: z.array(z.string().min(1).max(255)).optional(),
});

export class PlatformConflictError extends Error {}

/**
 * Adds a platform of an institution by hand (its administrator's console form, the operator's admin API).
 * Refuses a second registration of the same issuer and client id rather than silently changing where its keys
 * come from, or which institution it signs for.
 */
export async function registerPlatform(institutionId: string, input: PlatformInput): Promise<PlatformDoc> {
  const data = platformInputSchema.parse(input);
  const existing = await LtiPlatform.findOne({ issuer: data.issuer, clientId: data.clientId });
  if (existing)
    throw new PlatformConflictError(
      `Platform ${data.issuer} with client id ${data.clientId} is already registered`,
    );
  return LtiPlatform.create({
    ...data,
    institutionId,
    toolKeyScope: institutionId,
    name: data.name ?? new URL(data.issuer).host,
    tokenAudience: data.tokenAudience ?? '',
    deploymentIds: [...new Set(data.deploymentIds)],
    status: data.status ?? 'active',
    registeredBy: 'manual',
    scopes: TOOL_SCOPES,
  });
}

/**
 * Changes a platform: of the given institution only (`institutionId`), or any (the operator's admin API,
 * `institutionId: undefined`). A platform of another institution is "not found", like one that does not exist.
 */
export async function updatePlatform(
  institutionId: string | undefined,
  id: string,
  input: z.input<typeof platformUpdateSchema>,
): Promise<PlatformDoc | null> {
  const data = platformUpdateSchema.parse(input);
  const filter = { _id: id, ...(institutionId ? { institutionId } : {}) };
  const set: Record<string, unknown> = {};
  if (data.name !== undefined) set.name = data.name;
  if (data.status !== undefined) set.status = data.status;
  const update: Record<string, unknown> = { $set: set };
  // Two updates, each single-document and atomic: MongoDB cannot $addToSet and $pull one field at once.
  // $pullAll rather than $pull with $in: FerretDB does not take a condition in $pull.
  if (data.addDeploymentIds?.length) update.$addToSet = { deploymentIds: { $each: data.addDeploymentIds } };
  let doc = await LtiPlatform.findOneAndUpdate(filter, update, { returnDocument: 'after' });
  if (doc && data.removeDeploymentIds?.length) {
    doc = await LtiPlatform.findOneAndUpdate(
      filter,
      { $pullAll: { deploymentIds: data.removeDeploymentIds } },
      { returnDocument: 'after' },
    );
  }
  return doc;
}

/** The platform a login names: by issuer and client id, or by issuer alone when only one is registered. */
export async function findPlatformForLogin(
  issuer: string,
  clientId: string | undefined,
): Promise<PlatformDoc | null> {
  if (clientId) return LtiPlatform.findOne({ issuer, clientId });
  const candidates = await LtiPlatform.find({ issuer }).limit(2);
  return candidates.length === 1 ? (candidates[0] ?? null) : null;
}

/** What the admin API shows of a platform (nothing secret is stored on it, but keep the shape explicit). */
export function platformView(p: PlatformDoc) {
  return {
    id: p.id as string,
    institutionId: p.institutionId,
    issuer: p.issuer,
    clientId: p.clientId,
    name: p.name,
    productFamily: p.productFamily,
    authLoginUrl: p.authLoginUrl,
    tokenUrl: p.tokenUrl,
    tokenAudience: p.tokenAudience,
    jwksUrl: p.jwksUrl,
    deploymentIds: p.deploymentIds,
    status: p.status,
    registeredBy: p.registeredBy,
    toolKeyScope: p.toolKeyScope,
  };
}

/**
 * The origins a platform's access tokens may go to: those of its registered endpoints and those its signed
 * launches named for AGS and NRPS. A URL anywhere else (a line item typed by someone, a paging link to
 * another host) never receives a token.
 */
export function platformOrigins(p: {
  issuer: string;
  authLoginUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  serviceOrigins?: string[] | null;
}): Set<string> {
  const origins = new Set<string>(p.serviceOrigins ?? []);
  for (const url of [p.issuer, p.authLoginUrl, p.tokenUrl, p.jwksUrl]) {
    const origin = originOf(url);
    if (origin) origins.add(origin); // a malformed stored URL adds nothing
  }
  return origins;
}

/** The origin of a URL, or '' when it is not one (such a URL is on no platform's list). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}
