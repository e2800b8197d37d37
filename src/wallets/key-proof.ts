import { decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { consumeNonce } from './nonces.js';
import { WalletError } from './offers.js';

/** The `typ` of a key proof (OpenID4VCI 1.0, Appendix F.1). */
export const PROOF_TYPE = 'openid4vci-proof+jwt';
/** Asymmetric algorithms only: never `none`, never a MAC. */
export const PROOF_ALGORITHMS = ['ES256', 'ES384', 'EdDSA'];

/** The members of a public JWK, in a fixed order: the wallet's key, as the credential binds it. */
function publicJwk(jwk: JWK): JWK {
  const members = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;
  return Object.fromEntries(members.filter((m) => jwk[m] !== undefined).map((m) => [m, jwk[m]])) as JWK;
}

export interface HolderKey {
  jwk: JWK;
  /** did:jwk of the key: the holder id an Open Badge is bound to. */
  did: string;
}

/**
 * Verifies a `jwt` key proof: typed as one, signed by the public key it carries in `jwk` (ES256, ES384, EdDSA),
 * for this credential issuer (`aud`), recent (`iat`), and carrying a c_nonce this issuer gave out and that was
 * not used before (used now). invalid_proof or invalid_nonce otherwise, with the reason.
 */
export async function verifyKeyProof(
  proof: string,
  audience: string,
  nonceKey: Buffer,
  now = new Date(),
): Promise<HolderKey> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new WalletError('invalid_proof', 'proofs.jwt: not a JWT');
  }
  if (header.typ !== PROOF_TYPE)
    throw new WalletError('invalid_proof', `proofs.jwt: typ must be ${PROOF_TYPE}`);
  if (!header.alg || !PROOF_ALGORITHMS.includes(header.alg))
    throw new WalletError('invalid_proof', `proofs.jwt: alg must be one of ${PROOF_ALGORITHMS.join(', ')}`);
  const jwk = header.jwk;
  if (!jwk || header.kid !== undefined || header.x5c !== undefined)
    throw new WalletError(
      'invalid_proof',
      'proofs.jwt: the key must be given as jwk (kid and x5c are not supported)',
    );
  if ('d' in jwk) throw new WalletError('invalid_proof', 'proofs.jwt: the jwk holds a private key');
  let payload: Record<string, unknown>;
  try {
    const key = await importJWK(jwk, header.alg);
    ({ payload } = await jwtVerify(proof, key, {
      typ: PROOF_TYPE,
      audience,
      algorithms: PROOF_ALGORITHMS,
      currentDate: now,
      maxTokenAge: '5m',
      clockTolerance: 60,
      requiredClaims: ['iat'],
    }));
  } catch (err) {
    throw new WalletError('invalid_proof', `proofs.jwt: ${(err as Error).message}`);
  }
  if (typeof payload.nonce !== 'string' || !(await consumeNonce(nonceKey, payload.nonce, now)))
    throw new WalletError(
      'invalid_nonce',
      'proofs.jwt: the nonce is missing, unknown, stale or used; fetch a fresh c_nonce',
    );
  const pub = publicJwk(jwk);
  return { jwk: pub, did: `did:jwk:${Buffer.from(JSON.stringify(pub)).toString('base64url')}` };
}
