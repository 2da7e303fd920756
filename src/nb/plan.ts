/**
 * plan(): desired rows → diff against the replicated NB cache → operations.
 *
 * - Rows are matched by identity (identity.ts), so rows kube-ovn-controller
 *   wrote are adopted, not duplicated; several existing rows under one
 *   identity collapse to one.
 * - Only changed columns are updated; shared map columns keep other writers' keys.
 * - Parent reference sets (router.policies, switch.ports, port_group.acls,
 *   port_group.ports, ...) change only by mutate insert/delete, so a concurrent
 *   writer's members are never clobbered.
 * - Rows nothing wants are removed only when they carry our vendor; rows of
 *   another vendor are never touched.
 * - A converged NB yields no operation. Output order is deterministic (with
 *   client-chosen uuids, up to the uuids).
 * - New rows are named by named-uuids, or by uuids we choose (rowUuids), which
 *   later transactions of the same plan may name: one round, not three.
 */
import type { Operation, Row, RowData, Value } from '../ovsdb/types.js';
import { isMap, satisfies, valueToWrite } from './compare.js';
import type { DesiredConflict, DesiredRow, DesiredSource } from './desired.js';
import { asUuids, heldRows, rowsView, type ExistingView, type Held } from './existing-view.js';
import { pickKeeper } from './keeper.js';
import { VENDOR_KEY } from './naming.js';
import { emptyCounts, type ExistingRows, type PlanOptions, type PlanResult } from './plan-options.js';
import { byNamedOrder, ChildBatches, diffWrite, emitGrouped, MapMutations, ParentMutations, sameMembers, type NewRow } from './plan-writes.js';
import { NB_TABLES, ROOT_TABLES, type NbTable } from './rows.js';
import { addToScope, type Scope } from './scope.js';

export type { ExistingRows, PlanOptions, PlanResult, TableCounts } from './plan-options.js';
export { emptyCounts } from './plan-options.js';

interface Resolved {
  d: DesiredRow;
  /** Existing row kept for this identity, if any. */
  keeper?: Row;
  /** uuid (existing) or named-uuid (inserted in this plan). */
  ref: string;
  /** With deferNew, a new row's new children in this plan (a small family is inserted as one group). */
  newChildren?: number;
  /** With rowUuids, a new root row that names rows new in this plan: inserted after them. */
  late?: boolean;
  /** Its insert, once planned. */
  insert?: NewRow;
}

const vendorOf = (row: Row): string | undefined => {
  const ids = row['external_ids'];
  return isMap(ids) ? (ids[VENDOR_KEY] as string | undefined) : undefined;
};

const isView = (e: ExistingRows | ExistingView): e is ExistingView => typeof (e as ExistingView).rowsOf === 'function';

export function plan(desired: DesiredSource, existing: ExistingRows | ExistingView, opts: PlanOptions): PlanResult {
  const prune = opts.prune ?? true;
  const batchSize = Math.max(1, opts.batchSize ?? 500);
  const deferNew = opts.deferNew ?? false;
  const uuids = deferNew ? opts.rowUuids : undefined;
  const newRef = (): string => (uuids ? uuids() : `row${named++}`);
  let deferred = 0;
  const deferredScope: Scope = new Map();
  const isOurs = (r: Row): boolean => {
    const v = vendorOf(r);
    return v === undefined || v === opts.vendor;
  };
  const counts = emptyCounts();
  const conflicts: DesiredConflict[] = [...desired.conflicts];

  const view: ExistingView = isView(existing) ? existing : rowsView((t) => existing[t] ?? []);

  // Pass 1: resolve each desired row to a kept existing row or a new named-uuid.
  const resolved = new Map<NbTable, Map<string, Resolved>>();
  const removals: { table: NbTable; row: Row }[] = [];
  let named = 0;
  for (const table of NB_TABLES) {
    const out = new Map<string, Resolved>();
    resolved.set(table, out);
    // Only new rows need a sorted walk (named-uuids, insert order); sorting every key costs more than the rest.
    const fresh: string[] = [];
    for (const [key, d] of desired.rows(table)) {
      const held = view.rowsOf(table, key);
      if (held === undefined) {
        if (opts.pending?.(table, key)) {
          deferred++;
          addToScope(deferredScope, table, key);
          continue;
        }
        fresh.push(key);
        out.set(key, { d, ref: '' });
        continue;
      }
      const rows = heldRows(held);
      if (rows.length === 1 && isOurs(rows[0]!)) {
        out.set(key, { d, keeper: rows[0]!, ref: rows[0]!._uuid });
        continue;
      }
      const ours = rows.filter(isOurs);
      if (ours.length === 0) {
        conflicts.push({ table, key, reason: `identity held by vendor '${vendorOf(rows[0]!)}'` });
        continue;
      }
      const { keeper, duplicates } = pickKeeper(d, ours);
      for (const r of duplicates) removals.push({ table, row: r });
      out.set(key, { d, keeper, ref: keeper._uuid });
    }
    // Named-uuids follow key order; chosen uuids carry no order to keep.
    if (!uuids) fresh.sort();
    for (const key of fresh) out.get(key)!.ref = newRef();
    if (prune) {
      const unwanted: (readonly [string, Held])[] = [];
      for (const e of view.pruneCandidates(table)) if (!out.has(e[0]) && !opts.outside?.(table, e[0])) unwanted.push(e);
      unwanted.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const root = ROOT_TABLES.has(table);
      for (const [, held] of unwanted) {
        for (const r of heldRows(held)) {
          if (vendorOf(r) !== opts.vendor || opts.keep?.(table, r)) continue;
          // Children are ours to remove only under a parent we manage.
          if (!root) {
            const p = view.parentOf(r._uuid, table)!;
            if (!resolved.get(p.table)!.has(p.name) && !opts.outside?.(p.table, p.name)) continue;
          }
          removals.push({ table, row: r });
        }
      }
    }
  }

  // Rows outside a scoped plan resolve to the row the NB holds for them (none yet: not resolvable).
  const beyond = new Map<NbTable, Map<string, Resolved | null>>(NB_TABLES.map((t) => [t, new Map()]));
  const lookup = (table: NbTable, key: string): Resolved | undefined => {
    const r = resolved.get(table)!.get(key);
    if (r || !opts.outside) return r;
    // Per table, not a joined key: a bulk round looks up about a million port-group members.
    const known = beyond.get(table)!;
    let b = known.get(key);
    if (b === undefined) {
      const d = opts.outside(table, key);
      const held = d ? view.rowsOf(table, key) : undefined;
      const ours = held === undefined ? [] : heldRows(held).filter(isOurs);
      b = d && ours.length > 0 ? { d, keeper: pickKeeper(d, ours).keeper, ref: '' } : null;
      if (b) b.ref = b.keeper!._uuid;
      known.set(key, b);
    }
    return b ?? undefined;
  };
  const mutations = new ParentMutations();
  const mapMutations = new MapMutations();
  const newRows: NewRow[] = [];
  const updates: { order: number; key: string; op: Operation }[] = [];
  const updated = new Set<string>();
  const deletes: Operation[] = [];
  const batches = new ChildBatches();

  // Removals: roots are deleted; children leave their parent's strong set (OVSDB then drops them).
  const deleted = new Set<string>();
  for (const { table, row } of removals) if (ROOT_TABLES.has(table)) deleted.add(row._uuid);
  for (const { table, row } of removals) {
    counts[table].delete++;
    if (ROOT_TABLES.has(table)) {
      deletes.push({ op: 'delete', table, where: [['_uuid', '==', row._uuid]] });
    } else {
      const p = view.parentOf(row._uuid, table)!;
      if (!deleted.has(p.uuid)) mutations.delete(p.table, p.uuid, p.column, row._uuid);
    }
  }

  const defer = (table: NbTable, key: string): void => {
    deferred++;
    addToScope(deferredScope, table, key);
    resolved.get(table)!.delete(key);
  };
  if (deferNew) {
    for (const table of NB_TABLES) {
      for (const r of resolved.get(table)!.values()) {
        if (r.keeper || !r.d.parent) continue;
        const p = resolved.get(r.d.parent.table)!.get(r.d.parent.key);
        if (p) p.newChildren = (p.newChildren ?? 0) + 1;
      }
    }
    // A new small-family row naming rows still to be inserted waits for them, whole. Only rows
    // planned here count: of two new rows naming each other, the second is inserted without the first.
    // With rowUuids a new root row goes after them instead (late), when each names nothing itself and
    // is inserted in an earlier group; chains of rows naming new rows still take rounds.
    const earlier = (t: Resolved, table: NbTable): boolean => {
      if (t.d.refs) return false;
      let g = t;
      for (let pr = g.d.parent; pr; pr = g.d.parent) {
        const p = lookup(pr.table, pr.key);
        if (!p || p.keeper || (p.newChildren ?? 0) > batchSize) break;
        g = p;
      }
      return g === t || !g.d.refs || NB_TABLES.indexOf(g.d.table) < NB_TABLES.indexOf(table);
    };
    for (const table of NB_TABLES) {
      for (const [key, r] of resolved.get(table)!) {
        if (r.keeper || !r.d.refs || (r.newChildren ?? 0) > batchSize) continue;
        let waits = false;
        let late = uuids !== undefined && ROOT_TABLES.has(table);
        for (const spec of Object.values(r.d.refs)) {
          for (const k of spec.keys) {
            const t = lookup(spec.table, k);
            if (t === undefined || t.keeper) continue;
            waits = true;
            late &&= earlier(t, table);
            if (!late) break;
          }
          if (waits && !late) break;
        }
        if (waits && late) r.late = true;
        else if (waits) defer(table, key);
      }
    }
  }
  const insertRow = (table: NbTable, key: string, r: Resolved, parent: Resolved | undefined): void => {
    const { d } = r;
    // A large family of a new parent: in groups under it once it exists (a root inserted ahead), else next round.
    const underNew = deferNew && parent !== undefined && !parent.keeper && (parent.newChildren ?? 0) > batchSize;
    if (underNew && (!uuids || !ROOT_TABLES.has(d.parent!.table))) {
      defer(table, key);
      return;
    }
    counts[table].insert++;
    const batched = parent !== undefined && d.parent !== undefined && (parent.keeper !== undefined || underNew);
    // A copy (the insert gains reference columns below); one spread is a fast clone, two are not.
    const row = d.insertOnly ? { ...d.insertOnly, ...d.row } : { ...d.row };
    const order = uuids ? newRows.length : Number(r.ref.slice(3));
    const e: NewRow = { ref: r.ref, order, table, row, place: batched ? 'batched' : r.late ? 'late' : undefined, riders: undefined };
    r.insert = e;
    newRows.push(e);
    if (batched) batches.add({ table: d.parent!.table, uuid: parent.ref, column: d.parent!.column }, table, e);
  };

  // Pass 2: inserts, updates, parent wiring.
  const moved: { table: NbTable; key: string; r: Resolved; parent: Resolved }[] = [];
  for (const table of NB_TABLES) {
    for (const [key, r] of resolved.get(table)!) {
      const { d } = r;
      let parent: Resolved | undefined;
      if (d.parent) {
        parent = lookup(d.parent.table, d.parent.key);
        if (!parent && deferredScope.get(d.parent.table)?.has(d.parent.key)) {
          defer(table, key);
          continue;
        }
        if (!parent) {
          conflicts.push({ table, key, reason: `parent ${d.parent.table} '${d.parent.key}' is not planned` });
          resolved.get(table)!.delete(key);
          continue;
        }
      }
      if (r.keeper && parent && d.parent) {
        const cur = view.parentOf(r.keeper._uuid, table)!;
        if (cur.uuid !== parent.ref || cur.column !== d.parent.column) {
          if (opts.pending?.(table, key)) {
            defer(table, key);
            continue;
          }
          // A row cannot change parents atomically once chunks split the plan: replace it.
          if (!deleted.has(cur.uuid)) mutations.delete(cur.table, cur.uuid, cur.column, r.keeper._uuid);
          counts[table].delete++;
          moved.push({ table, key, r, parent });
          continue;
        }
      }
      if (r.keeper) {
        let row: RowData | undefined;
        let diffed = false;
        for (const c in d.row) {
          const v = d.row[c]!;
          const cur = r.keeper[c];
          if (satisfies(c, v, cur)) continue;
          if (diffWrite(table, r.keeper._uuid, c, v, cur, mutations, mapMutations)) diffed = true;
          else (row ??= {})[c] = valueToWrite(c, v, cur);
        }
        if (row) updates.push({ order: NB_TABLES.indexOf(table), key, op: { op: 'update', table, where: [['_uuid', '==', r.keeper._uuid]], row } });
        opts.kept?.(table, r.keeper._uuid, d.row);
        if (row || diffed) {
          counts[table].update++;
          updated.add(r.keeper._uuid);
        }
      } else {
        insertRow(table, key, r, parent);
      }
    }
  }
  moved.sort((a, b) => NB_TABLES.indexOf(a.table) - NB_TABLES.indexOf(b.table) || (a.key < b.key ? -1 : 1));
  for (const m of moved) {
    delete m.r.keeper;
    m.r.ref = newRef();
    insertRow(m.table, m.key, m.r, m.parent);
  }

  batches.seal(batchSize, !uuids);

  // New children of new parents go straight into the parent's insert (with rowUuids, riding right after it).
  const childLists: Value[] = [];
  for (const table of NB_TABLES) {
    for (const r of resolved.get(table)!.values()) {
      if (r.keeper || !r.d.parent) continue;
      const parent = lookup(r.d.parent.table, r.d.parent.key)!;
      if (parent.keeper || r.insert!.place === 'batched') continue;
      const p = parent.insert!;
      if (uuids) {
        (p.riders ??= []).push(r.insert!);
        r.insert!.place = 'riding';
      }
      const prow = p.row;
      const col = prow[r.d.parent.column];
      if (Array.isArray(col)) col.push(r.ref);
      else {
        const list = [r.ref];
        prow[r.d.parent.column] = list;
        childLists.push(list);
      }
    }
  }
  for (const l of childLists) (l as string[]).sort(uuids ? undefined : byNamedOrder);

  // Reference sets naming other rows by identity.
  for (const table of NB_TABLES) {
    for (const r of resolved.get(table)!.values()) {
      if (!r.d.refs) continue;
      for (const col of Object.keys(r.d.refs).sort()) {
        const spec = r.d.refs[col]!;
        const want: string[] = [];
        for (const k of spec.keys) {
          const t = lookup(spec.table, k);
          if (!t) {
            // A target whose insert was deferred: this row completes its references next round.
            if (deferredScope.get(spec.table)?.has(k)) addToScope(deferredScope, table, r.d.key);
            continue;
          }
          if (!deferNew || t.keeper || r.keeper || r.late) want.push(t.ref);
          // A new row inserted ahead of the rows it names (its children follow it) gains them at the end.
          else if (uuids) mutations.insert(table, r.ref, col, t.ref);
          else {
            deferred++;
            addToScope(deferredScope, table, r.d.key);
          }
        }
        if (!r.keeper) {
          r.insert!.row[col] = [...new Set(want)].sort();
          continue;
        }
        const current = asUuids(r.keeper[col]);
        if (spec.mode === 'exact' && sameMembers(want, current)) continue;
        const have = new Set(current);
        const wantSet = new Set(want);
        let changed = false;
        for (const u of wantSet) {
          if (!have.has(u)) {
            if (!batches.addMember(u, table, r.ref, col)) mutations.insert(table, r.ref, col, u);
            changed = true;
          }
        }
        if (spec.mode === 'exact') {
          for (const u of have) {
            if (!wantSet.has(u)) {
              mutations.delete(table, r.ref, col, u);
              changed = true;
            }
          }
        }
        if (changed && !updated.has(r.ref)) {
          updated.add(r.ref);
          counts[table].update++;
        }
      }
    }
  }

  updates.sort((a, b) => a.order - b.order || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const head: Operation[] = [...deletes, ...updates.map((u) => u.op)];
  const tail = [...mutations.ops(deleted), ...mapMutations.ops()];
  if (uuids) return { ...emitGrouped(head, newRows, batches, tail), counts, conflicts, deferred, deferredScope };
  const ops = head;
  const insertNamed = (e: NewRow): number => {
    ops.push({ op: 'insert', table: e.table, row: e.row, uuidName: e.ref });
    return 1;
  };
  for (const e of newRows.sort((a, b) => a.order - b.order)) if (e.place !== 'batched') insertNamed(e);
  batches.emit(insertNamed, ops);
  ops.push(...tail);
  return { ops, counts, conflicts, deferred, deferredScope };
}
