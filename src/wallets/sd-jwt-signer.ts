import { sign, X509Certificate } from 'node:crypto';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import { sealAlgorithm, type SealKey } from '../seals/jades-seal.js';
import { activeSeal, sealKey } from '../seals/seals.js';

/** Who signs an SD-JWT VC: its JWS algorithm, how the header names the key, and the signature of the input. */
export interface SdJwtSigner {
  alg: string;
  /** `kid` (a key of the issuer's jwt-vc-issuer metadata) or `x5c` (the seal certificate chain). */
  header: Record<string, unknown>;
  sign(input: string): Promise<string>;
}

/** The awarding body's own Ed25519 key, named by `kid` in its jwt-vc-issuer metadata. */
export function issuerKeySigner(key: Ed25519KeyPair): SdJwtSigner {
  const signer = key.signer();
  return {
    alg: 'EdDSA',
    header: { kid: key.id },
    sign: async (input) =>
      Buffer.from(await signer.sign({ data: new TextEncoder().encode(input) })).toString('base64url'),
  };
}

const DIGESTS: Record<string, string> = {
  RS256: 'sha256',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};

/** The institution's seal: its certificate chain as `x5c`, which EU wallets check against their trusted lists. */
export function sealSigner(seal: SealKey): SdJwtSigner {
  const alg = sealAlgorithm(seal.privateKey);
  const ecdsa = alg.startsWith('ES');
  return {
    alg,
    header: { x5c: seal.certificates.map((c) => c.raw.toString('base64')) },
    sign: async (input) =>
      sign(DIGESTS[alg]!, Buffer.from(input), {
        key: seal.privateKey,
        ...(ecdsa ? { dsaEncoding: 'ieee-p1363' as const } : {}),
      }).toString('base64url'),
  };
}

/** The seal while the institution has one in date, else the awarding body's key. */
export async function sdJwtSigner(
  institutionId: string,
  key: Ed25519KeyPair,
  kek: Buffer,
): Promise<SdJwtSigner> {
  const seal = await activeSeal(institutionId);
  return seal && seal.validTo.getTime() > Date.now() ? sealSigner(sealKey(seal, kek)) : issuerKeySigner(key);
}

/** The algorithm the institution's SD-JWT VCs are signed with now, for the issuer metadata. */
export async function sdJwtAlgorithm(institutionId: string): Promise<string> {
  const seal = await activeSeal(institutionId);
  return seal && seal.validTo.getTime() > Date.now()
    ? sealAlgorithm(new X509Certificate(seal.certificates[0]!).publicKey)
    : 'EdDSA';
}
