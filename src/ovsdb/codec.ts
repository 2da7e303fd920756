/**
 * Schema-driven conversion between native values (see types.ts) and RFC 7047
 * wire JSON. Decoders are compiled once per column (closures chosen by the
 * column's kind and atom type) because monitor replies decode hundreds of
 * thousands of rows; every decoder checks types and names the table/column/row
 * of anything the server got wrong.
 */
import { objectMaker } from '../util/object-maker.js';
import { OvsdbEncodeError, OvsdbProtocolError } from './errors.js';
import { internUuid } from './intern.js';
import { copyMap, recordDerived } from './map-lineage.js';
import type { BaseType, ColumnSchema, DatabaseSchema, TableSchema } from './schema.js';
import type { StringPool } from './string-pool.js';
import type { Atom, OvsMap, Row, RowData, Value } from './types.js';

export type Wire = unknown;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAMED_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const isUuid = (s: string): boolean => UUID_RE.test(s);

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
/** Shared empty values for defaulted columns: cache rows are read-only. */
const EMPTY_SET: Atom[] = Object.freeze([]) as unknown as Atom[];
const EMPTY_MAP: OvsMap = Object.freeze({}) as OvsMap;

const show = (w: unknown): string => {
  const s = JSON.stringify(w);
  return s === undefined ? String(w) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/* ------------------------------------------------------------------ decode */

/**
 * Thrown by the compiled decoders without location; the caller that knows
 * table, row and column catches it and throws an OvsdbProtocolError naming
 * them. (Building location text eagerly for every value would dominate the
 * cost of decoding a large monitor reply.)
 */
class BadValue extends Error {}

type AtomDecoder = (w: Wire) => Atom;

function atomDecoder(base: BaseType): AtomDecoder {
  switch (base.type) {
    case 'string':
      return (w) => {
        if (typeof w !== 'string') throw new BadValue(`expected a string, got ${show(w)}`);
        return w;
      };
    case 'integer':
      return (w) => {
        if (typeof w !== 'number' || !Number.isInteger(w)) throw new BadValue(`expected an integer, got ${show(w)}`);
        return w;
      };
    case 'real':
      return (w) => {
        if (typeof w !== 'number') throw new BadValue(`expected a real, got ${show(w)}`);
        return w;
      };
    case 'boolean':
      return (w) => {
        if (typeof w !== 'boolean') throw new BadValue(`expected a boolean, got ${show(w)}`);
        return w;
      };
    case 'uuid':
      return (w) => {
        if (!Array.isArray(w) || w.length !== 2 || w[0] !== 'uuid' || typeof w[1] !== 'string') {
          throw new BadValue(`expected ["uuid", <uuid>], got ${show(w)}`);
        }
        return internUuid(w[1]);
      };
  }
}

function isTagged(w: Wire, tag: string): w is [string, unknown[]] {
  return Array.isArray(w) && w.length === 2 && w[0] === tag && Array.isArray(w[1]);
}

type RawDecoder = (w: Wire) => Value;

/** A set column's decoder: ["set", [atoms]], or one atom alone. */
function setDecoder(atom: AtomDecoder): RawDecoder {
  return (w) => {
    if (isTagged(w, 'set')) {
      const elems = w[1];
      const out = new Array<Atom>(elems.length);
      for (let i = 0; i < elems.length; i++) out[i] = atom(elems[i]);
      return out;
    }
    return [atom(w)];
  };
}
const decoders = new WeakMap<ColumnSchema, RawDecoder>();

function rawDecoder(col: ColumnSchema): RawDecoder {
  let d = decoders.get(col);
  if (d) return d;
  const key = atomDecoder(col.key);
  if (col.kind === 'scalar') d = key;
  else if (col.kind === 'set') d = setDecoder(key);
  else {
    const value = atomDecoder(col.value!);
    d = (w) => {
      if (!isTagged(w, 'map')) throw new BadValue(`expected ["map", [...]], got ${show(w)}`);
      const out: OvsMap = {};
      for (const pair of w[1]) {
        if (!Array.isArray(pair) || pair.length !== 2) throw new BadValue(`expected a [key, value] pair, got ${show(pair)}`);
        out[String(key(pair[0]))] = value(pair[1]);
      }
      return out;
    };
  }
  decoders.set(col, d);
  return d;
}

export type ValueDecoder = (w: Wire, where: string) => Value;

/** The decoder of one column's wire values; errors are OvsdbProtocolErrors prefixed with `where`. */
export function columnDecoder(col: ColumnSchema): ValueDecoder {
  const d = rawDecoder(col);
  return (w, where) => {
    try {
      return d(w);
    } catch (err) {
      if (err instanceof BadValue) throw new OvsdbProtocolError(`${where}: ${err.message}`);
      throw err;
    }
  };
}

export function defaultValue(col: ColumnSchema): Value {
  if (col.kind === 'set') return EMPTY_SET;
  if (col.kind === 'map') return EMPTY_MAP;
  switch (col.key.type) {
    case 'string':
      return '';
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'uuid':
      return ZERO_UUID;
  }
}

/** Decodes a wire row's present columns (select results, partial rows). */
export function decodeRow(table: TableSchema, w: Wire, where: string): Row {
  if (typeof w !== 'object' || w === null || Array.isArray(w)) throw new OvsdbProtocolError(`${where}: expected a row object, got ${show(w)}`);
  const out: Record<string, Value> = {};
  for (const [name, v] of Object.entries(w as Record<string, Wire>)) {
    const col = columnOf(table, name);
    if (!col) throw new OvsdbProtocolError(`${where}: unknown column '${name}' in table ${table.name}`);
    out[name] = columnDecoder(col)(v, `${where}.${name}`);
  }
  return out as Row;
}

const uuidColumn: ColumnSchema = { name: '_uuid', key: { type: 'uuid' }, min: 1, max: 1, kind: 'scalar', ephemeral: false, mutable: false };
const versionColumn: ColumnSchema = { ...uuidColumn, name: '_version' };

export function columnOf(table: TableSchema, name: string): ColumnSchema | undefined {
  return table.columns.get(name) ?? (name === '_uuid' ? uuidColumn : name === '_version' ? versionColumn : undefined);
}

/** A set column's decoder whose string atoms, and whole sets, come from `pool`. */
function internedSetDecoder(col: ColumnSchema, pool: StringPool): RawDecoder {
  const key = atomDecoder(col.key);
  const decode = setDecoder((w) => pool.intern(key(w) as string));
  return (w) => pool.shareSet(decode(w) as string[]);
}

/** Empty rows of `columns` (and _uuid), every column held in the object itself. */
export const rowMaker = (columns: readonly string[]): (() => Record<string, unknown>) => objectMaker(['_uuid', ...columns]);

/**
 * A decoder of full rows for a fixed column list: absent columns take their
 * default (update2 omits them), every row gets the same property order.
 * Set columns of strings named in `intern` take their atoms from the pool.
 * `make` gives an empty row (the cache shares it with its modified copies).
 */
export function fullRowDecoder(
  table: TableSchema,
  columns: readonly string[],
  intern?: { columns: readonly string[]; pool: StringPool },
  make: () => Record<string, unknown> = rowMaker(columns),
): (uuid: string, w: Wire) => Row {
  for (const name of intern?.columns ?? []) {
    const col = columnOf(table, name);
    if (!col || !columns.includes(name) || col.kind !== 'set' || col.key.type !== 'string') {
      throw new OvsdbEncodeError(`table ${table.name} column '${name}': only a monitored set column of strings can be interned`);
    }
  }
  const cols = columns.map((name) => {
    const col = columnOf(table, name);
    if (!col) throw new OvsdbEncodeError(`table ${table.name} has no column '${name}'`);
    const decode = intern?.columns.includes(name) ? internedSetDecoder(col, intern.pool) : rawDecoder(col);
    return { name, decode, dflt: defaultValue(col) };
  });
  return (uuid, w) => {
    if (typeof w !== 'object' || w === null || Array.isArray(w)) throw new OvsdbProtocolError(`${table.name} row ${uuid}: expected a row object, got ${show(w)}`);
    const src = w as Record<string, Wire>;
    const row = make() as Record<string, Value>;
    row['_uuid'] = uuid;
    let i = 0;
    try {
      for (; i < cols.length; i++) {
        const c = cols[i]!;
        const v = src[c.name];
        row[c.name] = v === undefined ? c.dflt : c.decode(v);
      }
    } catch (err) {
      if (err instanceof BadValue) throw new OvsdbProtocolError(`${table.name} row ${uuid} column ${cols[i]!.name}: ${err.message}`);
      throw err;
    }
    return row as Row;
  };
}

/**
 * Sets this large keep an index of their members once a diff needs one: a
 * bulk sync grows a router's policies 1000 per transaction to 180k, and a
 * pass over the old set per diff cost 2.2 s of a cold sync's main thread at
 * 150k pods. (The new policies arrive in their own table's update, so the
 * diff cannot be told to be all new rows from the update that carries it.)
 */
const INDEXED_SET_MIN = 4096;
/** The index moves from a set value to the next: the cache diffs only the current value. */
const setMembers = new WeakMap<readonly Atom[], Set<Atom>>();

/** Applies toggles (element → whether it flips) to a large set through its member index. */
function toggleIndexed(prev: Atom[], odd: ReadonlyMap<Atom, boolean>): Atom[] {
  const members = setMembers.get(prev) ?? new Set(prev);
  const added: Atom[] = [];
  const removed = new Set<Atom>();
  for (const [a, flips] of odd) {
    if (!flips) continue;
    if (members.has(a)) removed.add(a);
    else added.push(a);
  }
  const next = (removed.size ? prev.filter((a) => !removed.has(a)) : prev).concat(added);
  for (const a of removed) members.delete(a);
  for (const a of added) members.add(a);
  setMembers.delete(prev);
  setMembers.set(next, members);
  return next;
}

/** Applies an update2 "modify" diff of one column to its old native value. */
export function applyColumnDiff(col: ColumnSchema, old: Value | undefined, diff: Wire, where: string): Value {
  const decoded = columnDecoder(col)(diff, where);
  if (col.kind === 'scalar') return decoded;
  if (col.kind === 'set') {
    const prev = Array.isArray(old) ? old : [];
    // An optional (max 1) column that holds a value is sent as its new
    // value, not as a difference (ovsdb-server's update2; python-ovs does the same).
    if (col.max === 1 && prev.length > 0) return decoded;
    // Otherwise the diff is the symmetric difference: toggle each element.
    const odd = new Map<Atom, boolean>();
    for (const a of decoded as Atom[]) odd.set(a, !(odd.get(a) ?? false));
    if (prev.length >= INDEXED_SET_MIN) return toggleIndexed(prev, odd);
    // One pass over the old set against the (small) diff.
    const next: Atom[] = [];
    for (const a of prev) {
      const t = odd.get(a);
      if (t === undefined) next.push(a);
      else {
        if (!t) next.push(a);
        odd.delete(a);
      }
    }
    for (const [a, t] of odd) if (t) next.push(a);
    return next;
  }
  // Maps: same key and value removes the pair, another value replaces it, a new key is added.
  const prev = (old as OvsMap | undefined) ?? {};
  const { copy: next, size } = copyMap(prev);
  const changed = Object.keys(decoded as OvsMap);
  for (const k of changed) {
    const v = (decoded as OvsMap)[k]!;
    if (k in next && next[k] === v) delete next[k];
    else next[k] = v;
  }
  recordDerived(next, prev, size, changed);
  return next;
}

/* ------------------------------------------------------------------ encode */

/** A lazily built location for error messages (built only when something is wrong). */
export type Where = string | (() => string);
const at = (w: Where): string => (typeof w === 'string' ? w : w());

function encodeAtomRaw(base: BaseType, v: unknown): Wire {
  switch (base.type) {
    case 'string':
      if (typeof v === 'string') return v;
      break;
    case 'integer':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      break;
    case 'real':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      break;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      break;
    case 'uuid':
      if (typeof v === 'string') {
        if (UUID_RE.test(v)) return ['uuid', v];
        if (NAMED_RE.test(v)) return ['named-uuid', v];
        throw new BadValue(`'${v}' is neither a UUID nor a named-uuid identifier`);
      }
      break;
  }
  throw new BadValue(`expected ${base.type}, got ${show(v)}`);
}

/** A map key as native text (or a number/boolean passed directly) → wire atom. */
function encodeKeyRaw(base: BaseType, k: string | Atom): Wire {
  if (typeof k === 'string') {
    if (base.type === 'integer' || base.type === 'real') {
      const n = Number(k);
      if (k.trim() === '' || Number.isNaN(n)) throw new BadValue(`map key '${k}' is not a ${base.type}`);
      return encodeAtomRaw(base, n);
    }
    if (base.type === 'boolean') {
      if (k !== 'true' && k !== 'false') throw new BadValue(`map key '${k}' is not a boolean`);
      return k === 'true';
    }
  }
  return encodeAtomRaw(base, k);
}

function encodeValueRaw(col: ColumnSchema, v: unknown): Wire {
  if (col.kind === 'scalar') return encodeAtomRaw(col.key, v);
  if (col.kind === 'set') {
    if (!Array.isArray(v)) return encodeAtomRaw(col.key, v);
    if (v.length === 1) return encodeAtomRaw(col.key, v[0]);
    const out = new Array<Wire>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = encodeAtomRaw(col.key, v[i]);
    return ['set', out];
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadValue(`expected a map (plain object), got ${show(v)}`);
  const pairs: Wire[] = [];
  const m = v as Record<string, unknown>;
  for (const k in m) {
    let val: Wire;
    try {
      val = encodeAtomRaw(col.value!, m[k]);
    } catch (err) {
      if (err instanceof BadValue) throw new BadValue(`[${k}]: ${err.message}`);
      throw err;
    }
    pairs.push([encodeKeyRaw(col.key, k), val]);
  }
  return ['map', pairs];
}

/** A BadValue as an OvsdbEncodeError located at `prefix` (an element path like `[2]` joins it without ': '); other errors as they are. */
function relocated(err: unknown, prefix: string): unknown {
  return err instanceof BadValue ? new OvsdbEncodeError(`${prefix}${err.message.startsWith('[') ? '' : ': '}${err.message}`) : err;
}

/**
 * Native atom → wire atom. In a uuid position, UUID text becomes ["uuid", x]
 * and an identifier becomes ["named-uuid", x].
 */
export function encodeAtom(base: BaseType, v: unknown, where: Where): Wire {
  try {
    return encodeAtomRaw(base, v);
  } catch (err) {
    throw relocated(err, at(where));
  }
}

/** Native column value → wire value, by the column's kind. */
export function encodeValue(col: ColumnSchema, v: unknown, where: Where): Wire {
  try {
    return encodeValueRaw(col, v);
  } catch (err) {
    throw relocated(err, at(where));
  }
}

export function requireTable(schema: DatabaseSchema, table: string): TableSchema {
  const t = schema.tables.get(table);
  if (!t) throw new OvsdbEncodeError(`database ${schema.name} has no table '${table}'`);
  return t;
}

export function requireColumn(table: TableSchema, name: string, where: Where): ColumnSchema {
  const col = columnOf(table, name);
  if (!col) throw new OvsdbEncodeError(`${at(where)}: table ${table.name} has no column '${name}'`);
  return col;
}

export function encodeRow(table: TableSchema, row: RowData, where: Where): Record<string, Wire> {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new OvsdbEncodeError(`${at(where)}: row must be a plain object`);
  const out: Record<string, Wire> = {};
  for (const name in row) {
    const v = row[name];
    if (v === undefined) continue;
    if (name === '_uuid' || name === '_version') throw new OvsdbEncodeError(`${at(where)}: column ${name} cannot be written`);
    const col = requireColumn(table, name, where);
    try {
      out[name] = encodeValueRaw(col, v);
    } catch (err) {
      throw relocated(err, `${at(where)}.${name}`);
    }
  }
  return out;
}
