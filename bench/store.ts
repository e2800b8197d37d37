/**
 * Which MongoDB-compatible store the benchmark runs on. FerretDB 1.24 over SQLite (what the tests use) finds
 * documents by `_id` through an index but rewrites each updated document with a statement that scans the
 * table, so on it every update costs time in proportion to the collection: a per-credential cost that neither
 * MongoDB (the production store) nor FerretDB over PostgreSQL has. `auto` takes PostgreSQL when one answers.
 */
import { connect } from 'node:net';

export interface StoreChoice {
  kind: 'sqlite' | 'postgresql';
  /** For FerretDB's --postgresql-url. */
  postgresqlUrl?: string;
  description: string;
}

/** BENCH_POSTGRESQL_URL, or the local server's default database as the current user (trust auth). */
function postgresqlUrl(): string {
  return process.env.BENCH_POSTGRESQL_URL ?? 'postgres://127.0.0.1:5432/postgres';
}

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

export type StoreKind = 'auto' | 'sqlite' | 'postgresql';

/** A `--store` value, refused with the choices when it is none of them. */
export function parseStoreKind(value: string): StoreKind {
  if (value === 'auto' || value === 'sqlite' || value === 'postgresql') return value;
  throw new Error('--store must be one of auto, sqlite, postgresql');
}

export async function chooseStore(choice: StoreKind): Promise<StoreChoice> {
  const sqlite: StoreChoice = { kind: 'sqlite', description: 'FerretDB 1.24 over SQLite' };
  if (choice === 'sqlite') return sqlite;
  const url = postgresqlUrl();
  if (await answers(url)) {
    return {
      kind: 'postgresql',
      postgresqlUrl: url,
      description: `FerretDB 1.24 over PostgreSQL (${new URL(url).host})`,
    };
  }
  if (choice === 'postgresql') throw new Error(`--store postgresql: nothing answers at ${url}`);
  return sqlite;
}
