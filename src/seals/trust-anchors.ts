import { X509Certificate } from 'node:crypto';

/** The CA certificates of a PEM bundle (a file of trust anchors); a block that is not a certificate is named. */
export function readTrustAnchors(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new Error(`certificate ${i + 1} of the trust anchors is not a valid X.509 certificate`);
    }
  });
}
