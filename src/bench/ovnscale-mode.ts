/**
 * ovnscale's phases: cold sync into an empty NB, warm restart (the
 * controller, then `ovnscale sync`), restart with a share of the rows
 * removed behind its back, then the steady-state phases on the running
 * controller. Every controller runs in a process of its own, as an operator
 * runs it: its time, heap and collections are not shared with the
 * benchmark's NB watcher. The controllers keep one state file, as a
 * Deployment would on a volume: each saves its caches when stopped and the
 * next resumes from them (`ovnscale sync` lists everything).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ControllerOptions } from '../controller/options.js';
import type { SyncReport } from '../controller/sync-once.js';
import { makeTempDir } from '../embedded/index.js';
import type { KubeApi } from '../k8s/index.js';
import { startControllerChild } from './controller-child.js';
import { controllerOptions, type Running } from './controller-run.js';
import { removeShare, type Damage } from './damage.js';
import { collectGarbage } from '../util/gc.js';
import { NbWatch, nbResponsive } from './nb-watch.js';
import { seconds, type MemoryPeak } from './stats.js';
import { syncInOwnProcess } from './sync-child.js';
import { churnPhase, netpolPhase, relabelPhase, servicePhase, type ChurnPhase, type NetpolPhase, type RelabelPhase, type ServicePhase, type SteadyContext } from './steady.js';

export interface StartupPhase {
  seconds: number;
  writeTransactions: number;
  operations: number;
  /** Rows created / updated / deleted. */
  inserted: number;
  updated: number;
  deleted: number;
  desiredRows: number;
  /** ms per step of the bulk sync (list, ipam, resolve, desired, plan, apply, annotate). */
  timings: Record<string, number>;
  /** A controller that resumed from the state file knew the NB held its desired rows: it planned nothing before ready. */
  planSkipped: boolean;
}

export interface OvnscaleResult {
  cold: StartupPhase & { peakRssMiB: number };
  warm: StartupPhase & { peakRssMiB: number };
  /** The warm restart again, as `ovnscale sync` in its own process: wall time from spawn to exit, and its peak RSS. */
  warmOwnProcess: StartupPhase & { peakRssMiB: number };
  damaged: StartupPhase & { removed: Damage };
  service?: ServicePhase;
  churn?: ChurnPhase;
  netpol?: NetpolPhase;
  relabel?: RelabelPhase;
  /** Peaks of the controller's process that repaired the NB and then ran the event phases. */
  memory: MemoryPeak;
}

export interface SteadySizes {
  services: number;
  churnPods: number;
  netpols: number;
}

export interface OvnscaleContext {
  nbRemote: string;
  kubeconfig: string;
  api: KubeApi;
  controller: Partial<ControllerOptions>;
  steady: SteadySizes;
  namespace: string;
  node: string;
  damageShare: number;
  timeoutMs: number;
  progress: (line: string) => void;
  /** The controllers' state file (ControllerRunOptions.stateFile). */
  stateFile?: string;
}

function startup(r: { report: SyncReport; ms: number }): StartupPhase {
  const c = Object.values(r.report.plan.counts);
  const round = (t: Record<string, number>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)]));
  return {
    seconds: seconds(r.ms),
    writeTransactions: r.report.transactions,
    operations: r.report.operations,
    inserted: c.reduce((n, x) => n + x.insert, 0),
    updated: c.reduce((n, x) => n + x.update, 0),
    deleted: c.reduce((n, x) => n + x.delete, 0),
    desiredRows: r.report.desiredRows,
    timings: round(r.report.timings),
    planSkipped: r.report.planSkipped === true,
  };
}

async function startedOnce(ctx: OvnscaleContext): Promise<{ run: Running; phase: StartupPhase }> {
  const busyMs = await nbResponsive(ctx.nbRemote, ctx.timeoutMs);
  if (busyMs > 2000) ctx.progress(`NB server busy for ${(busyMs / 1000).toFixed(1)} s before the controller started (not counted)`);
  const run = startControllerChild({ ...controllerOptions(ctx.nbRemote, ctx.kubeconfig, ctx.controller), stateFile: ctx.stateFile });
  try {
    return { run, phase: startup(await run.ready) };
  } catch (err) {
    await run.stop().catch(() => undefined);
    throw err;
  }
}

/** One more cold sync into the empty NB at `nbRemote` (a side-by-side repetition, see run.ts), as `ovnscale sync`. */
export async function coldSyncInto(nbRemote: string, ctx: Pick<OvnscaleContext, 'kubeconfig' | 'controller' | 'timeoutMs'>): Promise<StartupPhase & { peakRssMiB: number }> {
  const alone = await syncInOwnProcess(nbRemote, ctx.kubeconfig, ctx.controller, ctx.timeoutMs);
  return { ...startup(alone), peakRssMiB: alone.report.peakRssMiB };
}

export async function runOvnscale(opts: OvnscaleContext): Promise<OvnscaleResult> {
  const dir = makeTempDir('bench-state');
  try {
    return await phases({ ...opts, stateFile: join(dir, 'controller.state') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function phases(ctx: OvnscaleContext): Promise<OvnscaleResult> {
  ctx.progress('ovnscale: cold sync into an empty NB');
  let s = await startedOnce(ctx);
  const cold = { ...s.phase, peakRssMiB: (await s.run.stop()).rssMiB };
  ctx.progress(`ovnscale: cold sync done in ${cold.seconds} s: ${cold.inserted} rows written, ${cold.writeTransactions} transactions, peak RSS ${cold.peakRssMiB} MiB`);

  ctx.progress('ovnscale: warm restart on the converged NB');
  s = await startedOnce(ctx);
  const warm = { ...s.phase, peakRssMiB: (await s.run.stop()).rssMiB };
  ctx.progress(`ovnscale: warm restart in ${warm.seconds} s${warm.planSkipped ? ' from the state file, nothing to plan' : ''}, ${warm.writeTransactions} write transactions, peak RSS ${warm.peakRssMiB} MiB`);

  await nbResponsive(ctx.nbRemote, ctx.timeoutMs);
  const alone = await syncInOwnProcess(ctx.nbRemote, ctx.kubeconfig, ctx.controller, ctx.timeoutMs);
  const warmOwnProcess = { ...startup(alone), peakRssMiB: alone.report.peakRssMiB };
  ctx.progress(`ovnscale: warm restart in its own process in ${warmOwnProcess.seconds} s, ${warmOwnProcess.writeTransactions} write transactions, peak RSS ${warmOwnProcess.peakRssMiB} MiB`);

  const removed = await removeShare(ctx.nbRemote, ctx.damageShare);
  ctx.progress(`ovnscale: ${removed.total} rows removed behind the controller's back; restarting`);
  s = await startedOnce(ctx);
  const damaged = { ...s.phase, removed };
  ctx.progress(`ovnscale: repaired in ${damaged.seconds} s with ${damaged.operations} operations`);

  const out: OvnscaleResult = { cold, warm, warmOwnProcess, damaged, memory: { rssMiB: 0, heapUsedMiB: 0 } };
  let watch: NbWatch | undefined;
  try {
    watch = await NbWatch.open(ctx.nbRemote);
    // The watcher's initial replication left garbage whose collection would pause the instrument mid-sample.
    collectGarbage();
    const steady: SteadyContext = { api: ctx.api, watch, run: s.run, namespace: ctx.namespace, node: ctx.node, timeoutMs: ctx.timeoutMs, progress: ctx.progress };
    if (ctx.steady.services > 0) {
      out.service = await servicePhase(steady, ctx.steady.services);
      ctx.progress(`ovnscale: Service create -> NB p50 ${out.service.create.p50Ms} ms, p99 ${out.service.create.p99Ms} ms; policy rows touched ${out.service.policyRowsTouched}`);
    }
    if (ctx.steady.churnPods > 0) {
      out.churn = await churnPhase(steady, ctx.steady.churnPods);
      ctx.progress(`ovnscale: pod churn ${out.churn.createsPerSec} creates/s, ${out.churn.deletesPerSec} deletes/s, create p99 ${out.churn.create.p99Ms} ms`);
    }
    if (ctx.steady.netpols > 0) {
      out.netpol = await netpolPhase(steady, ctx.steady.netpols);
      ctx.progress(`ovnscale: NetworkPolicy create p50 ${out.netpol.create.p50Ms} ms, update p50 ${out.netpol.update.p50Ms} ms`);
    }
    out.relabel = await relabelPhase(steady);
    ctx.progress(`ovnscale: namespace relabel -> ${out.relabel.touched.operations} NB operations in ${out.relabel.latencyMs} ms`);
    out.memory = await s.run.stop();
    ctx.progress(`ovnscale: the controller's process peaked at ${out.memory.rssMiB} MiB RSS, ${out.memory.heapUsedMiB} MiB V8 heap`);
  } finally {
    await watch?.close();
    // After the stop above this answers at once; after a failure it stops the controller.
    await s.run.stop().catch(() => undefined);
  }
  return out;
}
