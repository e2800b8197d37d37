import { Schema, model } from 'mongoose';

/** A stored template version. Published versions are immutable: every write is guarded on status "draft". */
const templateSchema = new Schema(
  {
    /** The institution that owns the template: its courses alone may enable it. */
    institutionId: { type: String, required: true },
    key: { type: String, required: true },
    version: { type: Number, required: true },
    status: { type: String, required: true, enum: ['draft', 'published', 'archived'] },
    data: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
    publishedAt: { type: Date },
    archivedAt: { type: Date },
  },
  { versionKey: false, minimize: false },
);
// Keys are the institution's own: two institutions may both have a "data-analysis" template.
templateSchema.index({ institutionId: 1, key: 1, version: 1 }, { unique: true });
templateSchema.index({ institutionId: 1, status: 1 });

export const Template = model('Template', templateSchema);
