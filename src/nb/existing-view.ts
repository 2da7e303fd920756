/**
 * How plan() sees the NB: existing rows by identity, who holds each child
 * row, and which identities a plan may prune.
 *
 * - rowsView: every row, grouped once (a full plan: startup, resync).
 * - cacheScopeView: only the identities of one steady-state pass, looked up
 *   on demand through the replicated cache's secondary indexes, so planning a
 *   few rows costs a few lookups instead of a pass over the whole NB.
 */
import type { Row } from '../ovsdb/types.js';
import { CHILD_COLUMNS, existingIdentity, type ParentOf } from './identity.js';
import { NB_TABLES, ROOT_TABLES, type NbTable } from './rows.js';

/** One row per identity is the common case: held bare, an array only for duplicates. */
export type Held = Row | readonly Row[];

/** The rows of a Held, as a list. */
export const heldRows = (h: Held): readonly Row[] => ('_uuid' in h ? [h as Row] : (h as readonly Row[]));

export interface ExistingView {
  /** Rows under an identity; for a child table only rows a parent holds. */
  rowsOf(table: NbTable, key: string): Held | undefined;
  /** The identities a plan may prune in this table, with their rows. */
  pruneCandidates(table: NbTable): Iterable<readonly [string, Held]>;
  /** The row holding a child row (of `table`) in one of its strong reference sets. */
  parentOf(uuid: string, table: NbTable): ParentOf | undefined;
}

export type RowSource = (table: NbTable) => Iterable<Row>;

const NONE: readonly string[] = [];

/** A reference column's uuids, without copying (cache rows hold uuid sets as string arrays). */
export function asUuids(v: unknown): readonly string[] {
  if (v === undefined) return NONE;
  return Array.isArray(v) ? (v as string[]) : [String(v)];
}

/** Every existing row grouped by identity, built in one pass over `source`. */
export function rowsView(source: RowSource): ExistingView {
  const parents = new Map<string, ParentOf>();
  for (const { parent, column } of CHILD_COLUMNS) {
    for (const p of source(parent)) {
      const holder: ParentOf = { table: parent, uuid: p._uuid, name: String(p['name'] ?? ''), column };
      for (const u of asUuids(p[column])) parents.set(u, holder);
    }
  }
  const byKey = new Map<NbTable, Map<string, Row | Row[]>>();
  for (const table of NB_TABLES) {
    const m = new Map<string, Row | Row[]>();
    byKey.set(table, m);
    const root = ROOT_TABLES.has(table);
    for (const row of source(table)) {
      const p = root ? undefined : parents.get(row._uuid);
      if (!root && !p) continue;
      const key = existingIdentity(table, row, p);
      if (key === undefined) continue;
      const l = m.get(key);
      if (l === undefined) m.set(key, row);
      else if (Array.isArray(l)) l.push(row);
      else m.set(key, [l, row]);
    }
  }
  return {
    rowsOf: (table, key) => byKey.get(table)!.get(key),
    pruneCandidates: (table) => byKey.get(table)!,
    parentOf: (uuid) => parents.get(uuid),
  };
}

/** The replicated cache's read side that cacheScopeView needs (OvsdbClient.cache fits). */
export interface IndexedCache {
  table(name: string): {
    find(column: string, value: string): Row[];
  };
}

/** The match of an ACL or router-policy identity (identity.ts): what follows its `fields` leading `|`-separated fields (a match may itself hold `||`). */
function matchOf(key: string, fields: number): string | undefined {
  let at = 0;
  for (let i = 0; i < fields; i++) {
    const bar = key.indexOf('|', at);
    if (bar < 0) return undefined;
    at = bar + 1;
  }
  return key.slice(at);
}

/**
 * The cache column cacheScopeView finds a table's rows by: the match for ACLs
 * and router policies (with the number of `|`-separated fields before it in
 * their identity, identity.ts), else the name.
 */
function indexOf(table: NbTable): { column: 'match'; fields: number } | { column: 'name' } {
  if (table === 'ACL') return { column: 'match', fields: 3 };
  if (table === 'Logical_Router_Policy') return { column: 'match', fields: 2 };
  return { column: 'name' };
}

/**
 * Builds the cache indexes cacheScopeView reads (the first lookup would
 * otherwise pay for them, in the first steady-state pass).
 */
export function warmScopeIndexes(cache: IndexedCache): void {
  for (const { parent, column } of CHILD_COLUMNS) cache.table(parent).find(column, '');
  for (const t of NB_TABLES) cache.table(t).find(indexOf(t).column, '');
}

/**
 * Identities in `scope` looked up through the cache's secondary indexes
 * (name, match, parent reference sets), which the cache keeps up to date.
 * Only scope identities are prune candidates.
 */
export function cacheScopeView(cache: IndexedCache, scope: ReadonlyMap<NbTable, ReadonlySet<string>>): ExistingView {
  // One plan() asks the same questions several times (resolve, prune, parents): answered once each.
  const parents = new Map<string, ParentOf | null>();
  // Per table, not a joined key: a bulk round asks about hundreds of thousands of identities.
  const found = new Map<NbTable, Map<string, Held | null>>(NB_TABLES.map((t) => [t, new Map()]));
  // Only the parent columns that hold the row's table are searched.
  const parentOf = (uuid: string, child: NbTable): ParentOf | undefined => {
    let p = parents.get(uuid);
    if (p === undefined) {
      p = null;
      for (const { parent, column, child: holds } of CHILD_COLUMNS) {
        if (holds !== child) continue;
        const row = cache.table(parent).find(column, uuid)[0];
        if (row) {
          p = { table: parent, uuid: row._uuid, name: String(row['name'] ?? ''), column };
          break;
        }
      }
      parents.set(uuid, p);
    }
    return p ?? undefined;
  };
  const lookup = (table: NbTable, key: string): Held | null => {
    // Candidates by the indexed column, kept when their identity (computed as rowsView computes it) is the key.
    const index = indexOf(table);
    const value = index.column === 'match' ? matchOf(key, index.fields) : key;
    if (value === undefined) return null;
    const root = ROOT_TABLES.has(table);
    const rows = cache.table(table).find(index.column, value).filter((r) => {
      const p = root ? undefined : parentOf(r._uuid, table);
      return (root || p !== undefined) && existingIdentity(table, r, p) === key;
    });
    return rows.length === 0 ? null : rows.length === 1 ? rows[0]! : rows;
  };
  const rowsOf = (table: NbTable, key: string): Held | undefined => {
    const known = found.get(table)!;
    let h = known.get(key);
    if (h === undefined) known.set(key, (h = lookup(table, key)));
    return h ?? undefined;
  };
  return {
    rowsOf,
    *pruneCandidates(table) {
      for (const key of scope.get(table) ?? []) {
        const h = rowsOf(table, key);
        if (h !== undefined) yield [key, h] as const;
      }
    },
    parentOf,
  };
}
