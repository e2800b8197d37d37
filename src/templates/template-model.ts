import { Schema, model } from 'mongoose';

/** A stored template version. Published versions are immutable: every write is guarded on status "draft". */
const templateSchema = new Schema(
  {
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
templateSchema.index({ key: 1, version: 1 }, { unique: true });

export const Template = model('Template', templateSchema);
