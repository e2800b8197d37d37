import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets kept in the database (private keys, tokens). The stored form is
 * `v2.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts; the older `v1.<iv>.<tag>.<ciphertext>` is still read),
 * so a wrong key or tampered data fails loudly and every secret names the key-encryption key it is sealed
 * under (see `credbridge keys rotate-kek`). `context` is bound as additional authenticated data: a value copied
 * to another record does not decrypt.
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

/** A key's public name: 16 hex digits of a hash of it, safe to store and log; it reveals nothing of the key. */
export function keyId(key: Buffer): string {
  return createHash('sha256')
    .update('credbridge key-encryption key id\0')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

/** Earlier key-encryption keys this process still reads with (KEY_ENCRYPTION_KEY_PREVIOUS, during a rotation). */
const previousKeys = new Map<string, Buffer>();

/** Registers the keys of KEY_ENCRYPTION_KEY_PREVIOUS (comma-separated, base64), once at process start. */
export function acceptPreviousKeys(config: { KEY_ENCRYPTION_KEY_PREVIOUS?: string | undefined }): void {
  previousKeys.clear();
  for (const part of (config.KEY_ENCRYPTION_KEY_PREVIOUS ?? '').split(',').filter((p) => p.trim())) {
    const key = parseEncryptionKey(part.trim());
    previousKeys.set(keyId(key), key);
  }
}

/** The previous key-encryption keys, for what is derived from the key (learner-link signatures). */
export function previousEncryptionKeys(): Buffer[] {
  return [...previousKeys.values()];
}

/** Which key-encryption key a stored secret is sealed under: its key id, or 'v1' for the older unnamed form. */
export function sealedUnder(stored: string): string {
  const [version, id] = stored.split('.');
  return version === 'v2' && id ? id : 'v1';
}

export function encryptSecret(key: Buffer, plaintext: string, context = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v2', keyId(key), ...[iv, cipher.getAuthTag(), data].map((p) => p.toString('base64url'))].join('.');
}

/**
 * Opens a stored secret with `key`, or with the previous key it names when that is not `key` (a rotation in
 * progress). A secret under a key this process does not have fails naming both key ids.
 */
export function decryptSecret(key: Buffer, stored: string, context = ''): string {
  const parts = stored.split('.');
  if (parts[0] === 'v1' && parts.length === 4) {
    // Unnamed: the current key, else a previous one (GCM's tag tells a wrong key apart).
    let failure: unknown;
    for (const candidate of [key, ...[...previousKeys.values()].filter((k) => !k.equals(key))]) {
      try {
        return open(candidate, parts[1]!, parts[2]!, parts[3]!, context);
      } catch (err) {
        failure ??= err;
      }
    }
    throw failure;
  }
  if (parts[0] !== 'v2' || parts.length !== 5) throw new Error('unrecognised encrypted value');
  const id = parts[1]!;
  const usable = id === keyId(key) ? key : previousKeys.get(id);
  if (!usable)
    throw new Error(`secret is sealed under key-encryption key ${id}; this process has ${keyId(key)}`);
  return open(usable, parts[2]!, parts[3]!, parts[4]!, context);
}

function open(key: Buffer, iv: string, tag: string, data: string, context: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}
