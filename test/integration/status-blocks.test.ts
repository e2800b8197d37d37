import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import {
  BLOCK_SIZE,
  STATUS_LIST_LENGTH,
  allocateStatusEntry,
  positionOrder,
} from '../../src/credentials/status-lists.js';
import { StatusBlock, StatusList } from '../../src/credentials/status-list-model.js';
import type { StatusEntryRef } from '../../src/credentials/status-entry.js';
import { createIssuer, findIssuer, signingIssuer } from '../../src/issuers/issuers.js';
import { installationDocumentLoader } from '../../src/issuers/resolvers.js';
import { silentLogger, testConfig } from '../helpers/env.js';
import { exampleTemplate } from '../helpers/credentials.js';

const PUBLIC_URL = 'http://localhost:3998';
const kek = Buffer.alloc(32, 7);
const loader = installationDocumentLoader(PUBLIC_URL);
const listOf = (ref: StatusEntryRef) => ref.statusListCredential.split('/').pop()!;

describe('status list positions in a secret order', () => {
  it('is a permutation of every position, fixed by the seed', () => {
    const seed = Buffer.alloc(32, 1);
    const order = positionOrder(seed, STATUS_LIST_LENGTH);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: STATUS_LIST_LENGTH }, (_, i) => i));
    expect(positionOrder(seed, STATUS_LIST_LENGTH)).toEqual(order);
    expect(positionOrder(Buffer.alloc(32, 2), STATUS_LIST_LENGTH)).not.toEqual(order);
  });

  it('scatters the positions of one block across the list', () => {
    const order = positionOrder(Buffer.alloc(32, 3), STATUS_LIST_LENGTH);
    const block = [...order.subarray(64, 64 + BLOCK_SIZE)].sort((a, b) => a - b);
    const gaps = block.slice(1).map((v, i) => v - block[i]!);
    expect(block[block.length - 1]! - block[0]!).toBeGreaterThan(STATUS_LIST_LENGTH / 2);
    expect(Math.min(...gaps)).toBeGreaterThan(0);
    expect(gaps.filter((g) => g === 1).length).toBeLessThan(3);
  });
});

describe('status entries reserved in blocks (FerretDB)', () => {
  beforeAll(async () => {
    const config = testConfig({ PUBLIC_URL });
    await connectDatabase(config.MONGODB_URI, silentLogger());
    const profile = exampleTemplate().awardingBodies![0]!;
    await createIssuer({
      id: 'blocks',
      institutionId: 'blocks',
      profile,
      publicUrl: PUBLIC_URL,
      kek,
      isDefault: true,
    });
    await createIssuer({ id: 'crowded', institutionId: 'blocks', profile, publicUrl: PUBLIC_URL, kek });
  }, 120_000);

  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase();
    await disconnectDatabase();
  });

  const signer = async (id: string) => signingIssuer((await findIssuer(id))!, kek);

  it('gives concurrent credentials distinct entries with one reservation per block', async () => {
    const issuer = await signer('blocks');
    const refs = await Promise.all(
      Array.from({ length: 100 }, () => allocateStatusEntry(issuer, PUBLIC_URL, loader)),
    );
    expect(new Set(refs.map((r) => r.statusPurpose))).toEqual(new Set(['message']));
    expect(new Set(refs.map((r) => r.statusListIndex)).size).toBe(100);
    const lists = new Set(refs.map(listOf));
    expect(lists.size).toBe(1);
    const listId = [...lists][0]!;
    expect(await StatusBlock.countDocuments({ listId })).toBe(Math.ceil(100 / BLOCK_SIZE));
    const list = await StatusList.findById(listId).lean();
    expect(list!.allocated).toBe(Math.ceil(100 / BLOCK_SIZE) * BLOCK_SIZE);
    expect(list!.seed).toBeTruthy();
    // The seed stays private: the published list credential does not carry it.
    expect(JSON.stringify(list!.credential)).not.toContain(list!.seed!);
  });

  it('closes a list at its fill limit and opens a new one', async () => {
    const issuer = await signer('blocks');
    const first = await allocateStatusEntry(issuer, PUBLIC_URL, loader);
    const listId = listOf(first);
    await StatusList.updateOne({ _id: listId }, { $set: { allocated: STATUS_LIST_LENGTH / 2 } });
    const refs: StatusEntryRef[] = [];
    for (let i = 0; i < 2 * BLOCK_SIZE; i++) refs.push(await allocateStatusEntry(issuer, PUBLIC_URL, loader));
    expect((await StatusList.findById(listId).lean())!.open).toBe(false);
    const newer = refs.map(listOf).filter((id) => id !== listId);
    expect(newer.length).toBeGreaterThan(0);
    expect((await StatusList.findById(newer[0]).lean())!.open).toBe(true);
  });

  it('moves to a new list when the random picks keep finding taken blocks', async () => {
    const issuer = await signer('crowded');
    const first = await allocateStatusEntry(issuer, PUBLIC_URL, loader);
    const listId = listOf(first);
    const taken = new Set((await StatusBlock.find({ listId }).lean()).map((b) => b.block));
    const blocks = STATUS_LIST_LENGTH / BLOCK_SIZE;
    await StatusBlock.insertMany(
      Array.from({ length: blocks }, (_, block) => block)
        .filter((block) => !taken.has(block))
        .map((block) => ({ listId, block })),
    );
    const refs: StatusEntryRef[] = [];
    for (let i = 0; i < BLOCK_SIZE; i++) refs.push(await allocateStatusEntry(issuer, PUBLIC_URL, loader));
    const last = refs[refs.length - 1]!;
    expect(listOf(last)).not.toBe(listId);
    expect((await StatusList.findById(listId).lean())!.open).toBe(false);
    // Every entry of the full list came from the one block this process held.
    const fromFull = [first, ...refs].filter((r) => listOf(r) === listId);
    expect(fromFull.length).toBe(BLOCK_SIZE);
    expect(new Set(fromFull.map((r) => r.statusListIndex)).size).toBe(BLOCK_SIZE);
  }, 60_000);
});
