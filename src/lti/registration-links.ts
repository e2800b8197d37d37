import type { Types } from 'mongoose';
import { LtiRegistrationLink } from './models.js';
import { hashToken, randomToken } from '../web/cookies.js';

/** How long a registration link works: long enough for an LMS administrator's week, short enough to expire unused. */
export const REGISTRATION_LINK_TTL_MS = 7 * 86_400_000;

/** One registration attempt holds the link this long; a crashed attempt releases it by waiting this out. */
const CLAIM_MS = 2 * 60_000;

const TOKEN = /^[A-Za-z0-9_-]{40,100}$/;

export interface RegistrationLinkView {
  id: string;
  label: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt?: Date;
  platformId?: string;
}

/** The URL an LMS administrator pastes into Moodle or Canvas: the token is part of the path. */
export function registrationUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/lti/register/${token}`;
}

/** Makes a link for one platform to join the institution; the token is returned once and stored only hashed. */
export async function createRegistrationLink(
  institutionId: string,
  createdBy: string,
  label = '',
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + REGISTRATION_LINK_TTL_MS);
  const doc = await LtiRegistrationLink.create({
    tokenHash: hashToken(token),
    institutionId,
    label: label.slice(0, 200),
    createdBy,
    expiresAt,
  });
  return { id: String(doc._id), token, expiresAt };
}

export async function listRegistrationLinks(institutionId: string): Promise<RegistrationLinkView[]> {
  const docs = await LtiRegistrationLink.find({ institutionId }).sort({ createdAt: -1 }).limit(100).lean();
  return docs.map((d) => ({
    id: String(d._id),
    label: d.label ?? '',
    createdBy: d.createdBy,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
    ...(d.usedAt ? { usedAt: d.usedAt } : {}),
    ...(d.platformId ? { platformId: String(d.platformId) } : {}),
  }));
}

/** Withdraws an unused link of the institution; false when there is none by that id. */
export async function revokeRegistrationLink(institutionId: string, id: string): Promise<boolean> {
  const res = await LtiRegistrationLink.deleteOne({ _id: id, institutionId, usedAt: { $exists: false } });
  return res.deletedCount === 1;
}

export interface ClaimedLink {
  id: Types.ObjectId;
  institutionId: string;
}

/**
 * Claims a link for one registration attempt, atomically: unknown, expired, used and busy links all answer
 * undefined, so a caller learns nothing about which it was. Nothing leaves the server before this succeeds.
 */
export async function claimRegistrationLink(
  token: string,
  now = new Date(),
): Promise<ClaimedLink | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const doc = await LtiRegistrationLink.findOneAndUpdate(
    {
      tokenHash: hashToken(token),
      expiresAt: { $gt: now },
      usedAt: { $exists: false },
      $or: [{ claimedAt: { $exists: false } }, { claimedAt: { $lt: new Date(now.getTime() - CLAIM_MS) } }],
    },
    { $set: { claimedAt: now } },
    { returnDocument: 'after' },
  ).lean();
  return doc ? { id: doc._id, institutionId: doc.institutionId } : undefined;
}

/** The registration succeeded: the link is spent and remembers the platform it brought in. */
export async function completeRegistrationLink(link: ClaimedLink, platformId: unknown): Promise<void> {
  await LtiRegistrationLink.updateOne({ _id: link.id }, { $set: { usedAt: new Date(), platformId } });
}

/** The attempt failed before anything was stored: the same link can be tried again. */
export async function releaseRegistrationLink(link: ClaimedLink): Promise<void> {
  await LtiRegistrationLink.updateOne(
    { _id: link.id, usedAt: { $exists: false } },
    { $unset: { claimedAt: 1 } },
  );
}
