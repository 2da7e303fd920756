/**
 * One bulk sync: the cluster listed, the whole desired state computed, the
 * diff against the NB applied in bounded transactions, IPAM results written
 * back as annotations. `ovnscale sync` is this; the controller starts with it.
 */
import { KubeApi, loadKubeConfig } from '../k8s/index.js';
import type { OvsdbClient } from '../ovsdb/index.js';
import { plan, type PlanResult } from '../nb/plan.js';
import type { Logger } from '../util/log.js';
import { annotationPatches, sendPatches } from './allocation.js';
import { bulkDesired, snapshotOf, type ClusterSnapshot } from './bulk-desired.js';
import { createClusterCache } from './cluster-cache.js';
import { Ipam } from './ipam/ipam.js';
import type { ControllerMetrics } from './metrics.js';
import { applyOperations, connectNb, existingRows } from './nb-writer.js';
import type { ControllerOptions } from './options.js';
import type { ValidationError } from './validation.js';

export interface SyncOnceOptions extends ControllerOptions {
  nbAddr: string;
  kubeconfig?: string;
  /** Plan only: compute and report, write nothing (NB or API). */
  dryRun: boolean;
}

export interface SyncReport {
  plan: Pick<PlanResult, 'counts' | 'conflicts'>;
  operations: number;
  transactions: number;
  desiredRows: number;
  allocated: number;
  annotations: { sent: number; failed: number };
  errors: ValidationError[];
  /** ms: list, nb (connect + cache), ipam, resolve, desired, plan, apply, annotate. */
  timings: Record<string, number>;
}

/** The core of a bulk sync, on caches the caller already holds. */
export async function bulkSync(
  snap: ClusterSnapshot,
  nb: OvsdbClient,
  ipam: Ipam,
  o: ControllerOptions & { dryRun: boolean },
  deps: { api?: KubeApi; log: Logger; metrics?: ControllerMetrics; isLeader?: () => boolean },
): Promise<SyncReport> {
  const d = await bulkDesired(snap, ipam, o);
  const timings = { ...d.timings };
  deps.log.info('desired state computed', { rows: d.state.size, invalid: d.errors.length, allocated: d.allocated, ipamMs: Math.round(timings.ipam!), resolveMs: Math.round(timings.resolve!), desiredMs: Math.round(timings.desired!) });
  let t = performance.now();
  const planned = plan(d.state, existingRows(nb), { vendor: o.vendor });
  timings.plan = performance.now() - t;
  deps.log.info('plan computed', { operations: planned.ops.length, ms: Math.round(timings.plan) });
  t = performance.now();
  const transactions = o.dryRun ? 0 : await applyOperations(nb, planned.ops, { maxOps: o.maxOpsPerTxn, isLeader: deps.isLeader, metrics: deps.metrics });
  timings.apply = performance.now() - t;
  if (!o.dryRun) deps.log.info('plan applied', { operations: planned.ops.length, transactions, ms: Math.round(timings.apply) });
  t = performance.now();
  let annotations = { sent: 0, failed: 0 };
  if (!o.dryRun && deps.api) {
    const r = await sendPatches(deps.api, annotationPatches(ipam, snap.pods, snap.nodes));
    for (const f of r.failed) deps.log.warn('annotation patch failed', { kind: f.patch.kind, namespace: f.patch.namespace, name: f.patch.name, err: f.err.message });
    annotations = { sent: r.sent, failed: r.failed.length };
  }
  timings.annotate = performance.now() - t;
  for (const e of d.errors) deps.metrics?.invalidObjects.inc({ kind: e.kind, reason: e.reason });
  return {
    plan: { counts: planned.counts, conflicts: planned.conflicts },
    operations: planned.ops.length,
    transactions,
    desiredRows: d.state.size,
    allocated: d.allocated,
    annotations,
    errors: d.errors,
    timings,
  };
}

/** Lists the cluster, connects to the NB, runs bulkSync once, and closes everything. */
export async function syncOnce(o: SyncOnceOptions, log: Logger, metrics?: ControllerMetrics): Promise<SyncReport> {
  let t = performance.now();
  const api = new KubeApi(loadKubeConfig(o.kubeconfig));
  const cache = await createClusterCache(api, log);
  cache.start();
  let snap: ClusterSnapshot;
  try {
    await cache.waitForSync(600_000);
    snap = snapshotOf(cache);
    log.info('cluster listed', { pods: snap.pods.length, nodes: snap.nodes.length, policies: snap.policies.length, services: snap.services.length, ms: Math.round(performance.now() - t) });
  } finally {
    await cache.stop();
  }
  const listMs = performance.now() - t;
  t = performance.now();
  const nb = await connectNb(o.nbAddr, log, metrics);
  const nbMs = performance.now() - t;
  try {
    const r = await bulkSync(snap, nb, new Ipam(), o, { api, log, metrics });
    r.timings = { list: listMs, nb: nbMs, ...r.timings };
    return r;
  } finally {
    await nb.close();
  }
}
