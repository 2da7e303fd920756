/**
 * The long-running controller: caches, NB client, optional Lease election,
 * a bulk sync when it starts leading, then reconciliation on events.
 *
 * Steady state: every watch event records the object's key as dirty and
 * wakes one de-duplicating queue key; a worker coalesces a burst into one
 * pass. A pass recomputes only the units the dirty objects affect and plans
 * only the identities whose desired rows changed (scoped-sync.ts), usually one
 * transaction. A full pass (the whole cluster rebuilt and planned against
 * the whole NB) runs at startup, on becoming leader, on a Subnet change and
 * after any failed pass; the resync interval plans the current desired state
 * against the whole NB without a rebuild. So nothing is lost: every path
 * converges to the same NB, and a pass on a converged NB writes nothing.
 */
import { hostname } from 'node:os';
import { KubeApi, KubeWriter, loadKubeConfig, recordKey, type ObjectRecord } from '../k8s/index.js';
import { connect, type OvsdbClient } from '../ovsdb/index.js';
import { collectGarbage } from '../util/gc.js';
import { collectHeapNow, governHeap } from '../util/heap-governor.js';
import type { Logger } from '../util/log.js';
import { snapshotOf } from './bulk-desired.js';
import { createClusterCache, type ClusterCache } from './cluster-cache.js';
import { Ipam } from './ipam/ipam.js';
import { PatchRetries } from './patch-retry.js';
import { LeaderElector } from './leader.js';
import { createMetrics, type ControllerMetrics } from './metrics.js';
import { MigrationReconciler } from './migration/reconciler.js';
import { SB_MONITOR } from './migration/southbound.js';
import { ClusterModel, emptyDirty, noneDirty, type ClusterStores, type DirtyKeys } from './model/cluster-model.js';
import { writeInfrastructureWhenListed, type AheadWrite } from './infrastructure.js';
import { connectNb } from './nb-writer.js';
import type { ControllerOptions } from './options.js';
import { startStatusServer, type StatusServer } from './status-server.js';
import { warmScopeIndexes } from '../nb/existing-view.js';
import { addCounts, converge } from './converge.js';
import { scopedSync } from './scoped-sync.js';
import { bulkSync, type SyncReport } from './sync-once.js';
import type { ValidationError } from './validation.js';
import { WorkQueue, runWorkers } from './workqueue.js';
import { captureState, loadState, optionsFingerprint, packState, resumeReflectors, saveState, type PackedState } from './warm-state.js';

const EVENTS_PER_PASS = 100;
/** The one queue key: passes never overlap, and events during a pass make one more. */
const PASS = 'cluster';
/** Which dirty set a watched kind's events go to. */
const DIRTY_SET: Partial<Record<string, keyof DirtyKeys>> = {
  Pod: 'pods',
  Node: 'nodes',
  Namespace: 'namespaces',
  Service: 'services',
  EndpointSlice: 'endpointSlices',
  NetworkPolicy: 'policies',
};

const API_VERSIONS: Record<string, string> = {
  Subnet: 'kubeovn.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
};

export interface ControllerRunOptions extends ControllerOptions {
  nbAddr: string;
  sbAddr?: string;
  kubeconfig?: string;
  metricsAddr: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity?: string;
  /** Events within this window are handled in one pass. */
  coalesceMs: number;
  /** At this interval, even without events, the current desired state is planned against the whole NB to repair drift (0: never). */
  resyncIntervalMs: number;
  /** Where the caches are saved at stop and resumed from at start (warm-state.ts); none when unset. */
  stateFile?: string;
}

export interface ControllerEvents {
  /** A reconciliation pass finished (the first one is the startup bulk sync). */
  onPass?: (r: SyncReport, first: boolean) => void;
}

export class Controller {
  readonly metrics: ControllerMetrics;
  private cache?: ClusterCache;
  /** The NB client once connected and replicated (passes await it; only the first one ever waits). */
  private nbReady?: Promise<OvsdbClient>;
  private sb?: OvsdbClient;
  private status?: StatusServer;
  private elector?: LeaderElector;
  private migration?: MigrationReconciler;
  private readonly queue: WorkQueue;
  /** Objects whose annotation patch failed, each tried again after its own backoff. */
  private readonly patchRetries = new PatchRetries((kind, key) => {
    (kind === 'Pod' ? this.dirtyKeys.pods : this.dirtyKeys.nodes).add(key);
    this.queue.add(PASS);
  });
  private readonly model: ClusterModel;
  private dirtyKeys: DirtyKeys = emptyDirty();
  /** The next pass must be a full one (startup, leadership, Subnet change, a failed pass). */
  private fullPending = true;
  /** The next pass also plans the whole desired state against the whole NB (the resync: NB drift repaired). */
  private repairPending = false;
  private reported = new Set<string>();
  private evented = new Set<string>();
  private writer?: KubeWriter;
  private leading = false;
  private synced = false;
  private workers?: Promise<void>;
  private resyncTimer?: NodeJS.Timeout;
  /** The Subnet- and Node-only rows written while the pods are listed (infrastructure.ts): the first pass leaves them to its second round. */
  private infrastructure?: AheadWrite;
  private wroteAhead = false;
  /** The state file says the NB held the desired rows of the caches it resumed (warm-state.ts). */
  private resumedConverged = false;
  private ungovern?: () => void;

  constructor(
    private readonly o: ControllerRunOptions,
    private readonly log: Logger,
    private readonly events: ControllerEvents = {},
  ) {
    this.metrics = createMetrics();
    this.model = new ClusterModel(o, new Ipam());
    this.queue = new WorkQueue('cluster', { metrics: this.metrics, baseDelayMs: 200, maxDelayMs: 30_000 });
  }

  /** Ready: caches and NB synced, and the startup bulk sync done (by this leader). */
  get ready(): boolean {
    return this.synced && this.isLeader();
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.leading;
  }

  async start(): Promise<void> {
    this.ungovern = governHeap(this.o.heapTargetMb, this.log, (s) => this.metrics.heapCollections.observe(s));
    this.status = await startStatusServer(this.o.metricsAddr, { registry: this.metrics.registry, ready: () => this.ready });
    this.log.info('metrics and health', { address: this.status.address });
    const api = new KubeApi(loadKubeConfig(this.o.kubeconfig));
    this.writer = new KubeWriter(api);
    this.cache = await createClusterCache(api, this.log);
    const state = this.o.stateFile ? await loadState(this.o.stateFile, api, this.log, this.metrics) : undefined;
    if (state) resumeReflectors(state, this.cache);
    this.resumedConverged = state?.convergedWith !== undefined && state.convergedWith === optionsFingerprint(this.o);
    this.cache.start();
    // The NB replicates while the cluster is listed and the first pass computes; that pass waits for it only to plan.
    const nb = connectNb(this.o.nbAddr, this.log, this.metrics, state?.nb);
    nb.catch(() => undefined);
    this.nbReady = nb;
    // The lease is sought while the cluster is listed: a replica leading by the time the Nodes and Subnets are
    // listed writes their rows at once (passes wait for the workers below, started once everything is listed).
    if (this.o.leaderElect) {
      this.elector = new LeaderElector({
        api: this.writer,
        namespace: this.o.leaseNamespace,
        name: this.o.leaseName,
        identity: this.o.identity ?? `${hostname()}-${process.pid}`,
        log: this.log,
        onStartedLeading: () => {
          this.writeInfrastructureAhead();
          this.fullPending = true;
          this.queue.add(PASS);
        },
        onStoppedLeading: () => {
          this.synced = false;
        },
      });
      this.elector.start();
    } else {
      this.leading = true;
      this.writeInfrastructureAhead();
      this.queue.add(PASS);
    }
    await this.cache.waitForSync(600_000);
    this.log.info('caches synced', { pods: this.cache.pods.store.size, nodes: this.cache.nodes.store.size, policies: this.cache.policies.store.size });
    for (const r of this.cache.all()) r.on((e) => this.dirty(r.type.kind, e.type === 'delete' ? e.old : e.record));
    this.workers = runWorkers(
      this.queue,
      1,
      64,
      () => this.pass(),
      (key, err) => {
        this.fullPending = true;
        this.log.error('reconcile pass failed; the next pass is a full one', { key, err });
      },
      this.metrics,
    );

    if (this.o.resyncIntervalMs > 0) {
      this.resyncTimer = setInterval(() => {
        this.repairPending = true;
        this.queue.add(PASS);
      }, this.o.resyncIntervalMs);
      this.resyncTimer.unref();
    }

    const client = await nb;
    if (this.o.sbAddr && this.cache.kubevirt) {
      this.sb = await connect({ remotes: this.o.sbAddr, database: 'OVN_Southbound', monitor: SB_MONITOR, logger: this.log, requestLatency: this.metrics.ovsRequestLatency });
      this.migration = new MigrationReconciler({
        nb: client,
        sb: this.sb,
        vmis: this.cache.kubevirt.vmis,
        vmims: this.cache.kubevirt.vmims,
        pods: this.cache.pods,
        log: this.log,
        metrics: this.metrics,
        isLeader: () => this.isLeader(),
        workers: this.o.workerNum,
      });
      this.migration.start();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await this.workers;
    const converged = this.ready && !this.fullPending && !this.repairPending && noneDirty(this.dirtyKeys) && this.patchRetries.size === 0;
    this.patchRetries.stop();
    await this.migration?.stop();
    await this.elector?.stop();
    await this.cache?.stop();
    const packed = await this.closeAndPack(converged);
    if (packed && this.o.stateFile) {
      // Packed, the caches need not stay: collected before the file's bytes are made (~270 MB at 150k pods), not beside them.
      this.cache = undefined;
      this.nbReady = undefined;
      this.migration = undefined;
      collectGarbage();
      await saveState(this.o.stateFile, packed, this.log);
    } else if (this.o.stateFile && this.cache) this.log.info('state not saved: the caches never finished their first list', { path: this.o.stateFile });
    await this.sb?.close();
    await this.status?.close();
    this.ungovern?.();
  }

  /** Closes the NB connection and, with a state file, packs the caches (undefined: nothing to save). */
  private async closeAndPack(converged: boolean): Promise<PackedState | undefined> {
    const nb = await this.nbReady?.catch(() => undefined);
    // After the last write, before the connection closes: the NB cache as of a transaction the server knows.
    const nbSnapshot = this.o.stateFile ? await nb?.snapshot().catch(() => undefined) : undefined;
    await nb?.close();
    // Settles once its lists stop or its NB connection closes.
    await this.infrastructure?.done;
    this.model.release();
    if (!this.o.stateFile || !this.cache) return undefined;
    // Collected now, the model's memory is what packing the caches uses; V8 would let the heap grow instead (~330 MB at 150k pods).
    collectGarbage();
    const state = captureState(this.cache, nbSnapshot, converged ? optionsFingerprint(this.o) : undefined);
    return state && packState(state);
  }

  /** Once, at startup: later full passes find the caches listed and write everything at once. */
  private writeInfrastructureAhead(): void {
    if (this.wroteAhead) return;
    this.wroteAhead = true;
    const deps = { log: this.log, metrics: this.metrics, isLeader: () => this.isLeader() };
    this.infrastructure = writeInfrastructureWhenListed(this.cache!, this.nbReady!, this.o, deps);
  }

  private dirty(kind: string, r: ObjectRecord): void {
    const key = recordKey(r);
    this.log.debug('event', { kind, object: key });
    const set = DIRTY_SET[kind];
    if (set) this.dirtyKeys[set].add(key);
    // Subnets change the pools, switches and every pod's place: a full pass.
    else if (kind === 'Subnet') this.fullPending = true;
    else return;
    this.queue.add(PASS);
  }

  /** One reconciliation pass: full, or scoped to what changed since the last one. */
  private async pass(): Promise<void> {
    if (!this.isLeader()) return;
    // Let a burst of events land before computing once for all of them.
    if (this.synced && this.o.coalesceMs > 0) await new Promise((r) => setTimeout(r, this.o.coalesceMs));
    const started = performance.now();
    const first = !this.synced;
    const full = this.fullPending || first;
    const dirty = this.dirtyKeys;
    this.dirtyKeys = emptyDirty();
    let report: SyncReport;
    const deps = { writer: this.writer, log: this.log, metrics: this.metrics, isLeader: () => this.isLeader(), patches: this.patchRetries };
    if (full) {
      this.fullPending = false;
      // Kept until a full pass succeeds: a failed one may leave it still writing, and the next must not insert its rows too.
      // A warm restart on which no event has come yet may find the NB already holding the desired rows.
      const resumedConverged = first && this.resumedConverged && noneDirty(dirty);
      report = await bulkSync(snapshotOf(this.cache!), this.nbReady!, this.model, { ...this.o, dryRun: false }, { ...deps, infrastructure: this.infrastructure, resumedConverged });
      this.infrastructure = undefined;
      // Rows changed behind our back before the stop are still found: the whole NB is planned right after.
      if (report.planSkipped) {
        this.repairPending = true;
        this.queue.add(PASS);
      }
      warmScopeIndexes((await this.nbReady!).cache);
    } else {
      const nb = await this.nbReady!;
      report = await scopedSync(this.model, dirty, this.stores(), nb, this.o, deps);
      if (this.repairPending) {
        // The model is current; rows changed behind our back are found by planning all of it against the whole NB.
        this.repairPending = false;
        const c = await converge(this.model.units, nb, { ...this.o, dryRun: false }, deps);
        addCounts(report.plan.counts, c.plan.counts);
        report = {
          ...report,
          plan: { counts: report.plan.counts, conflicts: [...report.plan.conflicts, ...c.plan.conflicts] },
          operations: report.operations + c.operations,
          transactions: report.transactions + c.transactions,
          timings: { ...report.timings, repairPlan: c.timings.plan, repairApply: c.timings.apply },
        };
      }
    }
    const ms = performance.now() - started;
    this.metrics.syncDuration.observe({ phase: first ? 'startup' : full ? 'full' : 'event' }, ms / 1000);
    if (first) {
      // The startup pass's garbage goes before ready (one pause, ~0.6 s at 150k pods), not in some event's pass; and V8
      // sets its next limit from what is live now, not from a collection in the middle of the pass, which let the heap
      // grow ~300 MB higher during the resync plan and the events after a restart.
      collectHeapNow();
      this.synced = true;
      this.log.info('startup sync done, ready', { operations: report.operations, transactions: report.transactions, ms: Math.round(ms) });
    } else if (report.operations > 0 || full) {
      this.log.info('reconciled', { full, operations: report.operations, transactions: report.transactions, ms: Math.round(ms) });
    }
    // Told in the same turn as ready turns true: whoever sees the controller ready has been told of its first pass.
    this.events.onPass?.(report, first);
    await this.reportInvalid(report.errors);
  }

  private stores(): ClusterStores {
    const c = this.cache!;
    return {
      pods: c.pods.store,
      nodes: c.nodes.store,
      namespaces: c.namespaces.store,
      services: c.services.store,
      endpointSlices: c.endpointSlices.store,
      policies: c.policies.store,
    };
  }

  /**
   * Each invalid object once (until fixed): a log line and the metric at
   * once, and a Warning Event on it, at most EVENTS_PER_PASS Events a pass so
   * a cluster full of bad objects does not become an API storm (the rest get
   * theirs on later passes).
   */
  private async reportInvalid(errors: readonly ValidationError[]): Promise<void> {
    const now = new Set<string>();
    const evented = new Set<string>();
    let budget = EVENTS_PER_PASS;
    for (const e of errors) {
      const key = `${e.kind}/${e.namespace}/${e.name}/${e.field}/${e.reason}`;
      now.add(key);
      if (!this.reported.has(key)) {
        this.log.warn('invalid object skipped', { kind: e.kind, namespace: e.namespace, name: e.name, field: e.field, reason: e.reason, message: e.message });
        this.metrics.invalidObjects.inc({ kind: e.kind, reason: e.reason });
      }
      if (this.evented.has(key)) {
        evented.add(key);
        continue;
      }
      const obj = budget > 0 ? this.lookup(e) : undefined;
      if (!obj) continue;
      budget--;
      evented.add(key);
      await this.writer!.createEvent(
        { apiVersion: API_VERSIONS[e.kind] ?? 'v1', kind: e.kind, name: e.name, namespace: e.namespace, uid: obj.uid },
        { type: 'Warning', reason: 'InvalidSpec', message: `${e.field}: ${e.message}`, component: 'ovnscale-controller' },
      ).catch((err: unknown) => this.log.debug('event not recorded', { err }));
    }
    this.reported = now;
    this.evented = evented;
  }

  private lookup(e: ValidationError): ObjectRecord | undefined {
    const c = this.cache!;
    const key = recordKey(e);
    const stores: Record<string, { get(k: string): ObjectRecord | undefined }> = {
      Pod: c.pods,
      Node: c.nodes,
      Subnet: c.subnets,
      NetworkPolicy: c.policies,
      Service: c.services,
      Namespace: c.namespaces,
    };
    return stores[e.kind]?.get(key);
  }
}
