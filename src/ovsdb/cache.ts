/**
 * The replicated database: one TableCache per monitored table, fed by
 * monitor_cond / monitor_cond_since replies and update2/update3
 * notifications, emitting a change per row. A full resync (after a reconnect
 * the server could not resume) is diffed against what we held, so rows that
 * vanished meanwhile are reported as deletes and changed rows as modifies.
 * A resync can cover a subset of the tables: the client monitors each table
 * on its own, so the initial content arrives, and is decoded, table by table.
 *
 * Decoding is done in time slices (yielding to the event loop) before the
 * changes are applied in one synchronous step, so readers never see a
 * half-applied update and echo replies keep flowing during a huge reply.
 * A large reply's tables and rows may arrive as Deferred text (lazy-json.ts):
 * each is parsed just before it is decoded.
 */
import { applyColumnDiff, columnOf, fullRowDecoder, rowMaker, type Wire } from './codec.js';
import { OvsdbProtocolError } from './errors.js';
import { type Deferred, settle } from './lazy-json.js';
import { StringPool } from './string-pool.js';
import { isObject, type ColumnSchema, type DatabaseSchema, type TableSchema } from './schema.js';
import { TableCache } from './table-cache.js';
import { sameElements, sameValue } from './values.js';
import type { Row, Value } from './types.js';

export type ChangeKind = 'insert' | 'modify' | 'delete';

export interface RowChange<T extends Row = Row> {
  table: string;
  kind: ChangeKind;
  /** The row after the change (for a delete: the row that was removed). */
  row: T;
  /** The row before a modify. */
  old?: T;
}

export type ChangeListener = (change: RowChange) => void;

const SLICE_MS = 20;
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function sameRow(a: Row, b: Row, columns: readonly string[]): boolean {
  for (const c of columns) if (!sameValue(a[c], b[c])) return false;
  return true;
}

/** How one monitored table's rows are decoded and copied. */
interface TableCodec {
  schema: TableSchema;
  decode: (uuid: string, w: Wire) => Row;
  /** An empty row, made as decoded rows are (for a modify's copy). */
  make: () => Record<string, unknown>;
  /** Its interned columns (MonitorTable.intern). */
  interned: ReadonlySet<string>;
  /** Columns share() may take a caller's value for: strings, sets and maps of them; no uuids, nothing interned. */
  shareable: ReadonlySet<string>;
}

/** Whether share() may take a caller's value for `col`: one holding strings and no uuids (a uuid's copy is the row's own, intern.ts). */
function shareableColumn(col: ColumnSchema): boolean {
  const notUuid = (b: ColumnSchema['key'] | undefined): boolean => b?.type !== 'uuid';
  return (col.key.type === 'string' || col.value?.type === 'string') && notUuid(col.key) && notUuid(col.value);
}

/**
 * Whether a row holding `cur` gains by taking `v` instead: an equal string
 * (which may be the same one: there is no telling), or an equal set or map
 * that is another object (a set in the same order: the row keeps its own).
 * Numbers and booleans take no memory of their own.
 */
function worthTaking(v: Value, cur: Value): boolean {
  if (typeof v === 'string') return v === cur;
  if (v === cur || typeof v !== 'object') return false;
  return Array.isArray(v) ? Array.isArray(cur) && sameElements(v, cur) : sameValue(v, cur);
}

export class DatabaseCache {
  private readonly caches = new Map<string, TableCache>();
  private readonly codecs = new Map<string, TableCodec>();
  private readonly pool = new StringPool();
  private readonly listeners = new Set<ChangeListener>();

  /** @internal the client creates the cache from its monitor requests */
  constructor(
    schema: DatabaseSchema,
    tables: ReadonlyMap<string, readonly string[]>,
    /** Where a throwing change listener is reported: it must not break the update path (nor reconnect forever). */
    private readonly onListenerError: (err: unknown, change: RowChange) => void = () => {},
    /** Per table, set columns of strings whose atoms are shared through one pool (MonitorTable.intern). */
    intern: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    for (const [name, columns] of tables) {
      const ts = schema.tables.get(name);
      if (!ts) throw new OvsdbProtocolError(`database ${schema.name} has no table '${name}' to monitor`);
      this.caches.set(name, new TableCache(name, columns));
      const interned = intern.get(name) ?? [];
      const make = rowMaker(columns);
      const decode = fullRowDecoder(ts, columns, interned.length ? { columns: interned, pool: this.pool } : undefined, make);
      const shareable = columns.filter((c) => !interned.includes(c) && shareableColumn(ts.columns.get(c)!));
      this.codecs.set(name, { schema: ts, decode, make, interned: new Set(interned), shareable: new Set(shareable) });
    }
  }

  /** The cache of a monitored table, typed by the caller's row interface. */
  table<T extends Row = Row>(name: string): TableCache<T> {
    const c = this.caches.get(name);
    if (!c) throw new Error(`table '${name}' is not monitored (monitored: ${[...this.caches.keys()].join(', ')})`);
    return c as unknown as TableCache<T>;
  }

  tableNames(): string[] {
    return [...this.caches.keys()];
  }

  /** Subscribes to row changes; returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Fills an empty table with rows taken from a snapshot (they were checked
   * by snapshotMismatch). No change is reported: the rows are where the cache
   * starts from. Their strings are not interned again: an unpacked snapshot
   * (snapshot-pack.ts) already shares each distinct string.
   */
  load(name: string, rows: readonly Row[]): void {
    const cache = this.table(name);
    if (cache.size > 0) throw new Error(`table '${name}' is not empty: a snapshot seeds an empty cache only`);
    for (const row of rows) cache.set(row);
  }

  /**
   * Row `uuid` of `table` takes the caller's values where they equal its own
   * (strings, and sets and maps of strings), so that one copy is kept where
   * the caller would keep another: the controller shares the desired rows it
   * has just written, or found in place. A reader cannot tell an equal value
   * apart. Uuids and interned columns keep the cache's copy, which is already
   * shared. Returns how many columns were taken.
   */
  share(table: string, uuid: string, values: Readonly<Record<string, Value>>): number {
    const cache = this.caches.get(table);
    const codec = this.codecs.get(table);
    const row = cache?.get(uuid);
    if (!cache || !codec || !row) return 0;
    let n = 0;
    for (const c in values) {
      const cur = row[c];
      if (cur === undefined || !codec.shareable.has(c) || !worthTaking(values[c]!, cur)) continue;
      cache.swap(row, c, values[c]!);
      n++;
    }
    return n;
  }

  /**
   * Applies a <table-updates2> object. With `resync`, the update is the
   * complete content of the tables it names (true: every monitored table) and
   * replaces what we hold of them; a named table absent from it is empty.
   * `applied` runs in the same synchronous step as the rows' application (the
   * client records there which transaction the rows reflect). Resolves to
   * the number of row updates it held.
   */
  async apply(wire: Wire | Deferred, resync: boolean | readonly string[], applied?: () => void): Promise<number> {
    const update = settle(wire);
    if (!isObject(update)) throw new OvsdbProtocolError(`update: expected an object of table updates, got ${JSON.stringify(update)?.slice(0, 80)}`);
    const resynced = resync === true ? this.tableNames() : resync === false ? undefined : resync;
    // Decoded updates as parallel arrays: a large resync holds hundreds of thousands.
    const caches: TableCache[] = [];
    const uuids: string[] = [];
    const rows: Array<Row | null> = [];
    let sliceStart = Date.now();
    let n = 0;
    const tables = new Map<string, unknown>();
    for (const tname in update) tables.set(tname, settle(update[tname]));
    const present = resynced && this.resyncedRows(resynced);
    for (const [tname, tableRows] of tables) {
      const cache = this.caches.get(tname);
      if (!cache) throw new OvsdbProtocolError(`update: table '${tname}' is not monitored`);
      if (resynced && !resynced.includes(tname)) throw new OvsdbProtocolError(`update: table '${tname}' is outside the resync of ${resynced.join(', ')}`);
      if (!isObject(tableRows)) throw new OvsdbProtocolError(`update: table ${tname}: expected an object of row updates`);
      const codec = this.codecs.get(tname)!;
      const seen = present ? present.get(cache) : undefined;
      for (const uuid in tableRows) {
        if ((++n & 1023) === 0 && Date.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = Date.now();
        }
        const row = this.decodeRowUpdate(cache, codec, uuid, settle(tableRows[uuid]), resynced !== undefined);
        if (seen) {
          // A resync's row equal to the one held is dropped as decoded, young: a warm restart's full fetch of an
          // unchanged NB would otherwise hold a second copy of all of it until the comparison.
          seen.add(uuid);
          const old = cache.get(uuid);
          if (old && row && sameRow(old, row, cache.columns)) continue;
        }
        caches.push(cache);
        uuids.push(uuid);
        rows.push(row);
      }
    }
    const changes: RowChange[] | undefined = this.listeners.size > 0 ? [] : undefined;
    for (let i = 0; i < rows.length; i++) this.applyOne(caches[i]!, uuids[i]!, rows[i]!, changes);
    if (present) this.deleteUnseen(present, changes);
    applied?.();
    if (changes) {
      for (const ch of changes) {
        for (const l of this.listeners) {
          try {
            l(ch);
          } catch (err) {
            this.onListenerError(err, ch);
          }
        }
      }
    }
    return n;
  }

  private decodeRowUpdate(
    cache: TableCache,
    { schema: ts, decode, make, interned }: TableCodec,
    uuid: string,
    ru: unknown,
    resync: boolean,
  ): Row | null {
    // Only for errors and modifies: built on demand, not for each of a resync's rows.
    const where = () => `update: ${cache.name} row ${uuid}`;
    if (!isObject(ru)) throw new OvsdbProtocolError(`${where()}: expected {initial|insert|modify|delete}, got ${JSON.stringify(ru)?.slice(0, 80)}`);
    if ('initial' in ru) return decode(uuid, settle(ru.initial) as Wire);
    if (resync) throw new OvsdbProtocolError(`${where()}: a full resync may only hold "initial" rows`);
    if ('insert' in ru) return decode(uuid, settle(ru.insert) as Wire);
    if ('delete' in ru) return null;
    if ('modify' in ru) {
      const old = cache.get(uuid);
      if (!old) throw new OvsdbProtocolError(`${where()}: modify for a row we do not have`);
      const modify = settle(ru.modify);
      if (!isObject(modify)) throw new OvsdbProtocolError(`${where()}: modify must be an object`);
      // A copy made as decoded rows are (a spread would hold only four columns in the object).
      const next = make() as Record<string, Value | undefined>;
      for (const c in next) next[c] = old[c];
      const at = where();
      for (const [c, diff] of Object.entries(modify)) {
        const col = columnOf(ts, c);
        if (!col || !cache.columns.includes(c)) throw new OvsdbProtocolError(`${at}: modify of unknown or unmonitored column '${c}'`);
        const v = applyColumnDiff(col, old[c], diff, `${at} column ${c}`);
        // A modified set is shared again (a pod's address added to every set of the policies that select it).
        next[c] = Array.isArray(v) && interned.has(c) ? this.pool.shareSet(v as string[]) : v;
      }
      return next as Row;
    }
    throw new OvsdbProtocolError(`${where()}: expected one of initial, insert, modify, delete; got keys ${Object.keys(ru).join(', ')}`);
  }

  private applyOne(cache: TableCache, uuid: string, row: Row | null, changes: RowChange[] | undefined): void {
    const table = cache.name;
    if (row === null) {
      const old = cache.delete(uuid);
      if (old && changes) changes.push({ table, kind: 'delete', row: old });
      return;
    }
    const old = cache.set(row);
    if (changes) changes.push(old ? { table, kind: 'modify', row, old } : { table, kind: 'insert', row });
  }

  /**
   * For a resync of `tables`: the uuids found in the update, per table that
   * held rows (an empty one, the first sync, needs no comparison and no
   * delete pass).
   */
  private resyncedRows(tables: readonly string[]): Map<TableCache, Set<string>> {
    const seen = new Map<TableCache, Set<string>>();
    for (const t of tables) {
      const c = this.caches.get(t);
      if (!c) throw new OvsdbProtocolError(`update: resync of table '${t}', which is not monitored`);
      if (c.size > 0) seen.set(c, new Set());
    }
    return seen;
  }

  /** The rows a resync did not send are gone. */
  private deleteUnseen(seen: ReadonlyMap<TableCache, ReadonlySet<string>>, changes: RowChange[] | undefined): void {
    for (const [cache, present] of seen) {
      if (cache.size === present.size) continue;
      const gone: string[] = [];
      for (const u of cache.uuids()) if (!present.has(u)) gone.push(u);
      for (const u of gone) {
        const row = cache.delete(u)!;
        if (changes) changes.push({ table: cache.name, kind: 'delete', row });
      }
    }
  }
}
