import { Schema, model, type HydratedDocumentFromSchema, type InferSchemaType } from 'mongoose';

/**
 * A template enabled in one course of one platform and deployment, with the rule that earns it.
 * Every lookup filters on (platformId, deploymentId, contextId), so courses never see each other's bindings.
 */
const courseBindingSchema = new Schema(
  {
    /** The institution of the course's platform: the binding's template and issuer are this institution's. */
    institutionId: { type: String, required: true },
    platformId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    /** The LMS's course id (LTI context id). */
    contextId: { type: String, required: true },
    /** The tool's record of that course (LtiCourse id), which the course API and sessions name. */
    courseId: { type: String, required: true },
    courseTitle: { type: String, default: '' },
    templateId: { type: String, required: true },
    /** The published version this course issues; later versions need a deliberate switch. */
    templateVersion: { type: Number, required: true },
    issuerId: { type: String, required: true },
    /** Validated with ruleSchema (src/courses/rules.ts) before every save. */
    rule: { type: Schema.Types.Mixed, required: true },
    source: {
      kind: { type: String, required: true, enum: ['ags', 'manual', 'moodle', 'canvas'], default: 'ags' },
      lineItemsUrl: { type: String, default: '' },
      membershipsUrl: { type: String, default: '' },
    },
    /** Line item the tool writes a score and "credential issued" comment to, when the course has one. */
    writeBackLineItemUrl: { type: String, default: '' },
    /** What happens to an issued credential when its learner no longer meets the rule after a regrade. */
    regradePolicy: { type: String, required: true, enum: ['keep', 'suspend', 'revoke'], default: 'keep' },
    enabled: { type: Boolean, required: true, default: true },
    lastActiveAt: { type: Date, default: () => new Date() },
    /**
     * Counts sync requests. A request that arrives while a sync runs is folded by the queue into the running job
     * (one job id per binding), so the job compares this count before and after and syncs again if it moved.
     */
    syncRequests: { type: Number, default: 0 },
    sync: {
      status: { type: String, enum: ['never', 'running', 'ok', 'partial', 'failed'], default: 'never' },
      at: { type: Date },
      problems: { type: [String], default: [] },
      /** What the instructor should know that did not stop issuing (the roster and the LMS API differ). */
      notes: { type: [String], default: [] },
      learners: { type: Number, default: 0 },
      qualified: { type: Number, default: 0 },
      /** Learners whose evidence changed since the previous sync, and requests this sync recorded. */
      changed: { type: Number, default: 0 },
      newRequests: { type: Number, default: 0 },
    },
  },
  { timestamps: true, versionKey: false, collection: 'course_bindings' },
);
courseBindingSchema.index({ platformId: 1, deploymentId: 1, contextId: 1, templateId: 1 }, { unique: true });
courseBindingSchema.index({ courseId: 1 });
courseBindingSchema.index({ enabled: 1, lastActiveAt: -1 });

export type CourseBindingData = InferSchemaType<typeof courseBindingSchema>;
export type CourseBindingDoc = HydratedDocumentFromSchema<typeof courseBindingSchema>;
export const CourseBinding = model('CourseBinding', courseBindingSchema);
