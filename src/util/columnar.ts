/**
 * Arrays of plain objects of one shape, packed column by column for a file
 * (v8.serialize): each distinct string once, in one text with their end
 * offsets; a column of strings, string sets or string maps as typed arrays
 * of indexes into it; a column of lists of plain objects as those objects,
 * packed the same way; any other column value by value. Reading back creates
 * one string per distinct value instead of one per occurrence, and far
 * fewer objects to deserialize: the NB cache at 150k pods packs to 121 MB
 * instead of 272 MB and reads back in ~2 s instead of ~5 s. What is read
 * back holds nothing of the file's text, and equal sets and maps of a
 * column are one object again, as the caches had them.
 */
import { objectMaker } from './object-maker.js';

type Plain = Record<string, unknown>;

export type PackedColumn =
  /** -1: absent on that object. */
  | { kind: 'string'; ids: Int32Array }
  | { kind: 'stringSet'; lengths: Int32Array; ids: Int32Array }
  | { kind: 'stringMap'; lengths: Int32Array; keys: Int32Array; values: Int32Array }
  /**
   * Lists of plain objects (an EndpointSlice's endpoints): `lists[i]` the
   * object's list among the distinct ones (a list several objects share, as
   * a pod's interned ports, is one list again), whose objects are packed in
   * a row as objects of their own.
   */
  | { kind: 'objectList'; lists: Int32Array; lengths: Int32Array; items: PackedObjects }
  /** Anything else (numbers, booleans, objects, mixed, absent), value by value. */
  | { kind: 'values'; values: unknown[] };

export interface PackedStrings {
  /** Every distinct string, concatenated; `ends[i]` is where string i ends. */
  text: string;
  ends: Int32Array;
}

export class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly parts: string[] = [];
  private readonly ends: number[] = [];
  private length = 0;

  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.parts.length;
      this.ids.set(s, i);
      this.parts.push(s);
      this.length += s.length;
      this.ends.push(this.length);
    }
    return i;
  }

  packed(): PackedStrings {
    return { text: this.parts.join(''), ends: Int32Array.from(this.ends) };
  }
}

/**
 * V8 makes a substring of this many characters or more a slice of its
 * parent, and a live slice keeps the whole parent alive: one string of a
 * state file still held (a row's uuid) would keep all its text (61 MB of
 * the NB's at 150k pods), whatever else was dropped.
 */
const SLICE_MIN_LENGTH = 13;
const WIDE = /[^\u0000-\u00ff]/;

/** A copy of text[start, end) that holds none of `text`: from its latin1 bytes, or (a character past U+00FF) its UTF-16 code units. */
function unsliced(text: string, bytes: Buffer, start: number, end: number, wide: boolean): string {
  if (!wide) return bytes.toString('latin1', start, end);
  const s = text.slice(start, end);
  return WIDE.test(s) ? Buffer.from(s, 'utf16le').toString('utf16le') : bytes.toString('latin1', start, end);
}

/** The strings of a packed table, each a string of its own (never a slice of the text), and a lookup that throws on an index out of range. */
export function unpackStrings(p: PackedStrings): (id: number) => string {
  const { text, ends } = p;
  const strings = new Array<string>(ends.length);
  const wide = WIDE.test(text);
  // Latin1 keeps one byte per character (U+0100 and up are cut, hence their own path in unsliced).
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0, start = 0; i < ends.length; i++) {
    const end = ends[i]!;
    if (end < start || end > text.length) throw new Error(`packed strings: string ${i} ends at ${end}, outside ${start}..${text.length}`);
    strings[i] = end - start < SLICE_MIN_LENGTH ? text.slice(start, end) : unsliced(text, bytes, start, end, wide);
    start = end;
  }
  return (id) => {
    const s = strings[id];
    if (s === undefined) throw new Error(`packed strings: index ${id} out of range`);
    return s;
  };
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const isObjectList = (v: unknown): v is Plain[] => Array.isArray(v) && v.every(isPlain);

export function packColumn(objects: readonly Plain[], key: string, strings: StringTable): PackedColumn {
  if (objects.every((o) => typeof o[key] === 'string' || o[key] === undefined) && objects.some((o) => o[key] !== undefined)) {
    return { kind: 'string', ids: Int32Array.from(objects, (o) => (o[key] === undefined ? -1 : strings.id(o[key] as string))) };
  }
  if (objects.every((o) => isStringArray(o[key]))) {
    const lengths = Int32Array.from(objects, (o) => (o[key] as string[]).length);
    const ids = new Int32Array(lengths.reduce((a, b) => a + b, 0));
    let k = 0;
    for (const o of objects) for (const s of o[key] as string[]) ids[k++] = strings.id(s);
    return { kind: 'stringSet', lengths, ids };
  }
  if (objects.every((o) => isStringMap(o[key]))) {
    const lengths = Int32Array.from(objects, (o) => Object.keys(o[key] as object).length);
    const n = lengths.reduce((a, b) => a + b, 0);
    const keys = new Int32Array(n);
    const values = new Int32Array(n);
    let k = 0;
    for (const o of objects) {
      const m = o[key] as Record<string, string>;
      for (const mk in m) {
        keys[k] = strings.id(mk);
        values[k++] = strings.id(m[mk]!);
      }
    }
    return { kind: 'stringMap', lengths, keys, values };
  }
  // Values by value would go through v8.serialize: each string copied per occurrence, and a list built by map() (holey) read back one element at a time, with room for 16.
  if (objects.length > 0 && objects.every((o) => isObjectList(o[key]))) {
    const index = new Map<Plain[], number>();
    const lists = Int32Array.from(objects, (o) => {
      const l = o[key] as Plain[];
      let i = index.get(l);
      if (i === undefined) index.set(l, (i = index.size));
      return i;
    });
    const distinct = [...index.keys()];
    return { kind: 'objectList', lists, lengths: Int32Array.from(distinct, (l) => l.length), items: packObjects(distinct.flat(), strings) };
  }
  return { kind: 'values', values: objects.map((o) => o[key]) };
}

/** Runs of a column told apart this far in before deciding whether sharing them pays. */
const SHARE_PROBE = 1024;

const runHash = (a: Int32Array, b: Int32Array | undefined, at: number, len: number): number => {
  let h = len;
  for (let j = at; j < at + len; j++) {
    h = Math.imul(h ^ a[j]!, 0x9e3779b1);
    if (b) h = Math.imul(h ^ b[j]!, 0x85ebca6b);
  }
  return h;
};

const sameRun = (a: Int32Array, b: Int32Array | undefined, x: number, y: number, len: number): boolean => {
  for (let j = 0; j < len; j++) if (a[x + j] !== a[y + j] || (b && b[x + j] !== b[y + j])) return false;
  return true;
};

/**
 * Makes the set (or map) of the ids at [at, at + len) of `a` (and `b`),
 * once per distinct run: the objects that held equal ones when packed share
 * one frozen value again, as they did when the caches made them (interned
 * labels, a node's nexthops, the codec's one empty set; 180k of 192k port
 * groups have no ACLs). A column whose first runs are nearly all distinct
 * (addresses, external_ids) is made value by value, without the lookups.
 */
function sharedRuns<T extends object>(a: Int32Array, b: Int32Array | undefined, make: (at: number, len: number) => T): (at: number, len: number) => T {
  let seen: Map<number, { at: number; len: number; value: T }[]> | undefined = new Map();
  let runs = 0;
  let distinct = 0;
  return (at, len) => {
    if (seen && ++runs === SHARE_PROBE && distinct > SHARE_PROBE * 0.9) seen = undefined;
    if (!seen) return make(at, len);
    const h = runHash(a, b, at, len);
    const list = seen.get(h);
    for (const c of list ?? []) if (c.len === len && sameRun(a, b, c.at, at, len)) return c.value;
    distinct++;
    const value = Object.freeze(make(at, len));
    if (list) list.push({ at, len, value });
    else seen.set(h, [{ at, len, value }]);
    return value;
  };
}

/** Sets `key` on every object from its packed column; throws, naming `where`, on a column that does not fit them. */
export function unpackColumn(col: PackedColumn | undefined, objects: Plain[], key: string, str: (id: number) => string, where: string): void {
  const n = objects.length;
  const need = (ok: boolean) => {
    if (!ok) throw new Error(`packed column ${where} does not match its ${n} objects`);
  };
  if (!col) throw new Error(`packed column ${where} is missing`);
  switch (col.kind) {
    case 'string':
      need(col.ids.length === n);
      for (let i = 0; i < n; i++) {
        const id = col.ids[i]!;
        if (id !== -1) objects[i]![key] = str(id);
      }
      return;
    case 'stringSet': {
      need(col.lengths.length === n);
      const ids = col.ids;
      const set = sharedRuns(ids, undefined, (at, len) => {
        const out = new Array<string>(len);
        for (let j = 0; j < len; j++) out[j] = str(ids[at + j]!);
        return out;
      });
      let k = 0;
      for (let i = 0; i < n; i++) {
        const len = col.lengths[i]!;
        need(len >= 0 && k + len <= ids.length);
        objects[i]![key] = set(k, len);
        k += len;
      }
      return;
    }
    case 'stringMap': {
      need(col.lengths.length === n && col.keys.length === col.values.length);
      const { keys, values } = col;
      const map = sharedRuns(keys, values, (at, len) => {
        const out: Record<string, string> = {};
        for (let j = at; j < at + len; j++) out[str(keys[j]!)] = str(values[j]!);
        return out;
      });
      let k = 0;
      for (let i = 0; i < n; i++) {
        const len = col.lengths[i]!;
        need(len >= 0 && k + len <= keys.length);
        objects[i]![key] = map(k, len);
        k += len;
      }
      return;
    }
    case 'objectList': {
      need(col.lists.length === n);
      const items = unpackObjects(col.items, str, where);
      const lists: Plain[][] = [];
      let k = 0;
      for (const len of col.lengths) {
        need(len >= 0 && k + len <= items.length);
        lists.push(items.slice(k, k + len));
        k += len;
      }
      need(k === items.length);
      for (let i = 0; i < n; i++) {
        const l = lists[col.lists[i]!];
        need(l !== undefined);
        objects[i]![key] = l;
      }
      return;
    }
    case 'values':
      need(col.values.length === n);
      for (let i = 0; i < n; i++) if (col.values[i] !== undefined) objects[i]![key] = col.values[i];
      return;
    default:
      need(false);
  }
}

/** Objects of one shape, column by column (the keys: every key any of them has, in first-seen order). */
export interface PackedObjects {
  count: number;
  keys: string[];
  data: Record<string, PackedColumn>;
}

export function packObjects(objects: readonly Plain[], strings: StringTable): PackedObjects {
  const keys = new Set<string>();
  for (const o of objects) for (const k in o) keys.add(k);
  const data: Record<string, PackedColumn> = {};
  for (const k of keys) data[k] = packColumn(objects, k, strings);
  return { count: objects.length, keys: [...keys], data };
}

export function unpackObjects(p: PackedObjects, str: (id: number) => string, where: string): Plain[] {
  const objects: Plain[] = new Array<Plain>(p.count);
  // A key some objects lack must stay absent on them (and the keys in their order): made with every key only when every object has every key.
  const everyKey = p.keys.every((k) => {
    const c = p.data[k];
    if (c?.kind === 'string') return !c.ids.includes(-1);
    return c !== undefined && (c.kind !== 'values' || !c.values.includes(undefined));
  });
  const make = everyKey ? objectMaker(p.keys) : () => ({});
  for (let i = 0; i < p.count; i++) objects[i] = make();
  for (const k of p.keys) unpackColumn(p.data[k], objects, k, str, `${where}.${k}`);
  return objects;
}
