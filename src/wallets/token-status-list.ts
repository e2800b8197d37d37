import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { importJWK, SignJWT, type JWK } from 'jose';
import { deflateSync } from 'node:zlib';
import { StatusList } from '../credentials/status-list-model.js';
import {
  decodeStatusList,
  readEntry,
  REVOKED_BIT,
  STATE_PURPOSE,
  STATE_SIZE,
} from '../credentials/status-entry.js';

/** How long a wallet or verifier may keep a status list token before fetching it again (seconds). */
export const STATUS_LIST_TTL_SECONDS = 300;

/** Where an IETF Token Status List of one of the installation's status lists answers. */
export function tokenStatusListUrl(publicUrl: string, listId: string): string {
  return `${publicUrl}/wallet/status-lists/${listId}`;
}

/**
 * The IETF Token Status List view of a two-bit state list (the one entry per credential of
 * src/credentials/status-entry.ts): the same entries, in that format's values (0 valid, 1 invalid, 2 suspended),
 * least significant bits first, zlib-deflated. Undefined for lists of another kind.
 */
export async function tokenStatusList(
  listId: string,
): Promise<{ issuerId: string; bits: 2; lst: string } | undefined> {
  const doc = await StatusList.findById(listId, {
    encodedList: 1,
    purpose: 1,
    length: 1,
    issuerId: 1,
  }).lean();
  if (!doc || doc.purpose !== STATE_PURPOSE) return undefined;
  const list = decodeStatusList(doc.encodedList);
  const bytes = new Uint8Array(Math.ceil((doc.length * 2) / 8));
  for (let i = 0; i < doc.length; i++) {
    const value = readEntry(list, i, STATE_SIZE);
    // Revoked (whatever else) is invalid; suspended alone is suspended.
    if (value) bytes[i >> 2]! |= (value & REVOKED_BIT ? 1 : 2) << ((i & 3) * 2);
  }
  return { issuerId: doc.issuerId, bits: 2, lst: deflateSync(bytes).toString('base64url') };
}

/** The status list token: a JWT (`typ` statuslist+jwt) signed EdDSA by the list's issuer. */
export async function statusListToken(
  uri: string,
  list: { bits: 2; lst: string },
  key: Ed25519KeyPair,
  now = new Date(),
): Promise<string> {
  const jwk = (await Ed25519Multikey.toJwk({ keyPair: key, secretKey: true })) as JWK;
  // The multikey's secret is the 32-byte seed followed by the public key; a JWK's `d` is the seed alone.
  jwk.d = Buffer.from(jwk.d!, 'base64url').subarray(0, 32).toString('base64url');
  return new SignJWT({ status_list: list, ttl: STATUS_LIST_TTL_SECONDS })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'statuslist+jwt', kid: key.id! })
    .setSubject(uri)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(await importJWK(jwk, 'EdDSA'));
}
