/**
 * The reference-set writes of a plan: mutations of existing rows (by real
 * uuid), large set and map columns written as diffs, and new children of
 * existing parents in groups. Each group is its inserts, the one parent
 * mutate that holds them and the memberships of the new rows in other
 * existing rows' sets (port_group.ports), so no operation mentions
 * named-uuids of two groups and chunkOperations can cut transactions
 * between groups.
 */
import type { Atom, Mutation, Operation, OvsMap, RowData, Value } from '../ovsdb/types.js';
import { isMap, MERGE_COLUMNS } from './compare.js';
import { asUuids } from './existing-view.js';
import { differingKeys, related } from '../ovsdb/map-lineage.js';
import { NB_TABLES, type NbTable } from './rows.js';

/** Named-uuids `row<N>` in the order they were assigned. */
export const byNamedOrder = (a: string, b: string): number => Number(a.slice(3)) - Number(b.slice(3));

const byUuid = (a: { uuid: string }, b: { uuid: string }): number => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

/** Sets and maps at least this large change by mutate (a diff), not by rewriting the whole column. */
const DIFF_WRITE_MIN = 32;

/** want (may repeat) and current (a set) hold the same members. */
export function sameMembers(want: readonly string[], current: readonly string[]): boolean {
  if (want.length !== current.length) return false;
  if (want.length === 0) return true;
  if (want.length === 1) return want[0] === current[0];
  const s = new Set(current);
  for (const u of want) if (!s.has(u)) return false;
  return true;
}

/**
 * A large set or map column (an address set, the load balancers' vips) that
 * differs is written as a diff: the elements or keys that leave, then the ones
 * that arrive. Small ones, and columns shared with other writers, are rewritten.
 */
export function diffWrite(table: NbTable, uuid: string, column: string, want: Value, cur: Value | undefined, sets: ParentMutations, maps: MapMutations): boolean {
  if (Array.isArray(want)) {
    const have = asUuids(cur);
    if (typeof want[0] !== 'string' || want.length < DIFF_WRITE_MIN || have.length < DIFF_WRITE_MIN) return false;
    const wantSet = new Set(want.map(String));
    const haveSet = new Set(have);
    for (const x of haveSet) if (!wantSet.has(x)) sets.delete(table, uuid, column, x);
    for (const x of wantSet) if (!haveSet.has(x)) sets.insert(table, uuid, column, x);
    return true;
  }
  if (!isMap(want) || MERGE_COLUMNS.has(column)) return false;
  const have: OvsMap = isMap(cur) ? cur : {};
  // Maps with a known lineage are large; counting 12k keys would cost more than the diff.
  if (!related(want, have) && (!atLeast(want, DIFF_WRITE_MIN) || !atLeast(have, DIFF_WRITE_MIN))) return false;
  for (const k of differingKeys(want, have)) {
    if (k in have) maps.removeKey(table, uuid, column, k);
    if (k in want) maps.put(table, uuid, column, k, want[k]!);
  }
  return true;
}

function atLeast(m: OvsMap, n: number): boolean {
  let i = 0;
  for (const _ in m) if (++i >= n) return true;
  return false;
}


/** Collected mutations per existing parent row. */
export class ParentMutations {
  private readonly byRow = new Map<string, { table: NbTable; uuid: string; ins: Map<string, string[]>; del: Map<string, string[]> }>();

  private entry(table: NbTable, uuid: string) {
    let e = this.byRow.get(uuid);
    if (!e) this.byRow.set(uuid, (e = { table, uuid, ins: new Map(), del: new Map() }));
    return e;
  }

  insert(table: NbTable, uuid: string, column: string, ref: string): void {
    const e = this.entry(table, uuid);
    let l = e.ins.get(column);
    if (!l) e.ins.set(column, (l = []));
    l.push(ref);
  }

  delete(table: NbTable, uuid: string, column: string, ref: string): void {
    const e = this.entry(table, uuid);
    let l = e.del.get(column);
    if (!l) e.del.set(column, (l = []));
    l.push(ref);
  }

  ops(skip: ReadonlySet<string>): Operation[] {
    const out: Operation[] = [];
    const entries = [...this.byRow.values()].sort((a, b) => NB_TABLES.indexOf(a.table) - NB_TABLES.indexOf(b.table) || byUuid(a, b));
    for (const e of entries) {
      if (skip.has(e.uuid)) continue;
      const mutations: Mutation[] = [];
      for (const col of [...new Set([...e.del.keys(), ...e.ins.keys()])].sort()) {
        const del = e.del.get(col);
        const ins = e.ins.get(col);
        if (del?.length) mutations.push([col, 'delete', [...new Set(del)].sort()]);
        if (ins?.length) mutations.push([col, 'insert', [...new Set(ins)].sort()]);
      }
      if (mutations.length) out.push({ op: 'mutate', table: e.table, where: [['_uuid', '==', e.uuid]], mutations });
    }
    return out;
  }
}

/** Key-level writes of large map columns (vips): keys that leave or change are deleted, then the new pairs inserted. */
export class MapMutations {
  private readonly byRow = new Map<string, { table: NbTable; uuid: string; cols: Map<string, { del: string[]; put: OvsMap }> }>();

  private col(table: NbTable, uuid: string, column: string) {
    let e = this.byRow.get(uuid);
    if (!e) this.byRow.set(uuid, (e = { table, uuid, cols: new Map() }));
    let c = e.cols.get(column);
    if (!c) e.cols.set(column, (c = { del: [], put: {} }));
    return c;
  }

  removeKey(table: NbTable, uuid: string, column: string, key: string): void {
    this.col(table, uuid, column).del.push(key);
  }

  put(table: NbTable, uuid: string, column: string, key: string, value: Atom): void {
    this.col(table, uuid, column).put[key] = value;
  }

  ops(): Operation[] {
    const out: Operation[] = [];
    const entries = [...this.byRow.values()].sort((a, b) => NB_TABLES.indexOf(a.table) - NB_TABLES.indexOf(b.table) || byUuid(a, b));
    for (const e of entries) {
      const mutations: Mutation[] = [];
      for (const col of [...e.cols.keys()].sort()) {
        const { del, put } = e.cols.get(col)!;
        if (del.length) mutations.push([col, 'delete', del.sort()]);
        if (Object.keys(put).length) mutations.push([col, 'insert', put]);
      }
      if (mutations.length) out.push({ op: 'mutate', table: e.table, where: [['_uuid', '==', e.uuid]], mutations });
    }
    return out;
  }
}

interface Group {
  parent: { table: NbTable; uuid: string; column: string };
  children: NewRow[];
  /** Memberships of this group's new rows in existing rows' reference sets. */
  members: ParentMutations;
}

/** New children of existing parents (or, with client-chosen uuids, of a new parent inserted ahead), cut into groups of at most batchSize. */
export class ChildBatches {
  private readonly byParent = new Map<string, { table: NbTable; uuid: string; column: string; child: NbTable; children: NewRow[] }>();
  private groups: Group[] = [];
  /** Each child's group, indexed on the first addMember (a cold sync names no new child from an existing row). */
  private groupOf: Map<string, Group> | undefined;

  add(parent: { table: NbTable; uuid: string; column: string }, child: NbTable, row: NewRow): void {
    const k = `${parent.uuid}\u0000${parent.column}`;
    let b = this.byParent.get(k);
    if (!b) this.byParent.set(k, (b = { ...parent, child, children: [] }));
    b.children.push(row);
  }

  /**
   * Fixes the groups. Ports come before policies and ACLs: when groups land
   * in separate transactions, a reroute policy never exists before the
   * router port its nexthop needs. Children keep the order they were added
   * in, or go in NewRow.order with `sorted`.
   */
  seal(batchSize: number, sorted: boolean): void {
    const order = [...this.byParent.values()].sort(
      (a, b) => NB_TABLES.indexOf(a.child) - NB_TABLES.indexOf(b.child) || NB_TABLES.indexOf(a.table) - NB_TABLES.indexOf(b.table) || byUuid(a, b),
    );
    for (const b of order) {
      if (sorted) b.children.sort((x, y) => x.order - y.order);
      for (let i = 0; i < b.children.length; i += batchSize) this.groups.push({ parent: b, children: b.children.slice(i, i + batchSize), members: new ParentMutations() });
    }
  }

  /** Adds `ref` (a new row of a group) to an existing row's set, inside that group; false if ref is in no group. */
  addMember(ref: string, table: NbTable, uuid: string, column: string): boolean {
    if (!this.groupOf) {
      this.groupOf = new Map();
      for (const g of this.groups) for (const c of g.children) this.groupOf.set(c.ref, g);
    }
    const g = this.groupOf.get(ref);
    if (!g) return false;
    g.members.insert(table, uuid, column, ref);
    return true;
  }

  /** Appends each group: `insert` appends a child's operations and returns their count. Returns the groups' sizes. */
  emit(insert: (row: NewRow) => number, out: Operation[]): number[] {
    const sizes: number[] = [];
    for (const g of this.groups) {
      let n = 0;
      for (const c of g.children) n += insert(c);
      const refs = g.children.map((c) => c.ref);
      out.push({ op: 'mutate', table: g.parent.table, where: [['_uuid', '==', g.parent.uuid]], mutations: [[g.parent.column, 'insert', refs]] });
      const members = g.members.ops(new Set());
      out.push(...members);
      sizes.push(n + 1 + members.length);
    }
    return sizes;
  }
}

/**
 * A row a plan inserts, under `ref` (its named-uuid or client-chosen uuid),
 * `order` its place among the plan's new rows. With client-chosen uuids,
 * where its insert goes (emitGrouped): on its own (undefined), in a group
 * under its parent (batched), right after the new parent it rides in
 * (riding), or after the rows it names (late); `riders` are the new children
 * riding in it.
 */
export interface NewRow {
  ref: string;
  order: number;
  table: NbTable;
  row: RowData;
  place: 'batched' | 'riding' | 'late' | undefined;
  riders: NewRow[] | undefined;
}

/**
 * The operations of a plan whose new rows have client-chosen uuids, and the
 * groups that must each go in one transaction (a child row no reference
 * holds at commit is dropped). In order: `head` (deletes, updates); each new
 * row with the children riding in it; the groups of children under an
 * existing or just inserted parent; the late rows, which name rows inserted
 * before them; `tail` (mutations of existing rows). A transaction then only
 * names rows that it or an earlier one inserts.
 */
export function emitGrouped(head: readonly Operation[], rows: readonly NewRow[], batches: ChildBatches, tail: readonly Operation[]): { ops: Operation[]; groups: number[] } {
  const ops = [...head];
  const groups = head.map(() => 1);
  const insert = (e: NewRow): number => {
    ops.push({ op: 'insert', table: e.table, row: e.row, uuid: e.ref });
    let n = 1;
    if (e.riders) for (const c of e.riders) n += insert(c);
    return n;
  };
  for (const e of rows) if (e.place === undefined) groups.push(insert(e));
  groups.push(...batches.emit(insert, ops));
  for (const e of rows) if (e.place === 'late') groups.push(insert(e));
  for (const op of tail) {
    ops.push(op);
    groups.push(1);
  }
  return { ops, groups };
}
