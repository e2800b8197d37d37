import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Config } from '../config/env.js';

/** An AES-256-GCM ciphertext as stored: every part base64. */
export interface SealedSecret {
  alg: 'A256GCM';
  iv: string;
  tag: string;
  ciphertext: string;
}

/**
 * The key-encryption key (KEK) that seals issuers' private keys at rest: KEY_ENCRYPTION_KEY, 32 random bytes in
 * base64 (`openssl rand -base64 32`). There is no fallback: without it nothing can be signed with a stored key.
 */
export function keyEncryptionKey(config: Pick<Config, 'KEY_ENCRYPTION_KEY'>): Buffer {
  if (!config.KEY_ENCRYPTION_KEY) throw new Error('KEY_ENCRYPTION_KEY is required for credential signing');
  const kek = Buffer.from(config.KEY_ENCRYPTION_KEY, 'base64');
  if (kek.length !== 32) throw new Error('KEY_ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  return kek;
}

/** Encrypts `plaintext`, binding it to `context` (e.g. the key id) so a ciphertext cannot be moved to another key. */
export function seal(kek: Buffer, plaintext: string, context: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    alg: 'A256GCM',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

export function unseal(kek: Buffer, sealed: SealedSecret, context: string): string {
  const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([
    decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
    decipher.final(),
  ]).toString('utf8');
}
