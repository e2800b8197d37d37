import { parse } from 'csv-parse/sync';
import { Schema, model } from 'mongoose';
import type { LearnerEvidence } from '../courses/rules.js';
import { emptyEvidence, type CourseSnapshot, type GradeSource } from './source.js';

/** Results an instructor entered or imported for one learner of one binding (the manual grade source). */
const manualResultSchema = new Schema(
  {
    bindingId: { type: String, required: true },
    learnerId: { type: String, required: true },
    name: { type: String, required: true },
    email: { type: String },
    /** Grade items by name: `{score, max}`. */
    scores: { type: Schema.Types.Mixed, default: {} },
  },
  { timestamps: true, versionKey: false, minimize: false, collection: 'manual_results' },
);
manualResultSchema.index({ bindingId: 1, learnerId: 1 }, { unique: true });
export const ManualResult = model('ManualResult', manualResultSchema);

export class CsvImportError extends Error {
  constructor(readonly problems: string[]) {
    super(`the CSV file has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
    this.name = 'CsvImportError';
  }
}

export interface CsvRow {
  learnerId: string;
  name: string;
  email?: string;
  item: string;
  score: number;
  max: number;
}

const COLUMNS = ['learner_id', 'name', 'email', 'item', 'score', 'max'] as const;
const MAX_ROWS = 200_000;

/**
 * Parses a results file: a header `learner_id,name,email,item,score,max` (name and e-mail are for the reader of
 * the file: the roster's are stored), then one row per learner and grade item. Every problem is reported with
 * its line and column; nothing is stored unless all rows are valid.
 */
export function parseResultsCsv(csv: string): CsvRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(csv, {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
    });
  } catch (err) {
    throw new CsvImportError([(err as Error).message]);
  }
  const header = Object.keys(records[0] ?? {});
  const missing = COLUMNS.filter((c) => c !== 'email' && !header.includes(c));
  if (records.length === 0) throw new CsvImportError(['the file has no rows after the header']);
  if (missing.length) throw new CsvImportError(missing.map((c) => `line 1: column "${c}" is missing`));
  if (records.length > MAX_ROWS) throw new CsvImportError([`at most ${MAX_ROWS} rows per file`]);

  const problems: string[] = [];
  const rows = records.map((r, i) => {
    const line = i + 2;
    const score = Number(r.score);
    const max = Number(r.max);
    if (!r.learner_id) problems.push(`line ${line}: learner_id is empty`);
    if (!r.name) problems.push(`line ${line}: name is empty`);
    if (!r.item) problems.push(`line ${line}: item is empty`);
    if (r.score === '' || !Number.isFinite(score) || score < 0)
      problems.push(`line ${line}: score "${r.score}" is not a number >= 0`);
    if (r.max === '' || !Number.isFinite(max) || max <= 0)
      problems.push(`line ${line}: max "${r.max}" is not a number > 0`);
    else if (score > max) problems.push(`line ${line}: score ${score} is above max ${max}`);
    return {
      learnerId: r.learner_id ?? '',
      name: r.name ?? '',
      email: r.email || undefined,
      item: r.item ?? '',
      score,
      max,
    };
  });
  if (problems.length) throw new CsvImportError(problems.slice(0, 50));
  return rows;
}

/** A learner as the LMS's roster lists them: who results may be imported for, and under which name. */
export interface RosterEntry {
  id: string;
  name: string;
  email?: string;
}

/**
 * Results are the instructor's data, but the people are the LMS's: every row must name a learner the course's
 * roster lists (each one that does not is named with its line), and the name and e-mail stored are the
 * roster's, whatever the file says, so a file can neither invent a learner nor send a credential elsewhere.
 */
export function rowsOfRoster(rows: CsvRow[], roster: RosterEntry[]): CsvRow[] {
  const byId = new Map(roster.map((r) => [r.id, r]));
  const problems: string[] = [];
  const checked = rows.map((row, i) => {
    const learner = byId.get(row.learnerId);
    if (!learner) {
      problems.push(
        `line ${i + 2}: learner_id "${row.learnerId}" is not a learner of this course in the LMS`,
      );
      return row;
    }
    return { ...row, name: learner.name, email: learner.email };
  });
  if (problems.length) throw new CsvImportError(problems.slice(0, 50));
  return checked;
}

/** Stores parsed rows for a binding, one upsert per learner; returns how many learners were touched. */
export async function importResults(bindingId: string, rows: CsvRow[]): Promise<number> {
  const byLearner = new Map<
    string,
    { name: string; email?: string; scores: Record<string, { score: number; max: number }> }
  >();
  for (const row of rows) {
    const entry = byLearner.get(row.learnerId) ?? { name: row.name, email: row.email, scores: {} };
    entry.scores[row.item] = { score: row.score, max: row.max };
    byLearner.set(row.learnerId, entry);
  }
  if (byLearner.size === 0) return 0;
  await ManualResult.bulkWrite(
    [...byLearner].map(([learnerId, e]) => ({
      updateOne: {
        filter: { bindingId, learnerId },
        update: {
          $set: {
            name: e.name,
            email: e.email ?? '',
            ...Object.fromEntries(
              Object.entries(e.scores).map(([item, s]) => [`scores.${encodeItem(item)}`, s]),
            ),
          },
        },
        upsert: true,
      },
    })),
    { ordered: false },
  );
  return byLearner.size;
}

/** Item names become object keys: keep them clear of MongoDB's path and operator characters. */
function encodeItem(item: string): string {
  return item.replace(/[.$%]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

function decodeItem(key: string): string {
  return key.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The instructor's own results (CSV imports) as a grade source. Items are identified by their names. */
export class ManualGradeSource implements GradeSource {
  readonly kind = 'manual';

  constructor(private readonly bindingId: string) {}

  async snapshot(): Promise<CourseSnapshot> {
    const results = await ManualResult.find({ bindingId: this.bindingId }).lean();
    const items = new Map<string, number>();
    const evidence = new Map<string, LearnerEvidence>();
    for (const r of results) {
      const e = emptyEvidence();
      for (const [key, s] of Object.entries(
        (r.scores ?? {}) as Record<string, { score: number; max: number }>,
      )) {
        const item = decodeItem(key);
        e.scores[item] = { score: s.score, max: s.max };
        items.set(item, Math.max(items.get(item) ?? 0, s.max));
      }
      evidence.set(r.learnerId, e);
    }
    return {
      learners: results.map((r) => ({
        id: r.learnerId,
        name: r.name,
        email: r.email || undefined,
        gradable: true,
      })),
      options: [...items].map(([id, max]) => ({ kind: 'assessment' as const, id, name: id, max })),
      evidence,
      complete: true,
      problems: [],
    };
  }
}
