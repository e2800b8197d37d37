import { createCipheriv, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { BitstringStatusList, createCredential } from '@digitalbazaar/vc-bitstring-status-list';
import type { SigningIssuer } from '../issuers/issuers.js';
import {
  STATE_PURPOSE,
  decodeStatusList,
  readEntry,
  sizeOf,
  writeEntry,
  type ListPurpose,
  type StatusEntryRef,
} from './status-entry.js';
import type { DocumentLoader } from './document-loader.js';
import { signCredential } from './signer.js';
import { StatusBlock, StatusList } from './status-list-model.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';

/** Entries per list, the spec's minimum (131,072): small lists would let an observer correlate credentials. */
export const STATUS_LIST_LENGTH = 131_072;
/** A list takes new blocks until this share is used, which keeps random picks cheap and herd privacy high. */
const FILL_LIMIT = 0.5;

export function statusListUrl(publicUrl: string, listId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/status-lists/${listId}`;
}

async function signedListCredential(
  issuer: SigningIssuer,
  url: string,
  list: BitstringStatusList,
  purpose: ListPurpose,
  loader: DocumentLoader,
): Promise<Record<string, unknown>> {
  const unsigned = await createCredential({ id: url, list, statusPurpose: purpose });
  const validFrom = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return signCredential({ ...unsigned, issuer: issuer.did, validFrom }, issuer.key, loader);
}

/** Positions are reserved this many at a time, so one insert serves this many credentials. */
export const BLOCK_SIZE = 32;
const BLOCKS = STATUS_LIST_LENGTH / BLOCK_SIZE;

interface OpenList {
  _id: string;
  length: number;
  /** Position n of the list's secret order: a permutation of 0..length-1 (see positionOrder). */
  order: Uint32Array;
}

/** The open list of each issuer and purpose, remembered so an allocation costs no list lookup. */
const openLists = new Map<string, OpenList>();
/** Lookups (or creations) in flight, shared by concurrent jobs so they do not each open a new list. */
const opening = new Map<string, Promise<OpenList>>();
/** The block this process is handing out, per issuer and purpose: the next position and the block's end. */
const blocks = new Map<string, { list: OpenList; next: number; end: number }>();
const reserving = new Map<string, Promise<void>>();

/**
 * The list's positions in a secret order keyed by its seed (Fisher-Yates driven by AES-256-CTR): consecutive
 * entries land at unrelated indexes, so an observer cannot tell which credentials were issued together, as
 * random assignment would guarantee, while a block of them is still reserved with one write.
 */
export function positionOrder(seed: Buffer, length: number): Uint32Array {
  const order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  const stream = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16)).update(Buffer.alloc(length * 4));
  for (let i = length - 1; i > 0; i--) {
    // Modulo bias below (i + 1) / 2^32: under 0.004% for these lengths, irrelevant to unlinkability.
    const j = stream.readUInt32LE(i * 4) % (i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

function openList(
  issuer: SigningIssuer,
  purpose: ListPurpose,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<OpenList> {
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
  purpose: ListPurpose,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<OpenList> {
  const key = `${issuer.id}|${purpose}`;
  // Only lists with a seed take block reservations.
  const existing = await StatusList.findOne(
    { issuerId: issuer.id, purpose, open: true, seed: { $exists: true } },
    { _id: 1, length: 1, seed: 1 },
  ).lean();
  const found = existing ?? (await createList(issuer, purpose, publicUrl, loader));
  const opened = {
    _id: found._id,
    length: found.length,
    order: positionOrder(Buffer.from(found.seed!, 'base64'), found.length),
  };
  openLists.set(key, opened);
  return opened;
}

async function createList(
  issuer: SigningIssuer,
  purpose: ListPurpose,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<{ _id: string; length: number; seed?: string | null }> {
  const id = randomUUID();
  const list = new BitstringStatusList({ length: STATUS_LIST_LENGTH * sizeOf(purpose) });
  const credential = await signedListCredential(issuer, statusListUrl(publicUrl, id), list, purpose, loader);
  return StatusList.create({
    _id: id,
    issuerId: issuer.id,
    purpose,
    length: STATUS_LIST_LENGTH,
    seed: randomBytes(32).toString('base64'),
    encodedList: await list.encode(),
    credential,
  });
}

/**
 * Reserves a free block of the open list at random (a unique insert; a taken block means another pick), and
 * counts it against the fill limit. A list past its limit, or whose random picks keep colliding, is closed and
 * the next reservation opens a new one.
 */
async function reserveBlock(
  issuer: SigningIssuer,
  purpose: ListPurpose,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<void> {
  const key = `${issuer.id}|${purpose}`;
  for (let listsTried = 0; listsTried < 3; listsTried++) {
    const list = await openList(issuer, purpose, publicUrl, loader);
    for (let attempt = 0; attempt < 32; attempt++) {
      const block = randomInt(BLOCKS);
      try {
        await StatusBlock.create({ listId: list._id, block });
      } catch (err) {
        if (onlyDuplicateKeys(err)) continue; // taken: pick again
        throw err;
      }
      blocks.set(key, { list, next: block * BLOCK_SIZE, end: (block + 1) * BLOCK_SIZE });
      // The count only decides when to close the list (this block is already safely ours).
      const counted = await StatusList.updateOne(
        { _id: list._id, allocated: { $lt: list.length * FILL_LIMIT } },
        { $inc: { allocated: BLOCK_SIZE } },
      );
      if (counted.modifiedCount === 0) await closeList(key, list._id);
      return;
    }
    await closeList(key, list._id);
  }
  throw new Error(`no free ${purpose} status block found`);
}

async function closeList(key: string, listId: string): Promise<void> {
  if (openLists.get(key)?._id === listId) openLists.delete(key);
  await StatusList.updateOne({ _id: listId }, { $set: { open: false } });
}

/** Takes the next position of this process's block for the issuer and purpose, reserving a block when empty. */
async function allocateOne(
  issuer: SigningIssuer,
  purpose: ListPurpose,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<StatusEntryRef> {
  const key = `${issuer.id}|${purpose}`;
  for (;;) {
    const current = blocks.get(key);
    if (current && current.next < current.end) {
      const position = current.next++;
      return {
        statusPurpose: purpose,
        statusListIndex: current.list.order[position]!,
        statusListCredential: statusListUrl(publicUrl, current.list._id),
      };
    }
    // Concurrent jobs wait for one reservation instead of each taking a block.
    let pending = reserving.get(key);
    if (!pending) {
      pending = reserveBlock(issuer, purpose, publicUrl, loader).finally(() => reserving.delete(key));
      reserving.set(key, pending);
    }
    await pending;
  }
}

/** Reserves the one status entry (revocation and suspension) of a new credential in the issuer's open list. */
export function allocateStatusEntry(
  issuer: SigningIssuer,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<StatusEntryRef> {
  return allocateOne(issuer, STATE_PURPOSE, publicUrl, loader);
}

/**
 * Changes one entry's value (`change` maps the current value to the new one) and re-signs the list credential,
 * as a compare-and-set on the list's version so concurrent changes never overwrite each other.
 */
export async function changeEntry(
  issuer: SigningIssuer,
  listId: string,
  index: number,
  change: (current: number) => number,
  publicUrl: string,
  loader: DocumentLoader,
): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const doc = await StatusList.findById(listId).lean();
    if (!doc) throw new Error(`no status list ${listId}`);
    if (doc.issuerId !== issuer.id) throw new Error(`status list ${listId} belongs to another issuer`);
    const list = decodeStatusList(doc.encodedList);
    const size = sizeOf(doc.purpose);
    const current = readEntry(list, index, size);
    const value = change(current);
    if (value === current) return;
    writeEntry(list, index, size, value);
    const credential = await signedListCredential(
      issuer,
      statusListUrl(publicUrl, listId),
      list,
      doc.purpose as ListPurpose,
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

/** One entry's current value in a stored list (0 when the list is gone). */
export async function readStoredEntry(listId: string, index: number): Promise<number> {
  const doc = await StatusList.findById(listId, { encodedList: 1, purpose: 1 }).lean();
  if (!doc) return 0;
  const list = decodeStatusList(doc.encodedList);
  return readEntry(list, index, sizeOf(doc.purpose));
}

export async function statusListCredential(listId: string): Promise<Record<string, unknown> | undefined> {
  const doc = await StatusList.findById(listId).lean();
  return (doc?.credential as Record<string, unknown> | undefined) ?? undefined;
}
