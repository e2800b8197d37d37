import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets kept in the database (private keys, tokens). The stored form is
 * `v1.<iv>.<tag>.<ciphertext>` (base64url parts), so a wrong key or tampered data fails loudly.
 * `context` is bound as additional authenticated data: a value copied to another record does not decrypt.
 */
export function parseEncryptionKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('KEY_ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  return key;
}

/**
 * The key-encryption key from the settings: KEY_ENCRYPTION_KEY, 32 random bytes in base64
 * (`openssl rand -base64 32`). There is no fallback: without it no stored private key can be used.
 */
export function requireEncryptionKey(config: { KEY_ENCRYPTION_KEY?: string | undefined }): Buffer {
  if (!config.KEY_ENCRYPTION_KEY)
    throw new Error('KEY_ENCRYPTION_KEY is required (private keys are stored encrypted)');
  return parseEncryptionKey(config.KEY_ENCRYPTION_KEY);
}

export function encryptSecret(key: Buffer, plaintext: string, context = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), data]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

export function decryptSecret(key: Buffer, stored: string, context = ''): string {
  const [version, iv, tag, data] = stored.split('.');
  if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unrecognised encrypted value');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}
