/**
 * The controller as the benchmark drives it (controller-child.ts runs it in
 * its own process): every pass recorded with its time, so a phase can sum
 * the NB work the passes it caused did.
 */
import type { ControllerRunOptions } from '../controller/controller.js';
import { DEFAULT_OPTIONS, type ControllerOptions } from '../controller/options.js';
import type { SyncReport } from '../controller/sync-once.js';
import type { NbTable } from '../nb/rows.js';
import type { MemoryPeak } from './stats.js';

export interface Pass {
  /** performance.now() of this process when the pass finished. */
  at: number;
  first: boolean;
  report: SyncReport;
}

export interface Running {
  passes: Pass[];
  /** The startup bulk sync: its report and ms from start to ready. */
  ready: Promise<{ report: SyncReport; ms: number }>;
  /** Resolves once no pass has been reported for `quietMs`: a pass finishing just after the NB showed its change is counted. */
  settled(quietMs?: number): Promise<void>;
  /** Stops the controller; its process's peak RSS and V8 heap. */
  stop(): Promise<MemoryPeak>;
}

export function controllerOptions(nbAddr: string, kubeconfig: string, over: Partial<ControllerOptions> = {}): ControllerRunOptions {
  return {
    ...DEFAULT_OPTIONS,
    ...over,
    nbAddr,
    kubeconfig,
    metricsAddr: '127.0.0.1:0',
    leaderElect: false,
    leaseNamespace: 'kube-system',
    leaseName: 'ovnscale-bench',
    coalesceMs: 20,
    resyncIntervalMs: 0,
  };
}

export interface Touched {
  passes: number;
  operations: number;
  transactions: number;
  /** Rows created, updated or deleted, by table (tables with none left out). */
  rows: Partial<Record<NbTable, number>>;
}

/** NB work done by the passes that finished in [from, to]. */
export function touched(passes: readonly Pass[], from: number, to: number): Touched {
  const out: Touched = { passes: 0, operations: 0, transactions: 0, rows: {} };
  for (const p of passes) {
    if (p.at < from || p.at > to) continue;
    out.passes++;
    out.operations += p.report.operations;
    out.transactions += p.report.transactions;
    for (const [t, c] of Object.entries(p.report.plan.counts)) {
      const n = c.insert + c.update + c.delete;
      if (n) out.rows[t as NbTable] = (out.rows[t as NbTable] ?? 0) + n;
    }
  }
  return out;
}

/** Rows of the NetworkPolicy tables among `t.rows`: what "policy rows touched" counts. */
export const policyRows = (t: Touched): number => (t.rows.ACL ?? 0) + (t.rows.Address_Set ?? 0) + (t.rows.Port_Group ?? 0);

/** Resolves once a pass finishes after `since` (a steady-state pass that saw the change). */
export async function passAfter(passes: readonly Pass[], since: number, timeoutMs: number): Promise<Pass> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const p = passes.find((x) => x.at > since);
    if (p) return p;
    if (performance.now() > end) throw new Error(`no reconcile pass within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
