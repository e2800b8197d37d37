import {
  createPrivateKey,
  generateKeyPair as generateKeyPairCb,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { exportJWK, type JWK } from 'jose';
import { decryptSecret, encryptSecret } from '../security/encryption.js';
import { LtiToolKey } from './models.js';

const generateKeyPair = promisify(generateKeyPairCb);

/** How long a replaced key stays in the JWKS, so platforms can still verify what it signed and refetch. */
export const PREVIOUS_KEY_PUBLISHED_MS = 7 * 86_400_000;
/** How long a process trusts its idea of the active key before asking the database again. */
const ACTIVE_KEY_CACHE_MS = 60_000;

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

/**
 * The tool's RSA keys for LTI: signing client assertions and deep-linking responses, published at
 * /lti/jwks. Rotation adds a new active key and keeps the old one published for PREVIOUS_KEY_PUBLISHED_MS,
 * so a platform that cached the old JWKS, or a message signed just before rotation, keeps verifying.
 */
export class ToolKeys {
  private active?: { key: SigningKey; checkedAt: number };

  constructor(private readonly encryptionKey: Buffer) {}

  async signingKey(now = Date.now()): Promise<SigningKey> {
    if (this.active && now - this.active.checkedAt < ACTIVE_KEY_CACHE_MS) return this.active.key;
    let doc = await LtiToolKey.findOne({ status: 'active' }).sort({ createdAt: -1 });
    if (!doc) {
      await this.createKey();
      doc = await LtiToolKey.findOne({ status: 'active' }).sort({ createdAt: -1 });
    }
    if (!doc) throw new Error('no active LTI tool key');
    const key = {
      kid: doc.kid,
      privateKey: createPrivateKey(
        decryptSecret(this.encryptionKey, doc.privateKeyEncrypted, `lti-tool-key:${doc.kid}`),
      ),
    };
    this.active = { key, checkedAt: now };
    return key;
  }

  /** Public keys of the active and recently replaced keys. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.signingKey();
    const docs = await LtiToolKey.find({ status: { $in: ['active', 'previous'] } }).sort({ createdAt: -1 });
    return { keys: docs.map((d) => d.publicJwk as JWK) };
  }

  /** Makes a new active key; the old one stays published for a while, older ones are retired. */
  async rotate(now = new Date()): Promise<string> {
    const kid = await this.createKey();
    await LtiToolKey.updateMany(
      { status: 'active', kid: { $ne: kid } },
      { status: 'previous', rotatedAt: now },
    );
    await LtiToolKey.updateMany(
      { status: 'previous', rotatedAt: { $lte: new Date(now.getTime() - PREVIOUS_KEY_PUBLISHED_MS) } },
      { status: 'retired' },
    );
    this.active = undefined;
    return kid;
  }

  private async createKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await LtiToolKey.create({
      kid,
      publicJwk,
      privateKeyEncrypted: encryptSecret(this.encryptionKey, pem, `lti-tool-key:${kid}`),
      status: 'active',
    });
    return kid;
  }
}
