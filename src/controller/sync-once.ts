/**
 * One bulk sync: the cluster listed, the whole desired state computed, the
 * diff against the NB applied in bounded transactions, IPAM results written
 * back as annotations. `ovnscale sync` is this; the controller starts with it.
 */
import { KubeApi, KubeWriter, loadKubeConfig } from '../k8s/index.js';
import type { OvsdbClient } from '../ovsdb/index.js';
import { emptyCounts, type PlanResult } from '../nb/plan.js';
import { activeGatewaysInNb } from '../nb/read.js';
import { governHeap } from '../util/heap-governor.js';
import type { Logger } from '../util/log.js';
import { writeBack } from './allocation.js';
import type { PatchRetries } from './patch-retry.js';
import { rebuildModel, snapshotOf, type ClusterSnapshot } from './bulk-desired.js';
import { createClusterCache } from './cluster-cache.js';
import { Ipam } from './ipam/ipam.js';
import { ClusterModel } from './model/cluster-model.js';
import type { ControllerMetrics } from './metrics.js';
import { addCounts, converge, type Converged } from './converge.js';
import { pendingOf, writeInfrastructureWhenListed, type AheadWrite } from './infrastructure.js';
import { connectNb } from './nb-writer.js';
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
  /** ms: list and nb (connect + cache) from the start, side by side; then ipam, resolve, desired, plan, apply, annotate. */
  timings: Record<string, number>;
  /** The NB was known to hold the desired rows (bulkSync's resumedConverged): nothing was planned. */
  planSkipped?: boolean;
}

/** What a reconciliation pass, full or scoped, works with besides the NB. */
export interface PassDeps {
  writer?: KubeWriter;
  log: Logger;
  metrics?: ControllerMetrics;
  isLeader?: () => boolean;
  /** Annotation patches: a failed object is handled again later (see PatchRetries). */
  patches?: PatchRetries;
}

/** The core of a bulk sync, on caches the caller already holds. */
export async function bulkSync(
  snap: ClusterSnapshot,
  nbClient: OvsdbClient | Promise<OvsdbClient>,
  model: ClusterModel,
  o: ControllerOptions & { dryRun: boolean },
  deps: PassDeps & {
    /** The Subnet- and Node-only rows being written ahead (infrastructure.ts): the plan leaves them to its second round. */
    infrastructure?: AheadWrite;
    /**
     * A warm restart (warm-state.ts) from a stop at which the NB held the
     * desired rows, with no Kubernetes event since: when the NB confirms it
     * has not changed either (resumedUnchanged) and the model allocated no
     * new address, the NB holds this snapshot's desired rows, and the plan is
     * left out (SyncReport.planSkipped).
     */
    resumedConverged?: boolean;
  },
): Promise<SyncReport> {
  // The cluster's desired state needs nothing from the NB but the gateways in use, set once it has replicated.
  // A write ahead that has not published its rows by now never will (it starts only before the pods are listed).
  const d = await rebuildModel(model, snap, deps.infrastructure?.rows);
  const ipam = model.ipamState;
  const nb = await nbClient;
  model.useGateways(activeGatewaysInNb(nb.cache.table('Logical_Router_Policy').rows()));
  const timings = { ...d.timings };
  if (timings.evaluate !== undefined) deps.metrics?.wasmTaskDuration.observe({ kernel: 'selector-set' }, timings.evaluate / 1000);
  deps.log.info('desired state computed', { rows: d.state.size, invalid: d.errors.length, allocated: d.allocated, ipamMs: Math.round(timings.ipam!), resolveMs: Math.round(timings.resolve!), desiredMs: Math.round(timings.desired!) });
  const skip = deps.resumedConverged === true && nb.resumedUnchanged && d.allocated === 0;
  const c = skip ? planless() : await converge(d.state, nb, o, { ...deps, pending: pendingOf(deps.infrastructure, snap), whole: true });
  const ahead = await deps.infrastructure?.done;
  timings.plan = c.timings.plan;
  timings.apply = c.timings.apply;
  if (ahead) {
    timings.infrastructure = ahead.ms;
    addCounts(c.plan.counts, ahead.plan.counts);
  }
  const t = performance.now();
  let annotations = { sent: 0, failed: 0 };
  if (!o.dryRun && deps.writer) {
    annotations = await writeBack(deps.writer, ipam, snap, { workers: o.workerNum, log: deps.log, patches: deps.patches });
  }
  timings.annotate = performance.now() - t;
  return {
    plan: c.plan,
    operations: c.operations + (ahead?.operations ?? 0),
    transactions: c.transactions + (ahead?.transactions ?? 0),
    desiredRows: d.state.size,
    allocated: d.allocated,
    annotations,
    errors: d.errors,
    timings,
    ...(skip ? { planSkipped: true } : {}),
  };
}

/** What converge() reports when there was nothing to plan. */
function planless(): Converged {
  return { plan: { counts: emptyCounts(), conflicts: [] }, operations: 0, transactions: 0, timings: { plan: 0, apply: 0 } };
}

/** Lists the cluster and connects to the NB (at once: neither waits for the other; the desired state is computed while the NB replicates), runs bulkSync once, closes everything. */
export async function syncOnce(o: SyncOnceOptions, log: Logger, metrics?: ControllerMetrics): Promise<SyncReport> {
  const t0 = performance.now();
  const ungovern = governHeap(o.heapTargetMb, log, metrics && ((s) => metrics.heapCollections.observe(s)));
  try {
    return await listAndSync(o, log, t0, metrics);
  } finally {
    ungovern();
  }
}

async function listAndSync(o: SyncOnceOptions, log: Logger, t0: number, metrics?: ControllerMetrics): Promise<SyncReport> {
  const api = new KubeApi(loadKubeConfig(o.kubeconfig));
  const connecting = connectNb(o.nbAddr, log, metrics).then((nb) => ({ nb, ms: performance.now() - t0 }));
  connecting.catch(() => undefined);
  const close = () => connecting.then(({ nb }) => nb.close(), () => undefined);
  let infrastructure: AheadWrite | undefined;
  const listing = (async (): Promise<{ snap: ClusterSnapshot; ms: number }> => {
    const cache = await createClusterCache(api, log);
    cache.start();
    if (!o.dryRun) infrastructure = writeInfrastructureWhenListed(cache, connecting.then((c) => c.nb), o, { log, metrics });
    try {
      await cache.waitForSync(600_000);
      const snap = snapshotOf(cache);
      const ms = performance.now() - t0;
      log.info('cluster listed', { pods: snap.pods.length, nodes: snap.nodes.length, policies: snap.policies.length, services: snap.services.length, ms: Math.round(ms) });
      return { snap, ms };
    } finally {
      await cache.stop();
    }
  })();
  let listed: { snap: ClusterSnapshot; ms: number };
  try {
    listed = await listing;
  } catch (err) {
    await close();
    throw err;
  }
  const model = new ClusterModel(o, new Ipam());
  try {
    const r = await bulkSync(listed.snap, connecting.then((c) => c.nb), model, o, { writer: new KubeWriter(api), log, metrics, infrastructure });
    for (const e of r.errors) metrics?.invalidObjects.inc({ kind: e.kind, reason: e.reason });
    r.timings = { list: listed.ms, nb: (await connecting).ms, ...r.timings };
    return r;
  } finally {
    model.dispose();
    await close();
  }
}
