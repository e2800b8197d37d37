import { VC_V1_CONTEXT, VC_V2_CONTEXT } from './contexts.js';
import { XSD_ANY_URI } from './status-entry.js';
import { asList, isObject } from './json-values.js';

export const MAX_PROOFS = 4;
export const MAX_STATUS_ENTRIES = 4;
export const MAX_RELATED_RESOURCES = 10;
const URL_LIKE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * VC Data Model rules the signing library does not enforce, checked before anything outside Credbridge is
 * signed or trusted. Each problem names the field (JSON path) it is about.
 */
export function credentialProblems(credential: unknown): string[] {
  if (!isObject(credential)) return ['(root): a credential must be a JSON object'];
  const c = credential;
  const problems: string[] = [];
  const context = c['@context'];
  if (!Array.isArray(context) || (context[0] !== VC_V2_CONTEXT && context[0] !== VC_V1_CONTEXT)) {
    problems.push(
      `@context: must be an array whose first item is "${VC_V2_CONTEXT}" (or "${VC_V1_CONTEXT}")`,
    );
  }
  if (!asList(c.type).includes('VerifiableCredential'))
    problems.push('type: must include "VerifiableCredential"');
  if ('id' in c && (typeof c.id !== 'string' || !URL_LIKE.test(c.id))) problems.push('id: must be a URL');

  const issuer = c.issuer;
  const issuerId = isObject(issuer) ? issuer.id : issuer;
  if (issuer === undefined) problems.push('issuer: is required');
  else if (typeof issuerId !== 'string' || !URL_LIKE.test(issuerId)) {
    problems.push('issuer: must be a URL or an object whose id is a URL');
  }

  if (c.credentialSubject === undefined) {
    problems.push('credentialSubject: is required');
  } else {
    const subjects = asList(c.credentialSubject);
    if (subjects.length === 0) problems.push('credentialSubject: must not be empty');
    subjects.forEach((s, i) => {
      const at = Array.isArray(c.credentialSubject) ? `credentialSubject[${i}]` : 'credentialSubject';
      if (!isObject(s)) problems.push(`${at}: must be an object`);
      else if (Object.keys(s).length === 0) problems.push(`${at}: must not be an empty object`);
    });
  }

  for (const field of ['validFrom', 'validUntil', 'issuanceDate', 'expirationDate']) {
    const v = c[field];
    if (v !== undefined && (typeof v !== 'string' || !DATE_TIME.test(v))) {
      problems.push(`${field}: must be an XML Schema dateTime with a time zone, e.g. 2025-01-31T12:00:00Z`);
    }
  }
  // Instants, not text: 2025-01-01T00:00:00-06:00 is after 2025-01-01T04:00:00Z.
  const instant = (v: unknown) => (typeof v === 'string' && DATE_TIME.test(v) ? Date.parse(v) : NaN);
  if (instant(c.validUntil) < instant(c.validFrom)) {
    problems.push('validUntil: must not be before validFrom');
  }

  // Each of these needs a type (VC DM 2.0 §4.x): the library accepts them without one.
  for (const field of ['credentialSchema', 'refreshService', 'credentialStatus', 'evidence', 'termsOfUse']) {
    if (c[field] === undefined) continue;
    asList(c[field]).forEach((item, i) => {
      const at = Array.isArray(c[field]) ? `${field}[${i}]` : field;
      // The EDC shapes' form of a status: one xsd:anyURI literal (see src/credentials/elm.ts).
      if (field === 'credentialStatus' && isObject(item) && '@value' in item) {
        if (typeof item['@value'] !== 'string' || (item['@type'] ?? item.type) !== XSD_ANY_URI)
          problems.push(`${at}: a literal status must be a string typed ${XSD_ANY_URI}`);
        return;
      }
      if (!isObject(item)) {
        problems.push(`${at}: must be an object`);
        return;
      }
      const type = item.type;
      if (!(typeof type === 'string' || (Array.isArray(type) && type.length > 0))) {
        problems.push(`${at}.type: is required`);
      }
      if ((field === 'credentialSchema' || field === 'refreshService') && typeof item.id !== 'string') {
        problems.push(`${at}.id: is required and must be a URL`);
      }
    });
  }

  // Each proof makes the verifier resolve a key, each status entry a list, each related resource a download:
  // a credential names few of each, and a verification must not be made to fetch thousands.
  for (const [field, max] of [
    ['proof', MAX_PROOFS],
    ['credentialStatus', MAX_STATUS_ENTRIES],
    ['relatedResource', MAX_RELATED_RESOURCES],
  ] as const) {
    if (Array.isArray(c[field]) && (c[field] as unknown[]).length > max)
      problems.push(`${field}: at most ${max} are accepted`);
  }

  if (c.relatedResource !== undefined) {
    const seen = new Set<string>();
    asList(c.relatedResource).forEach((r, i) => {
      const at = Array.isArray(c.relatedResource) ? `relatedResource[${i}]` : 'relatedResource';
      if (!isObject(r)) {
        problems.push(`${at}: must be an object`);
        return;
      }
      if (typeof r.id !== 'string' || !/^https:\/\/\S+$/.test(r.id))
        problems.push(`${at}.id: must be an https URL`);
      else if (seen.has(r.id)) problems.push(`${at}.id: duplicates another relatedResource id`);
      else seen.add(r.id);
      const sri = r.digestSRI;
      const multibase = r.digestMultibase;
      if (sri === undefined && multibase === undefined) {
        problems.push(`${at}: needs digestSRI or digestMultibase`);
      }
      if (
        sri !== undefined &&
        (typeof sri !== 'string' || sri.length > 200 || !/^sha(256|384|512)-[A-Za-z0-9+/]+=*$/.test(sri))
      ) {
        problems.push(`${at}.digestSRI: must be a Subresource Integrity string, e.g. sha384-...`);
      }
      if (
        multibase !== undefined &&
        (typeof multibase !== 'string' || multibase.length > 200 || !/^[uzm]\S+$/.test(multibase))
      ) {
        problems.push(`${at}.digestMultibase: must be a multibase string`);
      }
    });
  }
  return problems;
}
