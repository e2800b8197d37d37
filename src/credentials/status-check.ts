import * as vc from '@digitalbazaar/vc';
import type { DocumentLoader } from './document-loader.js';
import { MAX_STATUS_ENTRIES } from './input-checks.js';
import { asList, isObject } from './json-values.js';
import {
  MIN_LIST_BITS,
  STATE_MESSAGES,
  STATE_PURPOSE,
  decodeStatusList,
  readEntry,
  sizeOf,
} from './status-entry.js';
import type { BitstringStatusList } from '@digitalbazaar/vc-bitstring-status-list';
import { verifySuites } from './verify-suites.js';

export interface StatusOutcome {
  ok: boolean;
  message: string;
}

interface Entry {
  listUrl: string;
  index: number;
  /** From the entry; absent for the EDC form, which names only the entry (the list's purpose then decides). */
  purpose?: string;
  size?: number;
  messages?: { status: string; message: string }[];
}

/**
 * Reads one `credentialStatus` value: a BitstringStatusListEntry (VC 2.0, OB3), or the EDC form, an
 * xsd:anyURI literal naming the entry as `<list URL>#<index>` (the ELM documents this installation issues).
 */
function parseEntry(value: unknown): Entry | string {
  if (isObject(value) && typeof value['@value'] === 'string') {
    const [listUrl, fragment] = value['@value'].split('#');
    const index = Number(fragment);
    if (!listUrl || !fragment || !Number.isSafeInteger(index) || index < 0)
      return `status ${value['@value']} is not a status list entry (<list URL>#<index>)`;
    return { listUrl, index };
  }
  if (!isObject(value)) return 'credentialStatus is not an object';
  const types = asList(value.type);
  if (!types.includes('BitstringStatusListEntry'))
    return `status type ${JSON.stringify(value.type)} is not understood (only BitstringStatusListEntry)`;
  const index = Number(value.statusListIndex);
  if (typeof value.statusListIndex !== 'string' || !Number.isSafeInteger(index) || index < 0)
    return 'statusListIndex is not a non-negative integer';
  if (typeof value.statusListCredential !== 'string') return 'statusListCredential is missing';
  const size = value.statusSize === undefined ? 1 : Number(value.statusSize);
  if (!Number.isInteger(size) || size < 1 || size > 8) return 'statusSize is not an integer from 1 to 8';
  return {
    listUrl: value.statusListCredential,
    index,
    purpose: typeof value.statusPurpose === 'string' ? value.statusPurpose : undefined,
    size,
    messages: Array.isArray(value.statusMessage)
      ? (value.statusMessage as { status: string; message: string }[])
      : undefined,
  };
}

function issuerId(credential: Record<string, unknown>): unknown {
  const issuer = credential.issuer;
  return isObject(issuer) ? issuer.id : issuer;
}

const NOT_SET = 'not revoked or suspended';

/** What a value means: the entry's own statusMessage, else the purpose's (set means revoked or suspended). */
function describe(value: number, purpose: string, entry: Entry): StatusOutcome {
  const hex = `0x${value.toString(16)}`;
  const messages = entry.messages ?? (purpose === STATE_PURPOSE ? [...STATE_MESSAGES] : undefined);
  if (messages) {
    const named = messages.find((m) => typeof m?.status === 'string' && m.status.toLowerCase() === hex);
    const message = typeof named?.message === 'string' ? named.message.slice(0, 200) : `status ${hex}`;
    return value === 0 ? { ok: true, message: NOT_SET } : { ok: false, message };
  }
  if (value === 0) return { ok: true, message: NOT_SET };
  return { ok: false, message: purpose === 'revocation' ? 'revoked' : 'suspended' };
}

async function checkEntry(
  credential: Record<string, unknown>,
  entry: Entry,
  documentLoader: DocumentLoader,
  now: Date,
): Promise<StatusOutcome> {
  let list: Record<string, unknown>;
  try {
    list = (await documentLoader(entry.listUrl)).document as Record<string, unknown>;
  } catch (err) {
    return { ok: false, message: `status list ${entry.listUrl} unavailable: ${(err as Error).message}` };
  }
  const subject = isObject(list.credentialSubject) ? list.credentialSubject : {};
  const listPurposes = asList(subject.statusPurpose);
  const purpose = entry.purpose ?? (listPurposes.length === 1 ? String(listPurposes[0]) : '');
  if (!listPurposes.includes(purpose))
    return {
      ok: false,
      message: `status list ${entry.listUrl} is not a ${purpose || 'single-purpose'} list`,
    };
  if (issuerId(list) !== issuerId(credential))
    return { ok: false, message: `status list ${entry.listUrl} has another issuer than the credential` };
  const until = typeof list.validUntil === 'string' ? Date.parse(list.validUntil) : NaN;
  if (until <= now.getTime()) return { ok: false, message: `status list ${entry.listUrl} has expired` };
  const verified = await vc.verifyCredential({ credential: list, suite: verifySuites, documentLoader });
  if (!verified.verified)
    return { ok: false, message: `status list ${entry.listUrl} signature not verified` };
  const size = entry.size ?? sizeOf(purpose);
  let bits: BitstringStatusList;
  try {
    bits = decodeStatusList(String(subject.encodedList));
  } catch {
    return { ok: false, message: `status list ${entry.listUrl} cannot be decoded (or is too large)` };
  }
  if (bits.length < MIN_LIST_BITS)
    return {
      ok: false,
      message: `status list ${entry.listUrl} is shorter than the spec's minimum of ${MIN_LIST_BITS} bits`,
    };
  if ((entry.index + 1) * size > bits.length)
    return { ok: false, message: `status index ${entry.index} is beyond the list's end` };
  return describe(readEntry(bits, entry.index, size), purpose, entry);
}

/**
 * Checks every status entry of a credential against its signed status list (W3C Bitstring Status List v1.0,
 * entries of any `statusSize`): the list must be the credential issuer's, verified and of the entry's purpose.
 * Written here rather than taken from @digitalbazaar/vc-bitstring-status-list, which reads one bit per entry.
 */
export async function checkCredentialStatus(
  credential: Record<string, unknown>,
  documentLoader: DocumentLoader,
  now = new Date(),
): Promise<StatusOutcome> {
  const values = asList(credential.credentialStatus);
  if (values.length > MAX_STATUS_ENTRIES)
    return { ok: false, message: `at most ${MAX_STATUS_ENTRIES} status entries are checked` };
  const outcomes: StatusOutcome[] = [];
  for (const value of values) {
    const entry = parseEntry(value);
    outcomes.push(
      typeof entry === 'string'
        ? { ok: false, message: entry }
        : await checkEntry(credential, entry, documentLoader, now),
    );
  }
  const failed = outcomes.filter((o) => !o.ok);
  return failed.length
    ? { ok: false, message: [...new Set(failed.map((o) => o.message))].join(', ') }
    : { ok: true, message: NOT_SET };
}
