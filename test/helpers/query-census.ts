import mongoose from 'mongoose';

/**
 * The queries a process sends, captured through mongoose's debug hook, and whether an index of the collection
 * bounds each one: the review docs/operations.md ("Indexes") reports. MongoDB scans only the part of an index a
 * filter bounds on the index's first key (equality, `$in` or a range); without such an index it reads the whole
 * collection (COLLSCAN). This is the planner's rule for choosing an index at all, checked without a MongoDB
 * server, since FerretDB's explain() reports its own backend's plans.
 */
export interface CapturedQuery {
  collection: string;
  method: string;
  /** The filter with each value replaced by how it constrains the field: `eq`, `in`, `range` or `other`. */
  shape: Record<string, unknown>;
  sort?: Record<string, unknown>;
  limited: boolean;
}

const FILTERED_METHODS = new Set([
  'find',
  'findOne',
  'countDocuments',
  'updateOne',
  'updateMany',
  'findOneAndUpdate',
  'findOneAndDelete',
  'findOneAndReplace',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'distinct',
  'aggregate',
]);

type Constraint = 'eq' | 'in' | 'range' | 'other';

function constraintOf(value: unknown): Constraint {
  if (value === null || typeof value !== 'object') return 'eq';
  if (value instanceof Date || value instanceof mongoose.Types.ObjectId || Buffer.isBuffer(value))
    return 'eq';
  if (value instanceof RegExp) return 'other';
  const ops = Object.keys(value);
  if (!ops.some((k) => k.startsWith('$'))) return 'eq'; // a whole subdocument
  if (ops.every((k) => k === '$eq')) return 'eq';
  if (ops.every((k) => k === '$in')) return 'in';
  if (ops.every((k) => ['$gt', '$gte', '$lt', '$lte'].includes(k))) return 'range';
  return 'other';
}

/** `{a: 1, state: {$in: [...]}, $or: [...]}` as `{a: 'eq', state: 'in', $or: [{...}, ...]}`. */
export function shapeOf(filter: Record<string, unknown>): Record<string, unknown> {
  const shape: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filter ?? {})) {
    if (key === '$or' || key === '$and') {
      shape[key] = (value as Record<string, unknown>[]).map(shapeOf);
    } else if (!key.startsWith('$')) {
      shape[key] = constraintOf(value);
    }
  }
  return shape;
}

/** Starts capturing; returns the queries so far and a function that stops. */
export function captureQueries(): { queries: CapturedQuery[]; stop(): void } {
  const queries: CapturedQuery[] = [];
  mongoose.set('debug', (collection: string, method: string, ...args: unknown[]) => {
    if (!FILTERED_METHODS.has(method)) return;
    let filter: Record<string, unknown> = {};
    let options: Record<string, unknown> = {};
    if (method === 'aggregate') {
      const first = (args[0] as Record<string, unknown>[])[0] ?? {};
      filter = (first.$match as Record<string, unknown>) ?? {};
    } else if (method === 'distinct') {
      filter = (args[1] as Record<string, unknown>) ?? {};
    } else {
      filter = (args[0] as Record<string, unknown>) ?? {};
      // find(filter, options), findOneAndUpdate(filter, update, options); updates carry no sort or limit.
      const at = ['find', 'findOne', 'countDocuments'].includes(method)
        ? 1
        : method.startsWith('findOneAnd')
          ? 2
          : -1;
      options = ((at >= 0 ? args[at] : undefined) ?? {}) as Record<string, unknown>;
    }
    queries.push({
      collection,
      method,
      shape: shapeOf(filter),
      ...(options.sort ? { sort: options.sort as Record<string, unknown> } : {}),
      limited: typeof options.limit === 'number' || method.endsWith('One') || method === 'findOne',
    });
  });
  return { queries, stop: () => mongoose.set('debug', false) };
}

/** The fields a filter shape bounds (equality, `$in`, range), for one branch of any `$or`. */
function branches(shape: Record<string, unknown>): Set<string>[] {
  const own = Object.entries(shape)
    .filter(([k, c]) => !k.startsWith('$') && c !== 'other')
    .map(([k]) => k);
  let result: Set<string>[] = [new Set(own)];
  for (const [key, value] of Object.entries(shape)) {
    if (key === '$and') {
      for (const part of value as Record<string, unknown>[]) {
        result = result.flatMap((r) => branches(part).map((b) => new Set([...r, ...b])));
      }
    } else if (key === '$or') {
      const alternatives = (value as Record<string, unknown>[]).flatMap(branches);
      result = result.flatMap((r) => alternatives.map((b) => new Set([...r, ...b])));
    }
  }
  return result;
}

export type IndexKeys = Record<string, unknown>[];

/**
 * The index that bounds the query (for each `$or` branch), or why none does. A query without a filter is bounded
 * by an index whose first key it sorts on when it also has a limit (the newest 50 audit events).
 */
export function servingIndex(query: CapturedQuery, indexes: IndexKeys): string | undefined {
  const firstKeys = indexes.map((k) => Object.keys(k)[0]!);
  const served = branches(query.shape).every((bounded) => firstKeys.some((f) => bounded.has(f)));
  if (served) return 'bounded';
  const sortFirst = query.sort ? Object.keys(query.sort)[0] : undefined;
  if (Object.keys(query.shape).length === 0 && query.limited && sortFirst && firstKeys.includes(sortFirst))
    return 'sorted with a limit';
  return undefined;
}

/** One line per distinct query: collection, method, shape and sort. */
export function describeQuery(q: CapturedQuery): string {
  return `${q.collection}.${q.method}(${JSON.stringify(q.shape)}${q.sort ? `, sort ${JSON.stringify(q.sort)}` : ''})`;
}
