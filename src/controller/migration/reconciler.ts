import { EventEmitter } from 'node:events';
import { MIGRATION_JOB_LABEL, VM_NAME_LABEL } from '../../k8s/kubevirt.js';
import type { Reflector } from '../../k8s/reflector.js';
import type { PodRecord, VmimRecord, VmiRecord } from '../../k8s/records.js';
import type { OvsdbClient } from '../../ovsdb/index.js';
import type { Operation, OvsMap } from '../../ovsdb/types.js';
import type { Logger } from '../../util/log.js';
import type { ControllerMetrics } from '../metrics.js';
import { WorkQueue, runWorkers } from '../workqueue.js';
import { expectedChassis, migrationOptions, migrationPlan, type MigrationPlan } from './plan.js';
import { bindingShows } from './southbound.js';

export interface MigrationEvents {
  /** The port options of a stage are in the NB (or were already); ms since the stage was first seen. */
  committed: [plan: MigrationPlan, ms: number];
  /** The SB Port_Binding shows the stage's chassis: network-ready. */
  ready: [plan: MigrationPlan, ms: number];
}

export interface MigrationReconcilerOptions {
  nb: OvsdbClient;
  sb: OvsdbClient;
  vmis: Reflector<VmiRecord>;
  vmims: Reflector<VmimRecord>;
  pods: Reflector<PodRecord>;
  log: Logger;
  metrics?: ControllerMetrics;
  /** Write fence (leader election); always true without it. */
  isLeader?: () => boolean;
  workers?: number;
}

const asStrings = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as OvsMap).map(([k, x]) => [k, String(x)])) : {};

/**
 * Drives the VM ports' migration options from VMI, VMIM and target-pod
 * events, one NB transaction per batch, and reports each stage ready once
 * the Southbound shows it.
 */
export class MigrationReconciler extends EventEmitter<MigrationEvents> {
  private readonly queue: WorkQueue;
  private readonly firstSeen = new Map<string, number>();
  private readonly pending = new Map<string, { plan: MigrationPlan; want: { main: string; additional: string[] }; since: number }>();
  private readonly offs: (() => void)[] = [];
  /** Node of each migration's target launcher pod, by migration uid, kept from pod events. */
  private readonly targetNodes = new Map<string, string>();
  private done: Promise<void> | undefined;

  constructor(private readonly o: MigrationReconcilerOptions) {
    super();
    this.queue = new WorkQueue('migration', { metrics: o.metrics });
  }

  start(): void {
    const key = (ns: string, vmi: string) => {
      const k = `${ns}/${vmi}`;
      if (!this.firstSeen.has(k)) this.firstSeen.set(k, performance.now());
      this.queue.add(k);
    };
    this.offs.push(
      this.o.vmis.on((e) => {
        const r = e.type === 'delete' ? e.old : e.record;
        key(r.namespace, r.name);
      }),
      this.o.vmims.on((e) => {
        const r = e.type === 'delete' ? e.old : e.record;
        key(r.namespace, r.vmiName);
      }),
      this.o.pods.on((e) => {
        const r = e.type === 'delete' ? e.old : e.record;
        const vm = r.labels[VM_NAME_LABEL];
        const job = r.labels[MIGRATION_JOB_LABEL];
        if (!vm || !job) return;
        if (e.type === 'delete' || !r.nodeName) this.targetNodes.delete(job);
        else this.targetNodes.set(job, r.nodeName);
        key(r.namespace, vm);
      }),
      this.o.sb.cache.onChange((c) => {
        if (c.table === 'Port_Binding' || c.table === 'Chassis') this.checkPending();
      }),
      // A port created after its VMI was seen (the pod reconciler's work) needs another look.
      this.o.nb.cache.onChange((c) => {
        if (c.table !== 'Logical_Switch_Port' || c.kind !== 'insert') return;
        const name = String(c.row.name ?? '');
        const dot = name.lastIndexOf('.');
        if (dot > 0 && this.o.vmis.get(`${name.slice(dot + 1)}/${name.slice(0, dot)}`)) key(name.slice(dot + 1), name.slice(0, dot));
      }),
    );
    for (const p of this.o.pods.store.values()) {
      const job = p.labels[MIGRATION_JOB_LABEL];
      if (job && p.nodeName) this.targetNodes.set(job, p.nodeName);
    }
    for (const v of this.o.vmis.store.values()) key(v.namespace, v.name);
    this.done = runWorkers(this.queue, this.o.workers ?? 1, 256, (keys) => this.sync(keys), (k, err) => this.o.log.warn('migration sync failed', { vmi: k, err }), this.o.metrics);
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    this.queue.shutDown();
    await this.done;
  }

  private planFor(key: string): MigrationPlan | undefined {
    const vmi = this.o.vmis.get(key);
    if (!vmi) return undefined;
    const migrations = [...this.o.vmims.store.values()].filter((m) => m.namespace === vmi.namespace && m.vmiName === vmi.name);
    return migrationPlan(vmi, migrations, (uid) => this.targetNodes.get(uid));
  }

  private async sync(keys: string[]): Promise<Map<string, Error> | void> {
    const failed = new Map<string, Error>();
    const ops: Operation[] = [];
    const committed: MigrationPlan[] = [];
    const lsps = this.o.nb.cache.table('Logical_Switch_Port');
    for (const key of keys) {
      const plan = this.planFor(key);
      if (!plan) {
        this.firstSeen.delete(key);
        continue;
      }
      const port = lsps.findOne('name', plan.lsp);
      if (!port) {
        // The pod reconciler has not created the VM's port yet; its insert re-queues us.
        if (plan.stage !== 'none') this.o.log.debug('migration: VM port not in the NB yet', { vmi: plan.vmi, lsp: plan.lsp });
        continue;
      }
      const change = migrationOptions(plan, asStrings(port.options));
      if (change) {
        ops.push({
          op: 'mutate',
          table: 'Logical_Switch_Port',
          where: [['_uuid', '==', port._uuid]],
          mutations: [
            ['options', 'delete', [...change.remove, ...Object.keys(change.set)]],
            ['options', 'insert', change.set],
          ],
        });
      }
      if (plan.stage !== 'none') committed.push(plan);
    }
    if (ops.length) {
      if (this.o.isLeader && !this.o.isLeader()) {
        for (const k of keys) failed.set(k, new Error('not the leader'));
        return failed;
      }
      await this.o.nb.transact(ops);
      this.o.metrics?.nbOperations.inc({ table: 'Logical_Switch_Port', op: 'mutate' }, ops.length);
    }
    const now = performance.now();
    for (const plan of committed) {
      const since = this.firstSeen.get(plan.vmi) ?? now;
      const ms = now - since;
      this.o.metrics?.migrationNbLatency.observe({ stage: plan.stage }, ms / 1000);
      this.o.log.info('migration port options in NB', { vmi: plan.vmi, lsp: plan.lsp, stage: plan.stage, source: plan.source, target: plan.target, ms: Math.round(ms) });
      this.emit('committed', plan, ms);
      const want = expectedChassis(plan);
      if (want) this.pending.set(plan.lsp, { plan, want, since });
    }
    for (const k of keys) this.firstSeen.delete(k);
    this.checkPending();
    return failed.size ? failed : undefined;
  }

  private checkPending(): void {
    for (const [lsp, p] of this.pending) {
      if (!bindingShows(this.o.sb.cache, lsp, p.want)) continue;
      this.pending.delete(lsp);
      const ms = performance.now() - p.since;
      this.o.metrics?.migrationSbLatency.observe({ stage: p.plan.stage }, ms / 1000);
      this.o.log.info('migration network ready', { vmi: p.plan.vmi, lsp, stage: p.plan.stage, ms: Math.round(ms) });
      this.emit('ready', p.plan, ms);
    }
  }
}
