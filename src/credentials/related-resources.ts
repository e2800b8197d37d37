import { createHash } from 'node:crypto';
import { asList, isObject } from './json-values.js';

/** Fetches a related resource's bytes (through the outbound guard in the app); throws when it cannot. */
export type ResourceFetch = (url: string) => Promise<Uint8Array>;

/** The hash a digest names, and the digest's bytes. */
interface Digest {
  algorithm: 'sha256' | 'sha384' | 'sha512';
  bytes: Buffer;
}

const SRI = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+=*)$/;
/** Multihash codes (varint, all one byte here) of the SHA-2 functions. */
const MULTIHASH_CODES: Record<number, Digest['algorithm']> = {
  0x12: 'sha256',
  0x20: 'sha384',
  0x13: 'sha512',
};

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58btc(text: string): Buffer | undefined {
  let value = 0n;
  for (const char of text) {
    const digit = BASE58.indexOf(char);
    if (digit < 0) return undefined;
    value = value * 58n + BigInt(digit);
  }
  const hex = value === 0n ? '' : value.toString(16);
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  const zeros = text.length - text.replace(/^1+/, '').length;
  return Buffer.concat([Buffer.alloc(zeros), body]);
}

/** `digestSRI`: a Subresource Integrity string, e.g. sha384-<base64>. */
export function parseSri(value: string): Digest | undefined {
  const match = SRI.exec(value);
  if (!match) return undefined;
  return { algorithm: match[1] as Digest['algorithm'], bytes: Buffer.from(match[2]!, 'base64') };
}

/** `digestMultibase`: a multibase (u base64url, m base64, z base58btc) multihash of SHA-256, -384 or -512. */
export function parseMultibase(value: string): Digest | undefined {
  if (value.length > 200) return undefined; // a SHA-512 multihash is under 100 characters in any of these bases
  const [prefix, rest] = [value[0], value.slice(1)];
  const decoded =
    prefix === 'u'
      ? Buffer.from(rest, 'base64url')
      : prefix === 'm'
        ? Buffer.from(rest, 'base64')
        : prefix === 'z'
          ? base58btc(rest)
          : undefined;
  if (!decoded || decoded.length < 2) return undefined;
  const algorithm = MULTIHASH_CODES[decoded[0]!];
  const length = decoded[1]!;
  if (!algorithm || decoded.length !== length + 2) return undefined;
  return { algorithm, bytes: decoded.subarray(2) };
}

/**
 * Problems with a credential's `relatedResource` digests (VC Data Model 2.0 §5.3): each resource is fetched and
 * must match every digest given for it. Empty when the credential has none, or all match. The shapes are
 * checked elsewhere (input-checks.ts); a digest that cannot be read is reported here too.
 */
export async function relatedResourceProblems(
  credential: Record<string, unknown>,
  fetchResource: ResourceFetch,
): Promise<string[]> {
  const related = credential.relatedResource;
  if (related === undefined) return [];
  const list = asList(related);
  const problems: string[] = [];
  // One at a time: a verification never has more than a few downloads in flight.
  for (const [i, r] of list.entries()) {
    const at = Array.isArray(related) ? `relatedResource[${i}]` : 'relatedResource';
    if (!isObject(r) || typeof r.id !== 'string') continue;
    const digests: [string, Digest | undefined][] = [];
    if (typeof r.digestSRI === 'string') digests.push(['digestSRI', parseSri(r.digestSRI)]);
    if (typeof r.digestMultibase === 'string')
      digests.push(['digestMultibase', parseMultibase(r.digestMultibase)]);
    let bytes: Uint8Array;
    try {
      bytes = await fetchResource(r.id);
    } catch {
      problems.push(`${at}: ${r.id} could not be fetched to check its digest`);
      continue;
    }
    for (const [field, digest] of digests) {
      if (!digest) {
        problems.push(`${at}.${field}: not a SHA-256, SHA-384 or SHA-512 digest this installation can read`);
      } else if (!createHash(digest.algorithm).update(bytes).digest().equals(digest.bytes)) {
        problems.push(`${at}.${field}: does not match the resource at ${r.id}`);
      }
    }
  }
  return problems;
}
