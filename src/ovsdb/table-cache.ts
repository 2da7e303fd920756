/**
 * The replicated rows of one table, with secondary indexes built on first use
 * and maintained on every change. Rows are read-only snapshots: a change
 * replaces the row object, so a row handed out earlier stays valid. (A
 * shared value, DatabaseCache.share, replaces an equal one in place: no
 * reader can tell them apart.)
 */
import type { Atom, OvsMap, Row, Value } from './types.js';

type KeyOf = (row: Row) => Atom | readonly Atom[] | undefined;

/** Most indexed values (names, parent references) belong to one row: held bare, a Set only for more. */
class SecondaryIndex {
  readonly map = new Map<Atom, string | Set<string>>();
  constructor(
    /** The column its keys come from. */
    readonly column: string,
    readonly keyOf: KeyOf,
  ) {}

  add(row: Row): void {
    const k = this.keyOf(row);
    if (k === undefined) return;
    if (Array.isArray(k)) for (const a of k) this.put(a, row._uuid);
    else this.put(k as Atom, row._uuid);
  }

  /** A row replaced by another version of itself: only the index keys that changed move. */
  update(old: Row, row: Row): void {
    const a = this.keyOf(old);
    const b = this.keyOf(row);
    // A modify copies the columns it does not touch: their values are the same objects.
    if (a === b) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      const gone = new Set<Atom>(a);
      for (const x of b) if (!gone.delete(x)) this.put(x, row._uuid);
      for (const x of gone) this.drop(x, row._uuid);
      return;
    }
    this.remove(old);
    this.add(row);
  }

  /** Keys the entry of `row`'s key by the string the row holds now (it replaced an equal one). */
  rekey(row: Row): void {
    const k = this.keyOf(row);
    if (typeof k !== 'string') return;
    const s = this.map.get(k);
    if (s === undefined) return;
    // A Map keeps the key it was first given: re-inserted, the entry holds `k` and the old string can go.
    this.map.delete(k);
    this.map.set(k, s);
  }

  remove(row: Row): void {
    const k = this.keyOf(row);
    if (k === undefined) return;
    if (Array.isArray(k)) for (const a of k) this.drop(a, row._uuid);
    else this.drop(k as Atom, row._uuid);
  }

  private put(a: Atom, uuid: string): void {
    const s = this.map.get(a);
    if (s === undefined) this.map.set(a, uuid);
    else if (typeof s === 'string') {
      if (s !== uuid) this.map.set(a, new Set([s, uuid]));
    } else s.add(uuid);
  }

  private drop(a: Atom, uuid: string): void {
    const s = this.map.get(a);
    if (s === undefined) return;
    if (typeof s === 'string') {
      if (s === uuid) this.map.delete(a);
      return;
    }
    s.delete(uuid);
    if (s.size === 1) this.map.set(a, s.values().next().value!);
  }
}

export class TableCache<T extends Row = Row> {
  private readonly rowsByUuid = new Map<string, T>();
  /** Column indexes by column (no key string built per lookup), map-key indexes by `<column>\u0000<key>`. */
  private readonly byColumn = new Map<string, SecondaryIndex>();
  private readonly byMapKey = new Map<string, SecondaryIndex>();
  /** Every index, maintained on each change. */
  private readonly indexes: SecondaryIndex[] = [];

  constructor(
    readonly name: string,
    /** The monitored columns (cache rows hold these plus _uuid). */
    readonly columns: readonly string[],
  ) {}

  get size(): number {
    return this.rowsByUuid.size;
  }

  get(uuid: string): T | undefined {
    return this.rowsByUuid.get(uuid);
  }

  rows(): IterableIterator<T> {
    return this.rowsByUuid.values();
  }

  uuids(): IterableIterator<string> {
    return this.rowsByUuid.keys();
  }

  /** Rows whose scalar `column` equals `value`, or whose set `column` contains it. */
  find(column: string, value: Atom): T[] {
    const ix = this.byColumn.get(column) ?? this.index(this.byColumn, column, column, (row) => row[column] as Atom | Atom[] | undefined);
    return this.rowsAt(ix, value);
  }

  findOne(column: string, value: Atom): T | undefined {
    return this.find(column, value)[0];
  }

  /** Rows whose `external_ids` map has `key` = `value` (e.g. Kube-OVN's `pod`, `vendor`). */
  findByExternalId(key: string, value: string): T[] {
    return this.findByMapKey('external_ids', key, value);
  }

  /** Rows whose map `column` has `key` = `value`. */
  findByMapKey(column: string, key: string, value: Atom): T[] {
    const id = `${column}\u0000${key}`;
    const ix = this.byMapKey.get(id) ?? this.index(this.byMapKey, id, column, (row) => (row[column] as OvsMap | undefined)?.[key]);
    return this.rowsAt(ix, value);
  }

  /** A new index under `id` in `of`, built over the current rows. */
  private index(of: Map<string, SecondaryIndex>, id: string, column: string, keyOf: KeyOf): SecondaryIndex {
    if (!this.columns.includes(column)) throw new Error(`table ${this.name}: column '${column}' is not monitored`);
    const ix = new SecondaryIndex(column, keyOf);
    for (const row of this.rowsByUuid.values()) ix.add(row);
    of.set(id, ix);
    this.indexes.push(ix);
    return ix;
  }

  private rowsAt(ix: SecondaryIndex, value: Atom): T[] {
    const uuids = ix.map.get(value);
    if (uuids === undefined) return [];
    if (typeof uuids === 'string') return [this.rowsByUuid.get(uuids)!];
    const out: T[] = [];
    for (const u of uuids) out.push(this.rowsByUuid.get(u)!);
    return out;
  }

  /** @internal the client's update path */
  set(row: T): T | undefined {
    const old = this.rowsByUuid.get(row._uuid);
    for (const ix of this.indexes) {
      if (old) ix.update(old, row);
      else ix.add(row);
    }
    this.rowsByUuid.set(row._uuid, row);
    return old;
  }

  /**
   * @internal DatabaseCache.share: `row` (held here) takes `value`, equal to
   * what its `column` holds, and the indexes on the column key by it.
   */
  swap(row: T, column: string, value: Value): void {
    (row as Row)[column] = value;
    for (const ix of this.indexes) if (ix.column === column) ix.rekey(row);
  }

  /** @internal */
  delete(uuid: string): T | undefined {
    const old = this.rowsByUuid.get(uuid);
    if (!old) return undefined;
    for (const ix of this.indexes) ix.remove(old);
    this.rowsByUuid.delete(uuid);
    return old;
  }
}
