import { Schema, model } from 'mongoose';

/**
 * Canvas's LTI ids differ from its REST ids: `sub` is an opaque LTI id and `context.id` a hash. The tool's
 * Canvas configuration asks for the custom fields `canvas_user_id=$Canvas.user.id` and
 * `canvas_course_id=$Canvas.course.id` (src/lti/canvas-config.ts); each launch records the pairs here, and
 * the Canvas grade source maps REST ids back to LTI ids through them. A learner appears in grade sync once
 * they have launched the tool from the course (before that, the tool has no LTI id to issue to).
 */
const userLinkSchema = new Schema(
  {
    platformId: { type: String, required: true },
    lmsUserId: { type: String, required: true },
    sub: { type: String, required: true },
  },
  { timestamps: true, versionKey: false, collection: 'lms_user_links' },
);
userLinkSchema.index({ platformId: 1, lmsUserId: 1 }, { unique: true });
export const LmsUserLink = model('LmsUserLink', userLinkSchema);

const courseLinkSchema = new Schema(
  {
    platformId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    contextId: { type: String, required: true },
    lmsCourseId: { type: String, required: true },
  },
  { timestamps: true, versionKey: false, collection: 'lms_course_links' },
);
courseLinkSchema.index({ platformId: 1, deploymentId: 1, contextId: 1 }, { unique: true });
export const LmsCourseLink = model('LmsCourseLink', courseLinkSchema);

const CUSTOM_CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/custom';
const CONTEXT_CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/context';

/** Canvas substitutes numeric ids; an unsubstituted `$Canvas.user.id` means the field is not available. */
const canvasId = (v: unknown): string | undefined =>
  typeof v === 'string' && /^\d+$/.test(v)
    ? v
    : typeof v === 'number' && Number.isInteger(v)
      ? String(v)
      : undefined;

/** Records the REST ids a Canvas launch carries; call it from the launch with the validated id_token claims. */
export async function recordCanvasLaunchIds(
  platformId: string,
  deploymentId: string,
  claims: Record<string, unknown>,
): Promise<void> {
  const custom = (claims[CUSTOM_CLAIM] ?? {}) as Record<string, unknown>;
  const context = (claims[CONTEXT_CLAIM] ?? {}) as { id?: unknown };
  const userId = canvasId(custom.canvas_user_id);
  const courseId = canvasId(custom.canvas_course_id);
  const writes: Promise<unknown>[] = [];
  if (userId && typeof claims.sub === 'string') {
    writes.push(
      LmsUserLink.updateOne(
        { platformId, lmsUserId: userId },
        { $set: { sub: claims.sub } },
        { upsert: true },
      ),
    );
  }
  if (courseId && typeof context.id === 'string') {
    writes.push(
      LmsCourseLink.updateOne(
        { platformId, deploymentId, contextId: context.id },
        { $set: { lmsCourseId: courseId } },
        { upsert: true },
      ),
    );
  }
  await Promise.all(writes);
}

export async function canvasCourseId(
  platformId: string,
  deploymentId: string,
  contextId: string,
): Promise<string | undefined> {
  const link = await LmsCourseLink.findOne({ platformId, deploymentId, contextId }).lean();
  return link?.lmsCourseId;
}

/** Canvas REST user id -> LTI `sub`, for the given REST ids. */
export async function canvasUserSubs(platformId: string, lmsUserIds: string[]): Promise<Map<string, string>> {
  const links = await LmsUserLink.find({ platformId, lmsUserId: { $in: lmsUserIds } }).lean();
  return new Map(links.map((l) => [l.lmsUserId, l.sub]));
}
