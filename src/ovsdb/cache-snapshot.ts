/**
 * A replicated cache as of known transactions, for a process that restarts:
 * `client.snapshot()` takes it, `connect({ resume })` starts from it, and
 * each table's monitor_cond_since then asks the server only for what changed
 * since. The server decides: a transaction it no longer remembers (or one
 * from another database) gets the table's full content, diffed against the
 * rows loaded, so a stale snapshot costs time, never correctness.
 */
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

/** A snapshot is worth keeping only where the server keeps a transaction history (a clustered database). */
export function resumable(snap: CacheSnapshot): boolean {
  const tables = Object.values(snap.tables);
  return tables.length > 0 && tables.every((t) => t.lastTxnId !== ZERO_UUID);
}
