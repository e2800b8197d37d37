import { randomInt, randomUUID } from 'node:crypto';
import { BitstringStatusList, createCredential } from '@digitalbazaar/vc-bitstring-status-list';
import type { SigningIssuer } from '../issuers/issuers.js';
import type { StatusEntryRef } from './award.js';
import type { DocumentLoader } from './document-loader.js';
import { signCredential } from './signer.js';
import { StatusIndex, StatusList } from './status-list-model.js';

/** The spec's minimum list size (16 KB of bits): small lists would let an observer correlate credentials. */
export const STATUS_LIST_LENGTH = 131_072;
/** A list takes new entries until this share is used, which keeps random picks cheap and herd privacy high. */
const FILL_LIMIT = 0.5;
export const PURPOSES = ['revocation', 'suspension'] as const;
export type StatusPurpose = (typeof PURPOSES)[number];

export function statusListUrl(publicUrl: string, listId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/status-lists/${listId}`;
}

async function signedListCredential(
  issuer: SigningIssuer,
  url: string,
  list: BitstringStatusList,
  purpose: StatusPurpose,
  loader: DocumentLoader,
): Promise<Record<string, unknown>> {
  const unsigned = await createCredential({ id: url, list, statusPurpose: purpose });
  const validFrom = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return signCredential({ ...unsigned, issuer: issuer.did, validFrom }, issuer.key, loader);
}

/** The open list of each issuer and purpose, remembered so an allocation costs no list lookup. */
const openLists = new Map<string, { _id: string; length: number }>();
/** Lookups (or creations) in flight, shared by concurrent jobs so they do not each open a new list. */
const opening = new Map<string, Promise<{ _id: string; length: number }>>();

function openList(
  issuer: SigningIssuer,
  purpose: StatusPurpose,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<{ _id: string; length: number }> {
  const key = `${issuer.id}|${purpose}`;
  const known = openLists.get(key);
  if (known) return Promise.resolve(known);
  let pending = opening.get(key);
  if (!pending) {
    pending = findOrCreateList(issuer, purpose, publicUrl, loader).finally(() => opening.delete(key));
    opening.set(key, pending);
  }
  return pending;
}

async function findOrCreateList(
  issuer: SigningIssuer,
  purpose: StatusPurpose,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<{ _id: string; length: number }> {
  const key = `${issuer.id}|${purpose}`;
  const existing = await StatusList.findOne(
    { issuerId: issuer.id, purpose, open: true },
    { _id: 1, length: 1 },
  ).lean();
  if (existing) {
    openLists.set(key, existing);
    return existing;
  }
  const id = randomUUID();
  const list = new BitstringStatusList({ length: STATUS_LIST_LENGTH });
  const credential = await signedListCredential(issuer, statusListUrl(publicUrl, id), list, purpose, loader);
  const created = await StatusList.create({
    _id: id,
    issuerId: issuer.id,
    purpose,
    length: STATUS_LIST_LENGTH,
    encodedList: await list.encode(),
    credential,
  });
  const opened = { _id: created._id, length: created.length };
  openLists.set(key, opened);
  return opened;
}

/** Reserves a random free index in the issuer's open list of each purpose (both at once), for one credential. */
export async function allocateStatusEntries(
  issuer: SigningIssuer,
  credentialId: string,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<StatusEntryRef[]> {
  return Promise.all(
    PURPOSES.map((purpose) => allocateOne(issuer, purpose, credentialId, publicUrl, loader)),
  );
}

async function allocateOne(
  issuer: SigningIssuer,
  purpose: StatusPurpose,
  credentialId: string,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<StatusEntryRef> {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 50) throw new Error(`no free ${purpose} status index found`);
    const list = await openList(issuer, purpose, publicUrl, loader);
    const index = randomInt(list.length);
    try {
      await StatusIndex.create({ listId: list._id, index, credentialId });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) continue; // taken: pick again
      throw err;
    }
    // Count the entry unless the list has reached its fill limit; a list that has is closed for new entries
    // (this entry still fits: the limit leaves half the list free).
    const counted = await StatusList.updateOne(
      { _id: list._id, allocated: { $lt: list.length * FILL_LIMIT } },
      { $inc: { allocated: 1 } },
    );
    if (counted.modifiedCount === 0) {
      openLists.delete(`${issuer.id}|${purpose}`);
      await StatusList.updateOne({ _id: list._id }, { $set: { open: false } });
    }
    return {
      statusPurpose: purpose,
      statusListIndex: index,
      statusListCredential: statusListUrl(publicUrl, list._id),
    };
  }
}

/**
 * Sets or clears one status bit and re-signs the list credential, as a compare-and-set on the list's version
 * so concurrent changes never overwrite each other.
 */
export async function setStatus(
  issuer: SigningIssuer,
  listId: string,
  index: number,
  value: boolean,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const doc = await StatusList.findById(listId).lean();
    if (!doc) throw new Error(`no status list ${listId}`);
    if (doc.issuerId !== issuer.id) throw new Error(`status list ${listId} belongs to another issuer`);
    const list = await BitstringStatusList.decode({ encodedList: doc.encodedList });
    if (list.getStatus(index) === value) return;
    list.setStatus(index, value);
    const credential = await signedListCredential(
      issuer,
      statusListUrl(publicUrl, listId),
      list,
      doc.purpose as StatusPurpose,
      loader,
    );
    const result = await StatusList.updateOne(
      { _id: listId, version: doc.version },
      { $set: { encodedList: await list.encode(), credential, updatedAt: new Date() }, $inc: { version: 1 } },
    );
    if (result.modifiedCount === 1) return;
  }
  throw new Error(`status list ${listId}: too many concurrent changes, try again`);
}

export async function statusListCredential(listId: string): Promise<Record<string, unknown> | undefined> {
  const doc = await StatusList.findById(listId).lean();
  return (doc?.credential as Record<string, unknown> | undefined) ?? undefined;
}
