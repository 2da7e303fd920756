/**
 * A replicated cache as of known transactions, for a process that restarts:
 * `client.snapshot()` takes it, `connect({ resume })` starts from it, and
 * each table's monitor_cond_since then asks the server only for what changed
 * since. The server decides: a transaction it no longer remembers (or one
 * from another database) gets the table's full content, diffed against the
 * rows loaded, so a stale snapshot costs time, never correctness.
 */
import type { DatabaseCache } from './cache.js';
import { ZERO_UUID } from './codec.js';
import { isObject, type DatabaseSchema } from './schema.js';
import type { Row } from './types.js';

export interface TableSnapshot {
  columns: readonly string[];
  rows: readonly Row[];
  /** The last transaction these rows reflect (the monitor's last-txn-id). */
  lastTxnId: string;
}

export interface CacheSnapshot {
  database: string;
  /** The schema the rows were decoded with: a snapshot of another schema is not used. */
  schema: { version: string; cksum?: string };
  tables: Readonly<Record<string, TableSnapshot>>;
}

/**
 * Why `snap` cannot seed a cache of `schema` monitoring `tables` (undefined:
 * it can). It came from a file: its shape is checked, not assumed.
 */
export function snapshotMismatch(snap: unknown, schema: DatabaseSchema, tables: ReadonlyMap<string, readonly string[]>): string | undefined {
  if (!isObject(snap) || !isObject(snap.schema) || !isObject(snap.tables)) return 'not a cache snapshot';
  if (snap.database !== schema.name) return `it is of database ${JSON.stringify(snap.database)}, not ${schema.name}`;
  if (snap.schema.version !== schema.version || snap.schema.cksum !== schema.cksum) {
    return `it is of schema ${String(snap.schema.version)} (cksum ${String(snap.schema.cksum)}), the server has ${schema.version} (cksum ${String(schema.cksum)})`;
  }
  for (const [name, columns] of tables) {
    const t = snap.tables[name];
    if (!isObject(t) || !Array.isArray(t.rows) || typeof t.lastTxnId !== 'string' || !Array.isArray(t.columns)) return `table ${name} is missing or malformed`;
    if (t.columns.length !== columns.length || t.columns.some((c, i) => c !== columns[i])) return `table ${name} holds columns ${t.columns.join(',')}, the monitor asks for ${columns.join(',')}`;
    for (const r of t.rows as unknown[]) if (!isObject(r) || typeof r._uuid !== 'string') return `table ${name} holds a row without a _uuid`;
  }
  return undefined;
}

/** Fills an empty cache with `snap`'s rows; the reason it cannot (undefined: done). */
export function seedCache(cache: DatabaseCache, snap: CacheSnapshot, schema: DatabaseSchema, tables: ReadonlyMap<string, readonly string[]>): string | undefined {
  const mismatch = snapshotMismatch(snap, schema, tables);
  if (mismatch !== undefined) return mismatch;
  for (const name of tables.keys()) cache.load(name, snap.tables[name]!.rows);
  return undefined;
}

/**
 * The cache's rows, each table named with the transaction `pointOf` says it
 * reflects. Undefined when a table has none yet, or where the server keeps
 * no transaction history (a standalone database: resuming would fetch
 * everything anyway).
 */
export function captureSnapshot(cache: DatabaseCache, schema: DatabaseSchema, pointOf: (table: string) => string | undefined): CacheSnapshot | undefined {
  const tables: Record<string, TableSnapshot> = {};
  for (const name of cache.tableNames()) {
    const lastTxnId = pointOf(name);
    if (lastTxnId === undefined || lastTxnId === ZERO_UUID) return undefined;
    const t = cache.table(name);
    tables[name] = { columns: t.columns, rows: [...t.rows()], lastTxnId };
  }
  if (Object.keys(tables).length === 0) return undefined;
  const { version, cksum } = schema;
  return { database: schema.name, schema: cksum === undefined ? { version } : { version, cksum }, tables };
}
