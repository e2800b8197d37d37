import { Schema, model, type InferSchemaType } from 'mongoose';
import { registerExpiring } from '../expiry.js';

/** Who did what, when, to which record. Kept for AUDIT_RETENTION_DAYS, then removed by the maintenance job. */
const auditEventSchema = new Schema(
  {
    at: { type: Date, required: true, default: () => new Date() },
    actor: {
      kind: { type: String, required: true, enum: ['admin', 'instructor', 'learner', 'system', 'public'] },
      id: { type: String, required: true },
    },
    /** The institution the event belongs to; absent for the installation's own (operator) events. */
    institutionId: { type: String },
    action: { type: String, required: true },
    target: {
      kind: { type: String, required: true },
      id: { type: String, required: true },
    },
    details: { type: Schema.Types.Mixed, default: {} },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false },
);
auditEventSchema.index({ at: -1 });
auditEventSchema.index({ institutionId: 1, at: -1 });

export type AuditEventDoc = InferSchemaType<typeof auditEventSchema>;
export const AuditEvent = model('AuditEvent', auditEventSchema);
registerExpiring(AuditEvent.modelName);

export async function recordAudit(
  event: Omit<AuditEventDoc, 'at' | 'expiresAt' | 'details' | 'institutionId'> & {
    institutionId?: string;
    details?: Record<string, unknown>;
  },
  retentionDays: number,
): Promise<void> {
  const at = new Date();
  await AuditEvent.create({
    ...event,
    at,
    expiresAt: new Date(at.getTime() + retentionDays * 86_400_000),
  });
}
