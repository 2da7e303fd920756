/**
 * The long-running controller: caches, NB client, optional Lease election,
 * a bulk sync when it starts leading, then reconciliation on events.
 *
 * Steady state: every watch event marks the cluster dirty in a keyed,
 * de-duplicating queue (one key per kind); a worker coalesces a burst into
 * one pass that recomputes the desired state from the caches and applies the
 * diff against the replicated NB, so any event, reconnect or leader change
 * converges to the same NB and a pass on a converged NB writes nothing.
 */
import { hostname } from 'node:os';
import { KubeApi, KubeWriter, loadKubeConfig, type ObjectRecord } from '../k8s/index.js';
import { connect, type OvsdbClient } from '../ovsdb/index.js';
import type { Logger } from '../util/log.js';
import { snapshotOf } from './bulk-desired.js';
import { createClusterCache, type ClusterCache } from './cluster-cache.js';
import { nodeOwner, podOwner, Ipam } from './ipam/ipam.js';
import { LeaderElector } from './leader.js';
import { createMetrics, type ControllerMetrics } from './metrics.js';
import { MigrationReconciler } from './migration/reconciler.js';
import { SB_MONITOR } from './migration/southbound.js';
import { connectNb } from './nb-writer.js';
import type { ControllerOptions } from './options.js';
import { startStatusServer, type StatusServer } from './status-server.js';
import { bulkSync, type SyncReport } from './sync-once.js';
import type { ValidationError } from './validation.js';
import { WorkQueue, runWorkers } from './workqueue.js';

const EVENTS_PER_PASS = 100;

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
  /** A full pass at this interval even without events, to repair NB drift (0: never). */
  resyncIntervalMs: number;
}

export interface ControllerEvents {
  /** A reconciliation pass finished (the first one is the startup bulk sync). */
  onPass?: (r: SyncReport, first: boolean) => void;
}

export class Controller {
  readonly metrics: ControllerMetrics;
  private cache?: ClusterCache;
  private nb?: OvsdbClient;
  private sb?: OvsdbClient;
  private status?: StatusServer;
  private elector?: LeaderElector;
  private migration?: MigrationReconciler;
  private readonly queue: WorkQueue;
  private readonly ipam = new Ipam();
  private owners = new Set<string>();
  private reported = new Set<string>();
  private evented = new Set<string>();
  private writer?: KubeWriter;
  private leading = false;
  private synced = false;
  private workers?: Promise<void>;
  private resyncTimer?: NodeJS.Timeout;

  constructor(
    private readonly o: ControllerRunOptions,
    private readonly log: Logger,
    private readonly events: ControllerEvents = {},
  ) {
    this.metrics = createMetrics();
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
    this.status = await startStatusServer(this.o.metricsAddr, { registry: this.metrics.registry, ready: () => this.ready });
    this.log.info('metrics and health', { address: this.status.address });
    const api = new KubeApi(loadKubeConfig(this.o.kubeconfig));
    this.writer = new KubeWriter(api);
    this.cache = await createClusterCache(api, this.log);
    this.cache.start();
    this.nb = await connectNb(this.o.nbAddr, this.log, this.metrics);
    await this.cache.waitForSync(600_000);
    this.log.info('caches synced', { pods: this.cache.pods.store.size, nodes: this.cache.nodes.store.size, policies: this.cache.policies.store.size });
    for (const r of this.cache.all()) r.on((e) => this.dirty(r.type.kind, e.type === 'delete' ? e.old : e.record));
    this.workers = runWorkers(this.queue, 1, 64, () => this.pass(), (key, err) => this.log.error('reconcile pass failed', { key, err }), this.metrics);

    if (this.o.sbAddr && this.cache.kubevirt) {
      this.sb = await connect({ remotes: this.o.sbAddr, database: 'OVN_Southbound', monitor: SB_MONITOR, logger: this.log, requestLatency: this.metrics.ovsRequestLatency });
      this.migration = new MigrationReconciler({
        nb: this.nb,
        sb: this.sb,
        vmis: this.cache.kubevirt.vmis,
        vmims: this.cache.kubevirt.vmims,
        pods: this.cache.pods,
        log: this.log,
        metrics: this.metrics,
        isLeader: () => this.isLeader(),
      });
      this.migration.start();
    }

    if (this.o.leaderElect) {
      this.elector = new LeaderElector({
        api: this.writer,
        namespace: this.o.leaseNamespace,
        name: this.o.leaseName,
        identity: this.o.identity ?? `${hostname()}-${process.pid}`,
        log: this.log,
        onStartedLeading: () => this.queue.add('leader'),
        onStoppedLeading: () => {
          this.synced = false;
        },
      });
      this.elector.start();
    } else {
      this.leading = true;
      this.queue.add('startup');
    }
    if (this.o.resyncIntervalMs > 0) {
      this.resyncTimer = setInterval(() => this.queue.add('resync'), this.o.resyncIntervalMs);
      this.resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await this.workers;
    await this.migration?.stop();
    await this.elector?.stop();
    await this.cache?.stop();
    await this.nb?.close();
    await this.sb?.close();
    await this.status?.close();
  }

  private dirty(kind: string, r: ObjectRecord): void {
    this.log.debug('event', { kind, object: r.namespace ? `${r.namespace}/${r.name}` : r.name });
    this.queue.add(kind);
  }

  /** One reconciliation pass over the whole cluster. */
  private async pass(): Promise<void> {
    if (!this.isLeader()) return;
    // Let a burst of events land before computing once for all of them.
    if (this.synced && this.o.coalesceMs > 0) await new Promise((r) => setTimeout(r, this.o.coalesceMs));
    const started = performance.now();
    const snap = snapshotOf(this.cache!);
    this.releaseGone(snap);
    const first = !this.synced;
    const report = await bulkSync(snap, this.nb!, this.ipam, { ...this.o, dryRun: false }, { writer: this.writer, log: this.log, metrics: this.metrics, isLeader: () => this.isLeader() });
    this.metrics.syncDuration.observe({ phase: first ? 'startup' : 'event' }, (performance.now() - started) / 1000);
    if (first) {
      this.synced = true;
      this.log.info('startup sync done, ready', { operations: report.operations, transactions: report.transactions, ms: Math.round(performance.now() - started) });
    } else if (report.operations > 0) {
      this.log.info('reconciled', { operations: report.operations, transactions: report.transactions, ms: Math.round(performance.now() - started) });
    }
    await this.reportInvalid(report.errors);
    this.events.onPass?.(report, first);
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
    const key = e.namespace ? `${e.namespace}/${e.name}` : e.name;
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

  /** Addresses of pods and nodes that no longer exist go back to their pools. */
  private releaseGone(snap: ReturnType<typeof snapshotOf>): void {
    const now = new Set<string>();
    for (const p of snap.pods) if (!p.deleting) now.add(podOwner(p));
    for (const n of snap.nodes) if (!n.deleting) now.add(nodeOwner(n));
    for (const owner of this.owners) if (!now.has(owner)) this.ipam.release(owner);
    this.owners = now;
  }
}
