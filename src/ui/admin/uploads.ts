import type { RequestHandler } from 'express';
import multer from 'multer';
import { MAX_BADGE_BYTES } from '../../badges/badge-image.js';
import { HttpError } from '../../web/errors.js';

/**
 * The console's file uploads (multipart), parsed before its CSRF check, which reads the form's `_csrf` field: one
 * small file in memory, refused by name when too large.
 */
function singleFile(field: string, maxBytes: number): RequestHandler {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 8, fieldSize: 64 * 1024 },
  }).single(field);
  return (req, res, next) =>
    parse(req, res, (err: unknown) =>
      next(err ? new HttpError(400, 'invalid_upload', `${field}: ${(err as Error).message}`) : undefined),
    );
}

/** The seal import form's PKCS#12 file: a few kilobytes. */
export const sealUpload = singleFile('pkcs12', 64 * 1024);
/** A template's badge picture. */
export const badgeUpload = singleFile('image', MAX_BADGE_BYTES);
/** The institution's logo, checked like a badge picture. */
export const logoUpload = singleFile('logo', MAX_BADGE_BYTES);
