import { createHash, type X509Certificate } from 'node:crypto';

/** Whether the leaf reaches a trust anchor through the CA certificates given, each signed by the next. */
export function chainsToAnchor(
  leaf: X509Certificate,
  intermediates: X509Certificate[],
  anchors: X509Certificate[],
): boolean {
  let current = leaf;
  for (let depth = 0; depth <= intermediates.length; depth++) {
    const anchor = anchors.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
    if (anchor) return true;
    // Only a CA certificate may stand between the leaf and an anchor: a subscriber's end-entity certificate
    // signing a "seal certificate" of its own making is no chain.
    const next = intermediates.find(
      (c) => c !== current && c.ca && current.checkIssued(c) && current.verify(c.publicKey),
    );
    if (!next) return false;
    current = next;
  }
  return false;
}

/** What a seal certificate says of itself, as the console and the verify pages show it. */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  /** The certificate states it is EU qualified (QcCompliance); only a trusted list can confirm it. */
  qualified: boolean;
  /** The certificate states it is for electronic seals (QcType eseal). */
  eseal: boolean;
  /** `x5t#S256`: the base64url SHA-256 of the certificate's DER, as a JAdES header names it. */
  fingerprint: string;
}

/** DER of the QC statement OIDs (ETSI EN 319 412-5): id-etsi-qcs-QcCompliance and id-etsi-qct-eseal. */
const QC_COMPLIANCE = Buffer.from('060604008e460101', 'hex');
const QC_TYPE_ESEAL = Buffer.from('060704008e46010602', 'hex');

/** A distinguished name as Node prints it (one attribute per line, RFC 4514 specials escaped), read as pairs. */
function dnAttributes(dn: string): [string, string][] {
  return dn
    .split('\n')
    .map((line) => [
      line.slice(0, line.indexOf('=')),
      line.slice(line.indexOf('=') + 1).replace(/\\(.)/g, '$1'),
    ]);
}

/** A distinguished name for reading: `O=Atlantic Polytechnic, CN=Seal`, unescaped. */
function readableDn(dn: string): string {
  return dnAttributes(dn)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** The organisation, or failing it the common name, of a distinguished name as Node prints it. */
export function holderName(dn: string): string {
  const parts = new Map(dnAttributes(dn));
  return parts.get('O') ?? parts.get('CN') ?? readableDn(dn);
}

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  return {
    subject: readableDn(cert.subject),
    issuer: readableDn(cert.issuer),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    qualified: cert.raw.includes(QC_COMPLIANCE),
    eseal: cert.raw.includes(QC_TYPE_ESEAL),
    fingerprint: createHash('sha256').update(cert.raw).digest('base64url'),
  };
}
