/**
 * A steady-state pass: the model recomputes the units the changed objects
 * affect, and only the identities whose desired rows changed are planned
 * (looked up through the NB cache's indexes) and applied, usually as one
 * transaction. Parents and references outside the scope resolve to the rows
 * the NB holds for them.
 */
import { desiredIn, scopeSize } from '../nb/scope.js';
import { cacheScopeView } from '../nb/existing-view.js';
import { kubeOvnFeatureRow } from '../nb/ownership.js';
import { plan } from '../nb/plan.js';
import type { OvsdbClient } from '../ovsdb/index.js';
import { writeBack } from './allocation.js';
import type { ClusterModel, ClusterStores, DirtyKeys } from './model/cluster-model.js';
import { applyOperations, waitForCache } from './nb-writer.js';
import type { ControllerOptions } from './options.js';
import type { PassDeps, SyncReport } from './sync-once.js';
import { laps } from '../util/laps.js';

export async function scopedSync(
  model: ClusterModel,
  dirty: DirtyKeys,
  stores: ClusterStores,
  nb: OvsdbClient,
  o: ControllerOptions,
  deps: PassDeps,
): Promise<SyncReport> {
  const { timings, lap } = laps();
  const u = await model.update(dirty, stores);
  lap('update');
  const planned = plan(desiredIn(u.scope, model.units), cacheScopeView(nb.cache, u.scope), {
    vendor: o.vendor,
    keep: kubeOvnFeatureRow,
    outside: (table, key) => model.units.get(table, key),
  });
  lap('plan');
  let transactions = 0;
  if (planned.ops.length > 0) {
    const applied = await applyOperations(nb, planned.ops, { maxOps: o.maxOpsPerTxn, isLeader: deps.isLeader, metrics: deps.metrics });
    transactions = applied.transactions;
    // The next pass plans from the cache: it must hold our inserts, or it would insert them again.
    if (!(await waitForCache(nb, applied.unseen, 60_000))) throw new Error('NB cache did not show our inserts within 60 s');
  }
  lap('apply');
  let annotations = { sent: 0, failed: 0 };
  if (deps.writer && (u.pods.length > 0 || u.nodes.length > 0)) {
    annotations = await writeBack(deps.writer, model.ipamState, u, {
      workers: o.workerNum,
      log: deps.log,
      patches: deps.patches,
    });
  }
  lap('annotate');
  deps.log.debug('scoped pass', { units: u.units, scope: scopeSize(u.scope), operations: planned.ops.length, ms: Math.round(Object.values(timings).reduce((a, b) => a + b, 0)) });
  return {
    plan: { counts: planned.counts, conflicts: planned.conflicts },
    operations: planned.ops.length,
    transactions,
    desiredRows: model.units.size,
    allocated: 0,
    annotations,
    errors: model.errors(),
    timings,
  };
}
