import { Schema, model, type HydratedDocumentFromSchema, type InferSchemaType } from 'mongoose';

/**
 * The outbox row of one award: one per (binding, learner), unique in the database. Its id is also the
 * BullMQ job id and the stored credential's id, which is what makes issuance exactly-once:
 *   awaiting-approval -> queued            (a manual award where the institution requires approval;
 *                                           a refused one is removed, its reason audited)
 *   queued -> signing -> issued            (a worker claims it with one atomic update)
 *   signing -> queued                       (a failed attempt that will be retried)
 *   signing -> failed                       (attempts used up; an instructor can retry -> queued)
 *   issued -> suspended | revoked           (regrade policy or instructor action; suspended -> issued)
 */
export const REQUEST_STATES = [
  'awaiting-approval',
  'queued',
  'signing',
  'issued',
  'failed',
  'suspended',
  'revoked',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** Who a learner is, as the roster said: kept with a request (the credential's subject) and a grade snapshot. */
const learnerFields = {
  name: { type: String, required: true },
  givenName: { type: String },
  familyName: { type: String },
  email: { type: String },
  locale: { type: String },
  gradable: { type: Boolean, default: true },
};

const issuanceRequestSchema = new Schema(
  {
    _id: { type: String, required: true },
    bindingId: { type: String, required: true },
    platformId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    contextId: { type: String, required: true },
    learnerId: { type: String, required: true },
    learner: learnerFields,
    /** The evidence that qualified the learner, kept as issued (the credential's result and audit trail). */
    evidence: { type: Schema.Types.Mixed, default: {} },
    /** Who decided an award that waited for approval, and when. */
    approval: {
      type: new Schema(
        { by: { type: String, required: true }, at: { type: Date, required: true } },
        { _id: false },
      ),
      default: undefined,
    },
    state: { type: String, required: true, enum: REQUEST_STATES, default: 'queued' },
    attempts: { type: Number, required: true, default: 0 },
    lastError: { type: String, default: '' },
    claimedAt: { type: Date },
    issuedAt: { type: Date },
    /** Set when a regrade finds the learner no longer meets the rule (in English; `shortfalls` as data). */
    flagged: { type: String, default: '' },
    /** The instructor's reason for a suspension or revocation, or `regrade` when the regrade policy made it. */
    statusReason: { type: String, default: '' },
    /**
     * What the learner lacked when a regrade flagged, suspended or revoked the request (src/courses/rules.ts
     * `Shortfall`): each screen says it in its reader's language. Removed with the flag, except from a regrade
     * revocation, whose reason it stays.
     */
    shortfalls: { type: [Schema.Types.Mixed], default: undefined },
    writeBack: { type: String, enum: ['none', 'done', 'failed', 'skipped'], default: 'none' },
    /** The learner e-mail: pending until sent, or why none was sent. Sent at least once (SMTP has no undo). */
    notification: { type: String, enum: ['pending', 'sent', 'no-address', 'disabled'], default: 'pending' },
  },
  { timestamps: true, versionKey: false, collection: 'issuance_requests' },
);
issuanceRequestSchema.index({ bindingId: 1, learnerId: 1 }, { unique: true });
issuanceRequestSchema.index({ state: 1, updatedAt: 1 });
// A course's dashboard: its counts by state from the index alone, and a page of one state in order.
issuanceRequestSchema.index({ bindingId: 1, state: 1, createdAt: 1 });
issuanceRequestSchema.index({ platformId: 1, learnerId: 1 });
// The operators' counts (src/issuance/overview.ts): by state and platform from the index alone, and the
// credentials signed lately.
issuanceRequestSchema.index({ state: 1, platformId: 1 });
issuanceRequestSchema.index({ issuedAt: 1 });

export type IssuanceRequestData = InferSchemaType<typeof issuanceRequestSchema>;

/**
 * Requests replaced by a re-issue, kept under their own id (which stays the id of their revoked credential).
 * A separate collection keeps "one active request per (binding, learner)" a plain unique index.
 */
const supersededRequestSchema = issuanceRequestSchema.clone();
supersededRequestSchema.add({
  supersededBy: { type: String, required: true },
  supersededAt: { type: Date, required: true },
  reissueReason: { type: String, default: '' },
});
supersededRequestSchema.set('collection', 'issuance_request_history');
supersededRequestSchema.clearIndexes();
supersededRequestSchema.index({ bindingId: 1, learnerId: 1 });
export type SupersededRequestData = IssuanceRequestData & {
  /** The request (and credential) that replaced this one. */
  supersededBy: string;
  supersededAt: Date;
  reissueReason: string;
};
export const SupersededRequest = model<SupersededRequestData>('SupersededRequest', supersededRequestSchema);
export type IssuanceRequestDoc = HydratedDocumentFromSchema<typeof issuanceRequestSchema>;
export const IssuanceRequest = model('IssuanceRequest', issuanceRequestSchema);

/** What grade sync last saw of a learner in a binding: skip unchanged learners, and answer the dry run. */
const gradeSnapshotSchema = new Schema(
  {
    /**
     * `${bindingId}|${learnerId}`: upserts then find their document by _id, which every MongoDB-compatible
     * server looks up by key (FerretDB 1.x pushes only _id filters down to SQLite, and scans for the rest).
     */
    _id: { type: String, required: true },
    bindingId: { type: String, required: true },
    learnerId: { type: String, required: true },
    fingerprint: { type: String, required: true },
    /** The rule the learner was evaluated under (src/issuance/sync.ts): an edited rule evaluates everyone again. */
    ruleHash: { type: String, default: '' },
    qualified: { type: Boolean, required: true },
    missing: { type: [String], default: [] },
    /**
     * Each outcome met or not, with every piece of evidence against its threshold (src/courses/rules.ts
     * `OutcomeResult.checks`), and the course total: what the learner's progress shows, in their language.
     */
    progress: {
      type: new Schema(
        { outcomes: { type: [Schema.Types.Mixed], default: [] }, courseTotal: Schema.Types.Mixed },
        { _id: false },
      ),
      default: undefined,
    },
    /** Who the roster said the learner is: a manual award goes only to a learner known here, by this name. */
    learner: { type: new Schema(learnerFields, { _id: false }), default: undefined },
  },
  { timestamps: true, versionKey: false, collection: 'grade_snapshots' },
);
gradeSnapshotSchema.index({ bindingId: 1 });
// A learner's progress across the courses of the e-mail link's page.
gradeSnapshotSchema.index({ learnerId: 1 });

export const snapshotId = (bindingId: string, learnerId: string) => `${bindingId}|${learnerId}`;
export const GradeSnapshot = model('GradeSnapshot', gradeSnapshotSchema);
