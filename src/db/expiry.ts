import mongoose from 'mongoose';

/**
 * Stand-in for TTL indexes, which FerretDB lacks: each model registered here keeps an indexed
 * `expiresAt` date, and the maintenance job deletes the documents whose date has passed.
 */
const expiringModels = new Set<string>();

export function registerExpiring(modelName: string): void {
  expiringModels.add(modelName);
}

/** Deletes expired documents of every registered model; returns how many went, per model. */
export async function deleteExpired(now = new Date()): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  for (const name of expiringModels) {
    const result = await mongoose.model(name).deleteMany({ expiresAt: { $lte: now } });
    removed[name] = result.deletedCount;
  }
  return removed;
}
