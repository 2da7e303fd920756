/**
 * The desired NB state kept between passes, as the union of units: the rows
 * one object produces (a pod's port, a policy's port group, ACLs and address
 * sets, a node's rows). Replacing a unit reports exactly the identities whose
 * merged desired row changed: the scope a steady-state pass plans.
 *
 * Two units may want the same identity (the source and target launcher pods
 * of a migrating VM both want the VM's port): identical rows merge (their
 * reference sets united), differing ones are a conflict and the first wins,
 * as in DesiredState.
 */
import { type DesiredConflict, type DesiredRow, type DesiredSource, mergeInto, type RefSet } from './desired.js';
import type { NbTable } from './rows.js';
import { NB_TABLES } from './rows.js';
import { addToScope, type Scope } from './scope.js';
import type { RowData } from '../ovsdb/types.js';
import { sameValue } from '../ovsdb/values.js';

/**
 * An identity several units want: each unit's own row, in arrival order
 * (the first wins a conflict), and their merge, the row plan() sees. An
 * identity one unit wants holds that unit's row itself: no entry object
 * for each of 575k rows. A unit's row is found again by being the same
 * object: replace() knows the rows the unit held.
 */
class Shared {
  constructor(
    public row: DesiredRow,
    readonly parts: DesiredRow[],
  ) {}
}

type Held = DesiredRow | Shared;

const rowOf = (h: Held): DesiredRow => (h instanceof Shared ? h.row : h);

const SEP = '\u0000';

function sameRowData(a: RowData | undefined, b: RowData | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((c) => sameValue(a[c], b[c]));
}

function sameRefs(a: Record<string, RefSet> | undefined, b: Record<string, RefSet> | undefined): boolean {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((c) => {
    const x = a![c]!;
    const y = b?.[c];
    return y !== undefined && x.table === y.table && x.mode === y.mode && sameValue(x.keys, y.keys);
  });
}

/** Whether two desired rows of one identity would plan the same. */
export function sameDesired(a: DesiredRow, b: DesiredRow): boolean {
  return (
    sameRowData(a.row, b.row) &&
    sameRowData(a.insertOnly, b.insertOnly) &&
    a.parent?.table === b.parent?.table &&
    a.parent?.key === b.parent?.key &&
    a.parent?.column === b.parent?.column &&
    sameRefs(a.refs, b.refs)
  );
}

const copyRow = (d: DesiredRow): DesiredRow => ({
  ...d,
  ...(d.refs ? { refs: Object.fromEntries(Object.entries(d.refs).map(([c, r]) => [c, { ...r, keys: [...r.keys] }])) } : {}),
});

/** A unit's rows; one row held bare (150k pods want one port each: no array each). */
type UnitRows = DesiredRow | readonly DesiredRow[];

const listOf = (u: UnitRows): readonly DesiredRow[] => (Array.isArray(u) ? (u as readonly DesiredRow[]) : [u as DesiredRow]);
const held = (rows: readonly DesiredRow[]): UnitRows => (rows.length === 1 ? rows[0]! : rows);

export class DesiredUnits implements DesiredSource {
  private readonly units = new Map<string, UnitRows>();
  private readonly tables = new Map<NbTable, Map<string, Held>>(NB_TABLES.map((t) => [t, new Map()]));
  /** Conflicts between units, by identity; and within one unit's own rows, by unit. */
  private readonly conflictAt = new Map<string, DesiredConflict>();
  private readonly unitConflicts = new Map<string, DesiredConflict[]>();

  get conflicts(): DesiredConflict[] {
    const out = [...this.conflictAt.values()];
    for (const l of this.unitConflicts.values()) for (const c of l) out.push(c);
    return out;
  }

  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    return n;
  }

  *rows(table: NbTable): Iterable<readonly [string, DesiredRow]> {
    for (const [key, h] of this.tables.get(table)!) yield [key, rowOf(h)] as const;
  }

  *values(table: NbTable): Iterable<DesiredRow> {
    for (const h of this.tables.get(table)!.values()) yield rowOf(h);
  }

  count(table: NbTable): number {
    return this.tables.get(table)!.size;
  }

  get(table: NbTable, key: string): DesiredRow | undefined {
    const h = this.tables.get(table)!.get(key);
    return h === undefined ? undefined : rowOf(h);
  }

  /** Forgets every unit (the owner is done with them). */
  clear(): void {
    this.units.clear();
    for (const t of this.tables.values()) t.clear();
    this.conflictAt.clear();
    this.unitConflicts.clear();
  }

  /** The rows a unit wants now (undefined: none). */
  rowsOf(unit: string): readonly DesiredRow[] | undefined {
    const u = this.units.get(unit);
    return u === undefined ? undefined : listOf(u);
  }

  unitIds(): IterableIterator<string> {
    return this.units.keys();
  }

  /**
   * Sets what a unit wants (an empty list removes it); adds to `changed` every
   * identity whose merged row appeared, changed or went away.
   */
  replace(unit: string, rows: readonly DesiredRow[], changed?: Scope): void {
    const next = this.dedupe(unit, rows);
    const had = this.units.get(unit);
    const before = had === undefined ? undefined : listOf(had);
    if (before === undefined) {
      // A new unit (every unit of a first rebuild): nothing to compare.
      if (next.length === 0) return;
      for (const r of next) {
        this.put(r, undefined);
        if (changed) addToScope(changed, r.table, r.key);
      }
      this.units.set(unit, held(next));
      return;
    }
    const old = new Map<string, DesiredRow>();
    for (const r of before) old.set(r.table + SEP + r.key, r);
    const kept: DesiredRow[] = [];
    for (const r of next) {
      const k = r.table + SEP + r.key;
      const o = old.get(k);
      old.delete(k);
      if (o && sameDesired(o, r)) {
        kept.push(o);
        continue;
      }
      kept.push(r);
      this.put(r, o);
      if (changed) addToScope(changed, r.table, r.key);
    }
    for (const r of old.values()) {
      this.drop(r);
      if (changed) addToScope(changed, r.table, r.key);
    }
    if (kept.length > 0) this.units.set(unit, held(kept));
    else this.units.delete(unit);
  }

  /** One row per identity within a unit (identical ones merged). */
  private dedupe(unit: string, rows: readonly DesiredRow[]): readonly DesiredRow[] {
    this.unitConflicts.delete(unit);
    if (rows.length < 2) return rows;
    // Almost always no key repeats even across tables: found without building table+key strings for a node's ~200 rows.
    const keys = new Set<string>();
    for (const r of rows) keys.add(r.key);
    if (keys.size === rows.length) return rows;
    const seen = new Map<string, DesiredRow>();
    let dup = false;
    for (const r of rows) {
      const k = r.table + SEP + r.key;
      const prev = seen.get(k);
      if (!prev) seen.set(k, r);
      else {
        dup = true;
        if (!mergeInto(prev, r)) {
          const l = this.unitConflicts.get(unit) ?? [];
          l.push({ table: r.table, key: r.key, reason: 'two different desired rows under one identity' });
          this.unitConflicts.set(unit, l);
        }
      }
    }
    return dup ? [...seen.values()] : rows;
  }

  /** Holds `r` in place of `own`, the row its unit held under that identity before (if any). */
  private put(r: DesiredRow, own: DesiredRow | undefined): void {
    const t = this.tables.get(r.table)!;
    const h = t.get(r.key);
    if (h === undefined || h === own) {
      t.set(r.key, r);
      return;
    }
    if (!(h instanceof Shared)) {
      const shared = new Shared(h, [h, r]);
      t.set(r.key, shared);
      this.remerge(r.table, r.key, shared);
      return;
    }
    const i = own === undefined ? -1 : h.parts.indexOf(own);
    if (i >= 0) h.parts[i] = r;
    else h.parts.push(r);
    this.remerge(r.table, r.key, h);
  }

  /** Lets go of a unit's row `r`. */
  private drop(r: DesiredRow): void {
    const t = this.tables.get(r.table)!;
    const h = t.get(r.key);
    if (h === undefined) return;
    if (!(h instanceof Shared)) {
      if (h === r) t.delete(r.key);
      return;
    }
    const i = h.parts.indexOf(r);
    if (i < 0) return;
    h.parts.splice(i, 1);
    if (h.parts.length === 1) {
      t.set(r.key, h.parts[0]!);
      this.conflictAt.delete(r.table + SEP + r.key);
    } else this.remerge(r.table, r.key, h);
  }

  private remerge(table: NbTable, key: string, h: Shared): void {
    const merged = copyRow(h.parts[0]!);
    let conflict = false;
    for (let i = 1; i < h.parts.length; i++) if (!mergeInto(merged, h.parts[i]!)) conflict = true;
    h.row = merged;
    const k = table + SEP + key;
    if (conflict) this.conflictAt.set(k, { table, key, reason: 'two different desired rows under one identity' });
    else this.conflictAt.delete(k);
  }
}
