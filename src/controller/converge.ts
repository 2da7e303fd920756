/**
 * A desired state brought into the whole NB: one full plan, applied in
 * bounded transactions. One plan says everything: what a dry run reports,
 * and what a small change sends as one transaction. A change larger than one
 * transaction goes in rounds instead: each round references only rows that
 * exist or that an earlier transaction of its own inserts under a uuid we
 * chose, so no transaction carries a cluster's worth of rows tied together
 * by named-uuids; the next round plans, from the cache once it holds the
 * rows just inserted, only what the previous one deferred (with chosen
 * uuids, usually nothing).
 */
import { randomUUID } from 'node:crypto';
import type { DesiredSource } from '../nb/desired.js';
import type { NbTable } from '../nb/rows.js';
import { cacheScopeView, rowsView } from '../nb/existing-view.js';
import { kubeOvnFeatureRow } from '../nb/ownership.js';
import { plan, type PlanOptions, type PlanResult } from '../nb/plan.js';
import { desiredIn } from '../nb/scope.js';
import type { OvsdbClient } from '../ovsdb/index.js';
import { flat } from '../util/flat-string.js';
import { heapCheckpoint, heapSettled } from '../util/heap-governor.js';
import type { Logger } from '../util/log.js';
import type { ControllerMetrics } from './metrics.js';
import { applyOperations, rowUuidsSupported, waitForCache } from './nb-writer.js';

/** Rounds a real sync may take: a new switch, its ports, the port groups naming them, their ACLs. */
const MAX_ROUNDS = 6;

export interface Converged {
  plan: Pick<PlanResult, 'counts' | 'conflicts'>;
  operations: number;
  transactions: number;
  /** ms: plan (all rounds), apply */
  timings: { plan: number; apply: number };
}

/**
 * Rows another writer is writing now (see PlanOptions.pending): the first round leaves them, later rounds plan
 * them once it has settled, but for those it then says it wrote exactly as desired.
 */
export interface Pending {
  has: (table: NbTable, key: string) => boolean;
  settled: Promise<((table: NbTable, key: string) => boolean) | undefined>;
}

/** The tables a plan writes, each with its inserts/updates/deletes, for the log. */
function written(counts: PlanResult['counts']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [table, c] of Object.entries(counts)) if (c.insert + c.update + c.delete > 0) out[table] = `${c.insert}/${c.update}/${c.delete}`;
  return out;
}

/** Adds `more` into `into`, table by table. */
export function addCounts(into: PlanResult['counts'], more: PlanResult['counts']): void {
  for (const table of Object.keys(more) as (keyof typeof more)[]) {
    into[table].insert += more[table].insert;
    into[table].update += more[table].update;
    into[table].delete += more[table].delete;
  }
}

/**
 * A uuid for a new row, flat: Node's randomUUID joins 20 pieces with `+`,
 * which V8 holds as a tree of ~600 bytes until it is read; a cold sync's
 * plan names 576k new rows (206 MiB of trees at 150k pods, 56 bytes each
 * flat).
 */
const newRowUuid = (): string => flat(randomUUID());

export async function converge(
  desired: DesiredSource,
  nb: OvsdbClient,
  o: { vendor: string; maxOpsPerTxn: number; dryRun: boolean; prune?: boolean },
  deps: {
    log: Logger;
    metrics?: ControllerMetrics;
    isLeader?: () => boolean;
    pending?: Pending;
    /** The plan covers the whole desired state (not a write ahead's share): the heap around it is the pass's working set (heapSettled). */
    whole?: boolean;
  },
): Promise<Converged> {
  // New rows named by uuids we choose need no round to learn them: one plan writes a new router and its policies.
  const rowUuids = !o.dryRun && (await rowUuidsSupported(nb)) ? newRowUuid : undefined;
  const collect = deps.whole ? heapSettled : heapCheckpoint;
  // The desired state was just computed, leaving its garbage; the plan makes its own on top.
  collect();
  let t = performance.now();
  // Rows of Kube-OVN features ovnscale does not manage (security groups, IP pools, ...) are kept when adopting its NB.
  // Rows found in place hold their desired values once: the cache takes the desired row's equal ones.
  const planOpts: PlanOptions = { vendor: o.vendor, keep: kubeOvnFeatureRow, prune: o.prune, kept: (table, uuid, row) => nb.cache.share(table, uuid, row) };
  // With uuids a group of new children (and its parent mutate) is half a transaction, so two fill one
  // (named-uuid rounds have their mutates cut to fit instead).
  const roundOpts: PlanOptions = { ...planOpts, deferNew: true, ...(rowUuids ? { rowUuids, batchSize: Math.max(1, Math.floor(o.maxOpsPerTxn / 2) - 1) } : {}) };
  // The whole NB grouped by identity once, straight from the cache, for the first round's plan(s).
  const existing = rowsView((table) => nb.cache.table(table).rows());
  let planned: PlanResult;
  let rounds = false;
  if (o.dryRun) planned = plan(desired, existing, planOpts);
  else {
    // The first round's plan; when it defers nothing it is the whole plan (no second full plan to decide).
    planned = plan(desired, existing, { ...roundOpts, pending: deps.pending?.has });
    if (planned.deferred > 0 && planned.ops.length + planned.deferred <= o.maxOpsPerTxn && !deps.pending) planned = plan(desired, existing, planOpts);
    else rounds = planned.deferred > 0 || planned.ops.length > o.maxOpsPerTxn;
  }
  const timings = { plan: performance.now() - t, apply: 0 };
  collect();
  deps.log.info('plan computed', { operations: planned.ops.length, rounds, tables: written(planned.counts), ms: Math.round(timings.plan) });
  const counts = planned.counts;
  let operations = planned.ops.length;
  let transactions = 0;
  // A round may hold nothing to write but rows left to a pending writer.
  for (let round = 1; !o.dryRun && (planned.ops.length > 0 || (rounds && planned.deferred > 0)); round++) {
    if (round > MAX_ROUNDS) throw new Error(`the NB did not converge in ${MAX_ROUNDS} rounds (${planned.ops.length} operations left)`);
    const sent = planned.ops.length;
    if (sent > 0) {
      t = performance.now();
      const applied = await applyOperations(nb, planned.ops, { maxOps: o.maxOpsPerTxn, groups: planned.groups, isLeader: deps.isLeader, metrics: deps.metrics, bulk: true });
      transactions += applied.transactions;
      timings.apply += performance.now() - t;
      deps.log.info('plan applied', { round, operations: sent, transactions: applied.transactions, ms: Math.round(performance.now() - t) });
      // Whatever plans next (this loop or the next pass) must see our inserts, or it would insert them again.
      if (!(await waitForCache(nb, applied.unseen, 60_000))) deps.log.warn('NB cache slow to show our inserts; planning anyway');
    }
    if (!rounds) break;
    const scope = planned.deferredScope;
    if (round === 1 && deps.pending) {
      const written = await deps.pending.settled;
      if (written) for (const [table, keys] of scope) for (const key of keys) if (written(table, key)) keys.delete(key);
    }
    t = performance.now();
    planned = plan(desiredIn(scope, desired), cacheScopeView(nb.cache, scope), { ...roundOpts, outside: (table, key) => desired.get(table, key) });
    timings.plan += performance.now() - t;
    deps.log.info('round planned', { round: round + 1, operations: planned.ops.length, tables: written(planned.counts), ms: Math.round(performance.now() - t) });
    operations += planned.ops.length;
    addCounts(counts, planned.counts);
  }
  return { plan: { counts, conflicts: planned.conflicts }, operations, transactions, timings };
}
