import { gunzipSync } from 'node:zlib';
import { BitstringStatusList } from '@digitalbazaar/vc-bitstring-status-list';

/**
 * One status entry per credential, covering revocation and suspension: a W3C Bitstring Status List v1.0 entry
 * with `statusPurpose: "message"` and `statusSize: 2`. The OB 3.0 schema allows one `credentialStatus` object
 * and the EDC shapes one value, so the two purposes cannot each have an entry. Of the two bits, the first
 * (most significant) says revoked, the second suspended; `statusMessage` names each of the four values.
 */
export const STATE_PURPOSE = 'message';
export const STATE_SIZE = 2;
export const REVOKED_BIT = 0b10;
export const SUSPENDED_BIT = 0b01;

export const STATE_MESSAGES = [
  { status: '0x0', message: 'valid' },
  { status: '0x1', message: 'suspended' },
  { status: '0x2', message: 'revoked' },
  { status: '0x3', message: 'revoked' },
] as const;

/** The datatype of the EDC form of a status: one literal naming the entry (see statusEntryId). */
export const XSD_ANY_URI = 'http://www.w3.org/2001/XMLSchema#anyURI';

/** Purposes of 1-bit lists: credentials issued before the one-entry design carry one entry of each. */
export type BitPurpose = 'revocation' | 'suspension';
export type ListPurpose = BitPurpose | typeof STATE_PURPOSE;

export interface StatusEntryRef {
  statusPurpose: ListPurpose;
  statusListIndex: number;
  statusListCredential: string;
}

/** The entry's id: the list's URL with the index as fragment (fetching it fetches the list, never the entry). */
export function statusEntryId(ref: StatusEntryRef): string {
  return `${ref.statusListCredential}#${ref.statusListIndex}`;
}

/** The `credentialStatus` object of a VC Data Model 2.0 credential (OB3, VC API). */
export function statusEntry(ref: StatusEntryRef): Record<string, unknown> {
  return {
    id: statusEntryId(ref),
    type: 'BitstringStatusListEntry',
    statusPurpose: ref.statusPurpose,
    statusListIndex: String(ref.statusListIndex),
    statusListCredential: ref.statusListCredential,
    ...(ref.statusPurpose === STATE_PURPOSE
      ? { statusSize: STATE_SIZE, statusMessage: STATE_MESSAGES.map((m) => ({ ...m })) }
      : {}),
  };
}

/** Bits per entry of a list of this purpose. */
export function sizeOf(purpose: string): number {
  return purpose === STATE_PURPOSE ? STATE_SIZE : 1;
}

/** The entry's value: `size` bits from index × size, the first the most significant (the spec's order). */
export function readEntry(list: BitstringStatusList, index: number, size: number): number {
  let value = 0;
  for (let bit = 0; bit < size; bit++) value = (value << 1) | (list.getStatus(index * size + bit) ? 1 : 0);
  return value;
}

export function writeEntry(list: BitstringStatusList, index: number, size: number, value: number): void {
  for (let bit = 0; bit < size; bit++) {
    list.setStatus(index * size + bit, ((value >> (size - 1 - bit)) & 1) === 1);
  }
}

/** The bit of a two-bit entry that a purpose sets (revocation, suspension). */
export function bitOf(purpose: BitPurpose): number {
  return purpose === 'revocation' ? REVOKED_BIT : SUSPENDED_BIT;
}

/** The spec's minimum list size in bits (herd privacy): shorter lists are refused. */
export const MIN_LIST_BITS = 131_072;
/** The largest list read: 16 MB of bits, 128 times the minimum at 8 bits an entry. */
const MAX_LIST_BYTES = 16 * 1024 * 1024;

/**
 * Decodes an `encodedList` (multibase base64url of gzip) with a bound on what it inflates to: the library's
 * decoder has none, so another issuer's list could be a gzip bomb.
 */
export function decodeStatusList(encodedList: string): BitstringStatusList {
  if (!encodedList.startsWith('u')) throw new Error('encodedList must start with "u" (multibase base64url)');
  const compressed = Buffer.from(encodedList.slice(1), 'base64url');
  const bits = gunzipSync(compressed, { maxOutputLength: MAX_LIST_BYTES });
  return new BitstringStatusList({ buffer: new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength) });
}
