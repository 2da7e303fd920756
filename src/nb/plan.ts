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
 * - A converged NB yields no operation. Output order is deterministic.
 */
import type { Operation, Row, RowData, Value } from '../ovsdb/types.js';
import { isMap, satisfies, valueToWrite } from './compare.js';
import type { DesiredConflict, DesiredRow, DesiredSource } from './desired.js';
import { asUuids, heldRows, rowsView, type ExistingView, type Held } from './existing-view.js';
import { pickKeeper } from './keeper.js';
import { VENDOR_KEY } from './naming.js';
import { byNamedOrder, ChildBatches, diffWrite, MapMutations, ParentMutations, sameMembers } from './plan-writes.js';
import { NB_TABLES, ROOT_TABLES, type NbTable } from './rows.js';
import { addToScope, type Scope } from './scope.js';

export type ExistingRows = Partial<Record<NbTable, readonly Row[]>>;

export interface PlanOptions {
  /** external_ids:vendor of rows ovnscale owns (default deployment: kube-ovn). */
  vendor: string;
  /**
   * Remove our-vendor rows nothing wants (default true): roots, and children
   * under a parent that is desired. Turn off when `desired` covers only part of the NB.
   */
  prune?: boolean;
  /** Our-vendor rows never to remove (Kube-OVN features ovnscale does not manage; see ownership.ts). */
  keep?: (table: NbTable, row: Row) => boolean;
  /**
   * New children of an existing parent are emitted in groups of at most this
   * many inserts, each followed by the one parent mutate that holds them
   * (default 500), so chunkOperations can cut transactions between groups.
   */
  batchSize?: number;
  /**
   * Leave for the next plan what would tie many inserts together through
   * named-uuids: children of a parent inserted in this plan, and references
   * to rows inserted in this plan. `deferred` counts them; apply, then plan
   * again (from the updated cache) until it is 0. Every operation group then
   * stays within batchSize + 1 operations. Default false: one plan says everything.
   *
   * Two exceptions keep rows written once, complete: the new children of a
   * new parent with at most batchSize of them ride in the parent's insert
   * (a port group and its ACLs), and such a parent that names rows still to
   * be inserted waits for them instead of being inserted without them and
   * updated a round later (192k port groups at 150k pods: the update round
   * alone cost the server 17 s).
   */
  deferNew?: boolean;
  /**
   * A scoped plan (a steady-state pass) plans only the rows in `desired`;
   * the rest of the desired state is reached here, so parents and
   * references outside the scope resolve to the rows the NB holds for them.
   */
  outside?: (table: NbTable, key: string) => DesiredRow | undefined;
  /**
   * Identities another writer on this NB is writing now (rows written ahead
   * while the cluster is listed): one the NB does not hold yet, or holds
   * under another parent, is left to the next plan (deferred) instead of
   * being inserted twice. Rows the NB holds are planned as usual: both
   * writers want the same values.
   */
  pending?: (table: NbTable, key: string) => boolean;
}

export interface TableCounts {
  insert: number;
  update: number;
  delete: number;
}

export interface PlanResult {
  ops: Operation[];
  counts: Record<NbTable, TableCounts>;
  /** Desired rows that could not be planned (identity held by another vendor, missing parent, conflicting producers). */
  conflicts: DesiredConflict[];
  /** Rows and references left for the next plan (deferNew). */
  deferred: number;
  /** The identities the next plan must cover (deferred rows, and rows whose references were deferred): its scope. */
  deferredScope: Scope;
}

interface Resolved {
  d: DesiredRow;
  /** Existing row kept for this identity, if any. */
  keeper?: Row;
  /** uuid (existing) or named-uuid (inserted in this plan). */
  ref: string;
  /** With deferNew, a new row's new children in this plan (a small family is inserted as one group). */
  newChildren?: number;
}

const vendorOf = (row: Row): string | undefined => {
  const ids = row['external_ids'];
  return isMap(ids) ? (ids[VENDOR_KEY] as string | undefined) : undefined;
};

export function emptyCounts(): Record<NbTable, TableCounts> {
  const c = {} as Record<NbTable, TableCounts>;
  for (const t of NB_TABLES) c[t] = { insert: 0, update: 0, delete: 0 };
  return c;
}

const isView = (e: ExistingRows | ExistingView): e is ExistingView => typeof (e as ExistingView).rowsOf === 'function';

export function plan(desired: DesiredSource, existing: ExistingRows | ExistingView, opts: PlanOptions): PlanResult {
  const prune = opts.prune ?? true;
  const batchSize = Math.max(1, opts.batchSize ?? 500);
  const deferNew = opts.deferNew ?? false;
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
    fresh.sort();
    for (const key of fresh) out.get(key)!.ref = `row${named++}`;
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
  const inserts = new Map<string, { table: NbTable; row: RowData }>();
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
    for (const table of NB_TABLES) {
      for (const [key, r] of resolved.get(table)!) {
        if (r.keeper || !r.d.refs || (r.newChildren ?? 0) > batchSize) continue;
        const waits = Object.values(r.d.refs).some((spec) =>
          spec.keys.some((k) => {
            const t = lookup(spec.table, k);
            return t !== undefined && !t.keeper;
          }),
        );
        if (waits) defer(table, key);
      }
    }
  }
  const insertRow = (table: NbTable, key: string, r: Resolved, parent: Resolved | undefined): void => {
    const { d } = r;
    if (deferNew && parent && !parent.keeper && (parent.newChildren ?? 0) > batchSize) {
      defer(table, key);
      return;
    }
    counts[table].insert++;
    // A copy (the insert gains reference columns below); one spread is a fast clone, two are not.
    inserts.set(r.ref, { table, row: d.insertOnly ? { ...d.insertOnly, ...d.row } : { ...d.row } });
    if (parent && d.parent && parent.keeper) batches.add({ table: d.parent.table, uuid: parent.ref, column: d.parent.column }, table, r.ref);
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
    m.r.ref = `row${named++}`;
    insertRow(m.table, m.key, m.r, m.parent);
  }

  // New children of new parents go straight into the parent's insert.
  const childLists: Value[] = [];
  for (const table of NB_TABLES) {
    for (const r of resolved.get(table)!.values()) {
      if (r.keeper || !r.d.parent) continue;
      const parent = lookup(r.d.parent.table, r.d.parent.key)!;
      if (parent.keeper) continue;
      const prow = inserts.get(parent.ref)!.row;
      const col = prow[r.d.parent.column];
      if (Array.isArray(col)) col.push(r.ref);
      else {
        const list = [r.ref];
        prow[r.d.parent.column] = list;
        childLists.push(list);
      }
    }
  }
  for (const l of childLists) (l as string[]).sort(byNamedOrder);

  batches.seal(batchSize);

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
          if (deferNew && !t.keeper) {
            deferred++;
            addToScope(deferredScope, table, r.d.key);
          } else want.push(t.ref);
        }
        if (!r.keeper) {
          inserts.get(r.ref)!.row[col] = [...new Set(want)].sort();
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
  const ops: Operation[] = [...deletes, ...updates.map((u) => u.op)];
  for (const ref of [...inserts.keys()].sort(byNamedOrder)) {
    const { table, row } = inserts.get(ref)!;
    if (!batches.has(ref)) ops.push({ op: 'insert', table, row, uuidName: ref });
  }
  batches.emit(inserts, ops);
  ops.push(...mutations.ops(deleted), ...mapMutations.ops());
  return { ops, counts, conflicts, deferred, deferredScope };
}
