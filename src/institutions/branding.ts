import { z } from 'zod';
import { BadgeImageError, badgeDataUri } from '../badges/badge-image.js';
import { checkPrintable, PRINT_BOXES } from '../badges/printable.js';
import { Institution } from './institution-model.js';

/**
 * An institution's branding: a main colour and an accent colour (`#rrggbb`) and a logo (PNG or SVG, checked like a
 * badge: an SVG is sanitised). The badges made from it and the certificate use them; without any, the defaults.
 */
export interface Branding {
  color: string;
  accent: string;
  logo?: string;
}

export const DEFAULT_BRANDING: Branding = { color: '#1d4f91', accent: '#f2b705' };

const colour = z
  .string()
  .trim()
  .regex(/^#[0-9a-fA-F]{6}$/, 'problem.colour')
  .transform((c) => c.toLowerCase());

export const brandingColoursSchema = z.strictObject({ color: colour, accent: colour });

/** The logo refused, naming the field and why. */
export class BrandingError extends Error {}

type StoredBranding = { color?: string | null; accent?: string | null; logo?: string | null } | null;

function withDefaults(b: StoredBranding | undefined): Branding {
  return {
    color: b?.color ?? DEFAULT_BRANDING.color,
    accent: b?.accent ?? DEFAULT_BRANDING.accent,
    ...(b?.logo ? { logo: b.logo } : {}),
  };
}

export async function brandingOf(institutionId: string): Promise<Branding> {
  const doc = await Institution.findById(institutionId, { branding: 1 }).lean();
  return withDefaults(doc?.branding);
}

/**
 * New colours, and the logo: a file's bytes to replace it, `null` to remove it, undefined to keep it. Everything is
 * checked before anything is written, so a refused logo leaves the stored branding as it was.
 */
export async function updateBranding(
  institutionId: string,
  colours: unknown,
  logo: Buffer | null | undefined,
): Promise<Branding | undefined> {
  const { color, accent } = brandingColoursSchema.parse(colours);
  let logoUri: string | undefined;
  if (logo) {
    try {
      logoUri = await badgeDataUri(logo);
      await checkPrintable(logoUri, PRINT_BOXES.logo);
    } catch (err) {
      if (err instanceof BadgeImageError) throw new BrandingError(`logo: ${err.message}`);
      throw err;
    }
  }
  const doc = await Institution.findOneAndUpdate(
    { _id: institutionId },
    {
      $set: {
        'branding.color': color,
        'branding.accent': accent,
        ...(logoUri ? { 'branding.logo': logoUri } : {}),
      },
      ...(logo === null ? { $unset: { 'branding.logo': 1 } } : {}),
    },
    { returnDocument: 'after' },
  ).lean();
  return doc ? withDefaults(doc.branding) : undefined;
}
