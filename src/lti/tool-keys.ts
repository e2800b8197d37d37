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

/** The scope of the keys platforms registered before institutions existed trust (/lti/jwks). */
export const INSTALLATION_KEYS = 'installation';

/**
 * The tool's RSA keys for LTI, one set per scope (an institution, or the installation's for platforms from
 * before institutions): signing client assertions and deep-linking responses, published at
 * /lti/jwks/<institution> (/lti/jwks for the installation's). Separate keys mean an LMS trusts only the keys of
 * the institution it registered with: another institution that copies its client id and token endpoint gets
 * assertions that LMS refuses. Rotation adds a new active key and keeps the old one published for
 * PREVIOUS_KEY_PUBLISHED_MS, so a platform that cached the old JWKS, or a message signed just before rotation,
 * keeps verifying.
 */
export class ToolKeys {
  private readonly active = new Map<string, { key: SigningKey; checkedAt: number }>();

  constructor(private readonly encryptionKey: Buffer) {}

  async signingKey(scope: string, now = Date.now()): Promise<SigningKey> {
    const cached = this.active.get(scope);
    if (cached && now - cached.checkedAt < ACTIVE_KEY_CACHE_MS) return cached.key;
    let doc = await LtiToolKey.findOne({ scope, status: 'active' }).sort({ createdAt: -1 });
    if (!doc) {
      await this.createKey(scope);
      doc = await LtiToolKey.findOne({ scope, status: 'active' }).sort({ createdAt: -1 });
    }
    if (!doc) throw new Error(`no active LTI tool key for ${scope}`);
    const key = {
      kid: doc.kid,
      privateKey: createPrivateKey(
        decryptSecret(this.encryptionKey, doc.privateKeyEncrypted, `lti-tool-key:${doc.kid}`),
      ),
    };
    this.active.set(scope, { key, checkedAt: now });
    return key;
  }

  /** Public keys of the scope's active and recently replaced keys. */
  async jwks(scope: string): Promise<{ keys: JWK[] }> {
    await this.signingKey(scope);
    const docs = await LtiToolKey.find({ scope, status: { $in: ['active', 'previous'] } }).sort({
      createdAt: -1,
    });
    return { keys: docs.map((d) => d.publicJwk as JWK) };
  }

  /** Makes a new active key of the scope; the old one stays published for a while, older ones are retired. */
  async rotate(scope: string, now = new Date()): Promise<string> {
    const kid = await this.createKey(scope);
    await LtiToolKey.updateMany(
      { scope, status: 'active', kid: { $ne: kid } },
      { status: 'previous', rotatedAt: now },
    );
    await LtiToolKey.updateMany(
      {
        scope,
        status: 'previous',
        rotatedAt: { $lte: new Date(now.getTime() - PREVIOUS_KEY_PUBLISHED_MS) },
      },
      { status: 'retired' },
    );
    this.active.delete(scope);
    return kid;
  }

  private async createKey(scope: string): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await LtiToolKey.create({
      kid,
      scope,
      publicJwk,
      privateKeyEncrypted: encryptSecret(this.encryptionKey, pem, `lti-tool-key:${kid}`),
      status: 'active',
    });
    return kid;
  }
}
