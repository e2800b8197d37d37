import { X509Certificate } from 'node:crypto';

/** The certificates of a PEM text, in order; a block that is not a certificate is named (`what` says of what). */
export function readPemCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new Error(`certificate ${i + 1} of ${what} is not a valid X.509 certificate`);
    }
  });
}

/** The CA certificates of a PEM bundle (a file of trust anchors). */
export function readTrustAnchors(pem: string): X509Certificate[] {
  return readPemCertificates(pem, 'the trust anchors');
}
