/**
 * The desired NB state: rows per table keyed by a stable identity, as the
 * controller's pure desired-state functions produce them and plan() consumes
 * them. Identical rows produced twice (the same node×subnet policy from two
 * reconcilers) are stored once; differing rows under one identity are
 * recorded as conflicts and the first one wins.
 */
import type { RowData, Value } from '../ovsdb/types.js';
import type { NbTable } from './rows.js';

/** The row that must hold this one in a strong reference set (non-root tables). */
export interface ParentRef {
  table: NbTable;
  key: string;
  column: string;
}

/**
 * A reference set of this row that names other desired or existing rows by
 * identity. exact: the set holds these and nothing else; include: these are
 * added, other members (written by others) stay.
 */
export interface RefSet {
  table: NbTable;
  keys: string[];
  mode: 'exact' | 'include';
}

export interface DesiredRow {
  table: NbTable;
  /** Identity within the table (see identity.ts). */
  key: string;
  /** Columns ovnscale owns: compared with the NB and updated when they differ. */
  row: RowData;
  /** Columns written only when the row is created (a router port's MAC, which Kube-OVN chose at random). */
  insertOnly?: RowData;
  parent?: ParentRef;
  refs?: Record<string, RefSet>;
}

export interface DesiredConflict {
  table: NbTable;
  key: string;
  reason: string;
}

function canonical(v: Value | undefined): string {
  if (v === undefined) return '';
  if (Array.isArray(v)) return JSON.stringify([...v].map(String).sort());
  if (typeof v === 'object') {
    return JSON.stringify(
      Object.keys(v)
        .sort()
        .map((k) => [k, v[k]]),
    );
  }
  return JSON.stringify(v);
}

/** A stable content hash input of a row's owned columns, order-insensitive for sets and maps. */
export function rowFingerprint(row: RowData): string {
  return Object.keys(row)
    .sort()
    .map((c) => `${c}=${canonical(row[c])}`)
    .join('\u0001');
}

/** What plan() reads of a desired state. */
export interface DesiredSource {
  rows(table: NbTable): Iterable<readonly [string, DesiredRow]>;
  get(table: NbTable, key: string): DesiredRow | undefined;
  readonly conflicts: readonly DesiredConflict[];
}

/** Merges `d` into `prev` (same identity); false when they conflict. Both want their refs: the union is kept. */
export function mergeInto(prev: DesiredRow, d: DesiredRow): boolean {
  if (rowFingerprint(prev.row) !== rowFingerprint(d.row)) return false;
  if (d.refs) {
    const refs = (prev.refs ??= {});
    for (const [col, r] of Object.entries(d.refs)) {
      const p = refs[col];
      if (!p) refs[col] = { ...r, keys: [...r.keys] };
      else p.keys = [...new Set([...p.keys, ...r.keys])];
    }
  }
  return true;
}

export class DesiredState implements DesiredSource {
  private readonly tables = new Map<NbTable, Map<string, DesiredRow>>();
  readonly conflicts: DesiredConflict[] = [];

  add(d: DesiredRow): void {
    let t = this.tables.get(d.table);
    if (!t) this.tables.set(d.table, (t = new Map()));
    const prev = t.get(d.key);
    if (!prev) {
      t.set(d.key, d);
      return;
    }
    // Same row twice: keep one, but union what each producer wants referenced.
    if (!mergeInto(prev, d)) this.conflicts.push({ table: d.table, key: d.key, reason: 'two different desired rows under one identity' });
  }

  addAll(rows: Iterable<DesiredRow>): void {
    for (const r of rows) this.add(r);
  }

  get(table: NbTable, key: string): DesiredRow | undefined {
    return this.tables.get(table)?.get(key);
  }

  rows(table: NbTable): ReadonlyMap<string, DesiredRow> {
    return this.tables.get(table) ?? new Map();
  }

  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    return n;
  }
}
