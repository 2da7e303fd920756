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
  /** The row holding a child row in one of its strong reference sets. */
  parentOf(uuid: string): ParentOf | undefined;
}

export type RowSource = (table: NbTable) => Iterable<Row>;

const NONE: readonly string[] = [];

function uuidsIn(v: unknown): readonly string[] {
  if (v === undefined) return NONE;
  return Array.isArray(v) ? (v as string[]) : [String(v)];
}

/** Every existing row grouped by identity, built in one pass over `source`. */
export function rowsView(source: RowSource): ExistingView {
  const parents = new Map<string, ParentOf>();
  for (const { parent, column } of CHILD_COLUMNS) {
    for (const p of source(parent)) {
      const holder: ParentOf = { table: parent, uuid: p._uuid, name: String(p['name'] ?? ''), column };
      for (const u of uuidsIn(p[column])) parents.set(u, holder);
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

/** Splits `<a>|<b>|...|<rest>` into `parts` fields; the last keeps any further '|' (matches hold `||`). */
function splitKey(key: string, parts: number): string[] | undefined {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < parts - 1; i++) {
    const bar = key.indexOf('|', at);
    if (bar < 0) return undefined;
    out.push(key.slice(at, bar));
    at = bar + 1;
  }
  out.push(key.slice(at));
  return out;
}

/**
 * Builds the cache indexes cacheScopeView reads (the first lookup would
 * otherwise pay for them, in the first steady-state pass).
 */
export function warmScopeIndexes(cache: IndexedCache): void {
  for (const { parent, column } of CHILD_COLUMNS) cache.table(parent).find(column, '');
  for (const t of NB_TABLES) cache.table(t).find(t === 'ACL' || t === 'Logical_Router_Policy' ? 'match' : 'name', '');
}

/**
 * Identities in `scope` looked up through the cache's secondary indexes
 * (name, match, parent reference sets), which the cache keeps up to date.
 * Only scope identities are prune candidates.
 */
export function cacheScopeView(cache: IndexedCache, scope: ReadonlyMap<NbTable, ReadonlySet<string>>): ExistingView {
  const parentOf = (uuid: string): ParentOf | undefined => {
    for (const { parent, column } of CHILD_COLUMNS) {
      const p = cache.table(parent).find(column, uuid)[0];
      if (p) return { table: parent, uuid: p._uuid, name: String(p['name'] ?? ''), column };
    }
    return undefined;
  };
  const held = (rows: readonly Row[]): Held | undefined => (rows.length === 0 ? undefined : rows.length === 1 ? rows[0]! : rows);
  const rowsOf = (table: NbTable, key: string): Held | undefined => {
    if (ROOT_TABLES.has(table)) return held(cache.table(table).find('name', key));
    if (table === 'Logical_Router_Policy') {
      const f = splitKey(key, 3);
      if (!f) return undefined;
      const [router, priority, match] = f as [string, string, string];
      return held(cache.table(table).find('match', match).filter((r) => String(r['priority']) === priority && parentOf(r._uuid)?.name === router));
    }
    if (table === 'ACL') {
      const f = splitKey(key, 4);
      if (!f) return undefined;
      const [holder, direction, priority, match] = f as [string, string, string, string];
      return held(
        cache.table(table).find('match', match).filter((r) => {
          if (r['direction'] !== direction || String(r['priority']) !== priority) return false;
          const p = parentOf(r._uuid);
          return p !== undefined && `${p.table}:${p.name}` === holder;
        }),
      );
    }
    return held(cache.table(table).find('name', key).filter((r) => parentOf(r._uuid) !== undefined));
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
