import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Types } from 'mongoose';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { connectionToken, LmsConnection, saveLmsConnection } from '../../src/grades/lms-connection-model.js';
import { learnerLinkKey, learnerLinkToken, readLearnerLinkToken } from '../../src/issuance/links.js';
import { Issuer } from '../../src/issuers/issuer-model.js';
import { createIssuer, findIssuer, rotateIssuerKey, signingIssuer } from '../../src/issuers/issuers.js';
import { LtiToolKey } from '../../src/lti/models.js';
import { ToolKeys } from '../../src/lti/tool-keys.js';
import { projectPath } from '../../src/credentials/project-files.js';
import { SealCertificate } from '../../src/seals/seal-model.js';
import { createTestSeal } from '../../src/seals/seals.js';
import { acceptPreviousKeys, decryptSecret, keyId, sealedUnder } from '../../src/security/encryption.js';
import { rotateKeyEncryptionKey, secretsByKey } from '../../src/security/kek-rotation.js';
import { databaseUri, silentLogger, uniqueName } from '../helpers/env.js';

/**
 * Key-encryption key rotation: every stored secret (issuer keys, LTI tool keys, LMS tokens, seal keys, an old unnamed
 * v1 value too) is re-sealed one document at a time with a compare-and-set. Stopped half-way, each secret is
 * readable under exactly one key, the one it names; processes holding the new key plus the previous one read
 * everything meanwhile; a second run finishes; a write racing the rotation is never lost; the CLI does the same.
 */
const OLD = randomBytes(32);
const NEW = randomBytes(32);
const TOKENS: Record<string, string> = {};
const uri = databaseUri(uniqueName('kek'));
const PROFILE = (
  JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as {
    awardingBodies: never[];
  }
).awardingBodies[0]!;

/** The pre-v2 stored form, `v1.<iv>.<tag>.<data>`, as older installations wrote it. */
function sealV1(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), data]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Every stored secret with its context, read straight from the collections. */
async function allSecrets(): Promise<{ where: string; stored: string; context: string }[]> {
  const out: { where: string; stored: string; context: string }[] = [];
  for (const issuer of await Issuer.find().lean())
    for (const k of issuer.keys)
      out.push({
        where: `issuer ${issuer._id} ${k.keyId}`,
        stored: k.sealedPrivateKey,
        context: `${issuer.did}#${k.keyId}`,
      });
  for (const t of await LtiToolKey.find().lean())
    out.push({ where: `tool key ${t.kid}`, stored: t.privateKeyEncrypted, context: `lti-tool-key:${t.kid}` });
  for (const c of await LmsConnection.find().lean())
    out.push({
      where: `lms ${c.platformId}`,
      stored: c.tokenEncrypted,
      context: `lms-connection:${c.platformId}`,
    });
  for (const seal of await SealCertificate.find().lean())
    out.push({ where: `seal ${seal._id}`, stored: seal.sealedPrivateKey, context: `seal:${seal._id}` });
  return out;
}

function opensWith(stored: string, context: string): string[] {
  const ok: string[] = [];
  for (const [name, key] of [
    ['old', OLD],
    ['new', NEW],
  ] as const) {
    try {
      decryptSecret(key, stored, context);
      ok.push(name);
    } catch {
      /* not this key */
    }
  }
  return ok;
}

beforeAll(async () => {
  await connectDatabase(uri, silentLogger());
  for (const id of ['kek-a', 'kek-b', 'kek-c']) {
    await createIssuer({
      id,
      institutionId: id,
      profile: PROFILE,
      publicUrl: 'https://kek.example',
      kek: OLD,
    });
  }
  await rotateIssuerKey('kek-a', OLD); // two keys in one issuer document
  const toolKeys = new ToolKeys(OLD);
  await toolKeys.signingKey('kek-a');
  await toolKeys.rotate('kek-a');
  for (let i = 0; i < 4; i++) {
    const platformId = new Types.ObjectId().toHexString();
    TOKENS[platformId] = `token-${i}-${randomBytes(6).toString('hex')}`;
    await saveLmsConnection(OLD, platformId, {
      kind: 'moodle',
      baseUrl: 'https://moodle.example',
      token: TOKENS[platformId]!,
    });
  }
  // Institution seals: two of one institution (the first retired by the second).
  await createTestSeal('kek-a', 'KEK Institute', OLD);
  await createTestSeal('kek-a', 'KEK Institute', OLD);
  // One secret still in the older unnamed form.
  const legacy = new Types.ObjectId().toHexString();
  TOKENS[legacy] = 'legacy-token-123';
  await LmsConnection.collection.insertOne({
    platformId: legacy,
    kind: 'canvas',
    baseUrl: 'https://canvas.example',
    tokenEncrypted: sealV1(OLD, TOKENS[legacy]!, `lms-connection:${legacy}`),
  });
}, 60_000);
afterAll(async () => {
  acceptPreviousKeys({});
  await disconnectDatabase();
});

describe('key-encryption key rotation', () => {
  let total = 0;

  it('stopped half-way, every secret opens under exactly one key, the one it names', async () => {
    total = (await allSecrets()).length;
    expect(total).toBe(4 + 2 + 5 + 2); // issuer keys, tool keys, LMS tokens, seals
    let writes = 0;
    await expect(
      rotateKeyEncryptionKey({
        oldKey: OLD,
        newKey: NEW,
        beforeWrite: () => {
          if (++writes > 5) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');

    const secrets = await allSecrets();
    const byKey = { old: 0, new: 0 };
    for (const s of secrets) {
      const keys = opensWith(s.stored, s.context);
      expect(`${s.where}: ${keys.join('+')}`).toMatch(/: (old|new)$/);
      byKey[keys[0] as 'old' | 'new']++;
      expect(sealedUnder(s.stored)).toBe(
        keys[0] === 'new' ? keyId(NEW) : s.stored.startsWith('v1.') ? 'v1' : keyId(OLD),
      );
    }
    expect(byKey).toEqual({ old: total - 5, new: 5 });
  });

  it('meanwhile a process with the new key and the previous one reads every secret and signs', async () => {
    acceptPreviousKeys({ KEY_ENCRYPTION_KEY_PREVIOUS: OLD.toString('base64') });
    for (const s of await allSecrets()) expect(() => decryptSecret(NEW, s.stored, s.context)).not.toThrow();
    const signer = await signingIssuer((await findIssuer('kek-c'))!, NEW);
    expect(signer.did).toMatch(/^did:web:/);
    expect((await new ToolKeys(NEW).signingKey('kek-a')).kid).toBeTruthy();
    // Learner links e-mailed under the old key keep working.
    const token = learnerLinkToken(learnerLinkKey(OLD), 'p:l', new Date(Date.now() + 60_000));
    expect(readLearnerLinkToken(learnerLinkKey(NEW), token)).toEqual({ learnerRef: 'p:l' });
    acceptPreviousKeys({});
    expect(readLearnerLinkToken(learnerLinkKey(NEW), token)).toEqual({ error: 'invalid' });
  });

  it('a second run finishes the rest; a token saved during the rotation is kept, not overwritten', async () => {
    const [racedPlatform] = Object.keys(TOKENS);
    let raced = false;
    const progress: string[] = [];
    const reports = await rotateKeyEncryptionKey({
      oldKey: OLD,
      newKey: NEW,
      onProgress: (r) => progress.push(r.collection),
      beforeWrite: async () => {
        if (raced) return;
        raced = true;
        // An administrator saves a new token (under the old key) between the rotation's read and its write.
        TOKENS[racedPlatform!] = 'changed-during-rotation';
        await saveLmsConnection(OLD, racedPlatform!, {
          kind: 'moodle',
          baseUrl: 'https://moodle.example',
          token: 'changed-during-rotation',
        });
      },
    });
    expect(progress).toEqual(expect.arrayContaining(['issuers', 'lti_tool_keys', 'lms_connections']));
    const sum = (k: 'resealed' | 'alreadyNew' | 'failed') => reports.reduce((n, r) => n + r[k], 0);
    expect({ resealed: sum('resealed'), already: sum('alreadyNew'), failed: sum('failed') }).toEqual({
      resealed: total - 5,
      already: 5,
      failed: 0,
    });
    const census = await secretsByKey();
    for (const counts of Object.values(census)) expect(Object.keys(counts)).toEqual([keyId(NEW)]);
    for (const doc of await LmsConnection.find())
      expect(connectionToken(NEW, doc)).toBe(TOKENS[doc.platformId]);
  });

  it('after it, the new key alone opens everything and the old key is refused naming both keys', async () => {
    for (const s of await allSecrets()) {
      expect(() => decryptSecret(NEW, s.stored, s.context)).not.toThrow();
      expect(() => decryptSecret(OLD, s.stored, s.context)).toThrow(
        `sealed under key-encryption key ${keyId(NEW)}; this process has ${keyId(OLD)}`,
      );
    }
    const signer = await signingIssuer((await findIssuer('kek-a'))!, NEW);
    expect(signer.did).toBeTruthy();
  });

  it('the CLI rotates from KEY_ENCRYPTION_KEY to the key named by --new-key-env, with progress and status', async () => {
    const third = randomBytes(32);
    const run = (args: string[], env: Record<string, string>) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          projectPath('node_modules', '.bin', 'tsx'),
          [projectPath('src', 'cli', 'index.ts'), ...args],
          {
            env: {
              PATH: process.env.PATH ?? '',
              MONGODB_URI: uri,
              REDIS_URL: process.env.REDIS_URL!,
              ...env,
            },
          },
          (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
        ),
      );
    const missing = await run(['keys', 'rotate-kek', '--new-key-env', 'NEW_KEY_ENCRYPTION_KEY'], {
      KEY_ENCRYPTION_KEY: NEW.toString('base64'),
    });
    expect(missing).toEqual({ code: 1, out: expect.stringContaining('NEW_KEY_ENCRYPTION_KEY is not set') });

    const rotated = await run(['keys', 'rotate-kek', '--new-key-env', 'NEW_KEY_ENCRYPTION_KEY'], {
      KEY_ENCRYPTION_KEY: NEW.toString('base64'),
      NEW_KEY_ENCRYPTION_KEY: third.toString('base64'),
    });
    expect(rotated.code).toBe(0);
    expect(rotated.out).toContain(`from key ${keyId(NEW)} to key ${keyId(third)}`);
    expect(rotated.out).toMatch(/issuers: 4\/4 under \w+ \(4 re-sealed now, 0 already\), 0 failed/);
    expect(rotated.out).toMatch(/lms_connections: 5\/5 under/);
    expect(rotated.out).not.toContain(third.toString('base64')); // the key itself is never printed

    const status = await run(['keys', 'status'], { KEY_ENCRYPTION_KEY: third.toString('base64') });
    expect(status.code).toBe(0);
    expect(status.out).toContain(`lti_tool_keys: 2 under ${keyId(third)}`);
    for (const s of await allSecrets()) expect(decryptSecret(third, s.stored, s.context)).toBeTruthy();
  }, 60_000);
});
