/* eslint-disable @typescript-eslint/no-explicit-any -- the test reads DID documents and credentials as JSON */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Issuer } from '../../src/issuers/issuer-model.js';
import { broadcastIssuerChanges } from '../../src/issuers/change-broadcast.js';
import { rotateIssuerKey } from '../../src/issuers/issuers.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { freePort } from '../../scripts/services/process.js';
import { silentLogger } from '../helpers/env.js';
import { createTestInstitution } from '../helpers/institution.js';
import { startEntry, waitForStatus, type RunningProcess } from '../helpers/processes.js';
import { ADMIN_TOKEN, startTool, type ToolUnderTest } from '../helpers/tool.js';
import { until } from '../helpers/wait.js';

/**
 * One issuer cache per process, dropped in every process when any of them changes an issuer: this test process
 * rotates the key (as the admin console does), and a separate web process (src/server.ts) that had the old key
 * cached must sign with the new one and serve the new DID document at once, not after the cache's TTL.
 */
let tool: ToolUnderTest;
let other: RunningProcess;
let otherUrl: string;
let issuerId: string;
let stopBroadcast: () => Promise<void>;

beforeAll(async () => {
  tool = await startTool();
  stopBroadcast = broadcastIssuerChanges(tool.redis, tool.config.QUEUE_PREFIX, silentLogger());
  issuerId = (await createTestInstitution(tool)).issuer._id;
  const port = await freePort();
  otherUrl = `http://127.0.0.1:${port}`;
  other = startEntry('src/server.ts', { ...tool.env, PORT: String(port) });
  await waitForStatus(`${otherUrl}/readyz`, 200, 60_000);
}, 90_000);

afterAll(async () => {
  other?.child.kill('SIGKILL');
  await stopBroadcast?.();
  await tool?.close();
});

const didDocument = async () => (await (await fetch(`${otherUrl}/.well-known/did.json`)).json()) as any;

async function issueThere(): Promise<any> {
  const issuer = (await didDocument()).id;
  const res = await fetch(`${otherUrl}/credentials/issue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiableCredential'],
        issuer,
        credentialSubject: { id: 'did:example:learner' },
      },
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as any).verifiableCredential;
}

describe('the issuer cache shared by every path, dropped everywhere on a change', () => {
  it('serves issuers from the cache: a change made behind its back is not seen', async () => {
    const before = await didDocument();
    expect(before.assertionMethod.map((m: string) => m.split('#')[1])).toEqual(['key-1']);
    // A write that bypasses issuersChanged(): the other process keeps answering from its cache.
    await Issuer.updateOne(
      { _id: issuerId },
      { $set: { 'keys.0.publicKeyMultibase': 'z6MkChangedBehindItsBack' } },
    );
    expect((await didDocument()).verificationMethod[0].publicKeyMultibase).toBe(
      before.verificationMethod[0].publicKeyMultibase,
    );
    await Issuer.updateOne(
      { _id: issuerId },
      { $set: { 'keys.0.publicKeyMultibase': before.verificationMethod[0].publicKeyMultibase } },
    );
  });

  it('signs with the new key and serves the new DID document right after a rotation in another process', async () => {
    expect((await issueThere()).proof.verificationMethod).toMatch(/#key-1$/);
    await rotateIssuerKey(issuerId, parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!));
    // Well within the cache's 5-minute backstop: only the broadcast can make this pass.
    const doc = await until(
      async () => {
        const d = await didDocument();
        return d.assertionMethod.length === 2 ? d : undefined;
      },
      'the rotated DID document in the other process',
      10_000,
    );
    expect(doc.authentication.map((m: string) => m.split('#')[1])).toEqual(['key-2']);
    expect((await issueThere()).proof.verificationMethod).toMatch(/#key-2$/);
  });
});
