import { onlyDuplicateKeys } from '../db/duplicate-key.js';
import { WalletClaim } from './wallet-models.js';

/** Takes a claim by inserting its id: true for the one caller that inserted it, false for everyone after. */
export async function claimOnce(id: string, expiresAt: Date): Promise<boolean> {
  try {
    await WalletClaim.create({ _id: id, expiresAt });
    return true;
  } catch (err) {
    if (onlyDuplicateKeys(err)) return false;
    throw err;
  }
}
