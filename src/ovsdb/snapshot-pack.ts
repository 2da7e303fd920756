/**
 * A CacheSnapshot packed for a file (util/columnar.ts): column by column,
 * every string once. At 150k pods the NB cache's set and map columns repeat
 * the same addresses, port UUIDs and external_ids across 575k rows: as rows,
 * v8.serialize writes 272 MB and reading them back creates every repeated
 * string again (~5 s); packed, 121 MB read back in ~2 s, and the rows share
 * each distinct string as interning would.
 */
import { packObjects, StringTable, unpackObjects, unpackStrings, type PackedObjects, type PackedStrings } from '../util/columnar.js';
import type { CacheSnapshot, TableSnapshot } from './cache-snapshot.js';
import type { Row } from './types.js';

export interface PackedTable {
  columns: readonly string[];
  lastTxnId: string;
  rows: PackedObjects;
}

export interface PackedSnapshot {
  database: string;
  schema: CacheSnapshot['schema'];
  strings: PackedStrings;
  tables: Record<string, PackedTable>;
}

export function packSnapshot(snap: CacheSnapshot): PackedSnapshot {
  const strings = new StringTable();
  const tables: Record<string, PackedTable> = {};
  for (const [name, t] of Object.entries(snap.tables)) tables[name] = { columns: t.columns, lastTxnId: t.lastTxnId, rows: packObjects(t.rows, strings) };
  return { database: snap.database, schema: snap.schema, strings: strings.packed(), tables };
}

/** Throws on a packed snapshot that does not hold together (indexes out of range, lengths that disagree), naming the column. */
export function unpackSnapshot(p: PackedSnapshot): CacheSnapshot {
  const str = unpackStrings(p.strings);
  const tables: Record<string, TableSnapshot> = {};
  for (const [name, t] of Object.entries(p.tables)) tables[name] = { columns: t.columns, lastTxnId: t.lastTxnId, rows: unpackObjects(t.rows, str, name) as Row[] };
  return { database: p.database, schema: p.schema, tables };
}
