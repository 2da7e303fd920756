/**
 * `ovnscale bench sync` in one run: ovnscale's phases, the raw floor and the
 * naive baseline on the same dataset, each against a fresh embedded NB, and
 * the ratios between them.
 */
import { cpus, loadavg } from 'node:os';
import { DEFAULT_OPTIONS, type ControllerOptions } from '../controller/options.js';
import { startOvnCentral, startOvsdbServer } from '../embedded/index.js';
import { KubeApi, loadKubeConfig } from '../k8s/index.js';
import type { ClusterSpec } from '../sim/gen/cluster.js';
import { silentLogger, type Logger } from '../util/log.js';
import { loadDataset } from './dataset.js';
import { rawFloor, rawMonitorFloor, type FloorResult, type MonitorFloor } from './floor.js';
import { naiveCold, naiveService, naiveWarm, type NaiveCold, type NaiveService, type Sampled } from './naive.js';
import { coldSyncInto, runOvnscale, type OvnscaleResult, type SteadySizes } from './ovnscale-mode.js';
import { startSimChild } from './sim-child.js';
import { quantile, r1 } from './stats.js';
import type { HeapTarget } from '../util/heap-governor.js';

export type Mode = 'all' | 'ovnscale' | 'naive';
/** How every NB of the run is kept: a one-member Raft cluster (as Kube-OVN runs it; resumable) or a standalone database. */
export type NbKind = 'raft' | 'standalone';
export const NB_KINDS: readonly NbKind[] = ['raft', 'standalone'];

export interface BenchSyncOptions {
  cluster: ClusterSpec;
  mode: Mode;
  steady: SteadySizes;
  /** Naive phases run at most this many units (transactions, rows checked, policy updates) and are scaled. */
  naiveSample: number;
  damageShare: number;
  /** Run ovn-northd beside the NB (the demo does; the benchmark leaves it out so it does not compete for the cores). */
  northd: boolean;
  nb: NbKind;
  controller: Partial<ControllerOptions>;
  timeoutMs: number;
  /**
   * Cold sync and raw floor pairs, each into fresh NBs one after the other; the cold ratio is their median
   * (the lower middle one of an even count). The first pair is the phases' cold sync; the others run
   * `ovnscale sync` in its own process.
   */
  coldPairs: number;
  log?: Logger;
  progress: (line: string) => void;
}

export interface PhaseRow {
  mode: 'ovnscale' | 'naive' | 'floor';
  phase: string;
  seconds: number;
  writeTransactions: number;
  operations: number;
  /** Scaled from a sample (naive). */
  scaled?: boolean;
}

export interface ColdPair {
  coldSeconds: number;
  /** NB operations the cold sync issued. */
  coldOperations: number;
  floorSeconds: number;
  ratio: number;
  /** The cold sync's peak RSS, when it ran in its own process. */
  peakRssMiB?: number;
}

export interface BenchSyncResult {
  date: string;
  machine: { cpus: number; loadAverage: number[] };
  cluster: ClusterSpec & { objects: number };
  options: { mode: Mode; steady: SteadySizes; naiveSample: number; damageShare: number; northd: boolean; nb: NbKind; coldPairs: number; heapTargetMb: HeapTarget };
  ovnscale?: OvnscaleResult;
  floor?: FloorResult;
  /** The warm restart's floor: ovsdb-server sending the converged NB as the controller monitors it. */
  monitorFloor?: MonitorFloor;
  naive?: { cold: NaiveCold; warm: Sampled; service: NaiveService };
  /** Every cold sync beside its floor, the first being the phases' own; ratios.coldOverFloor is the median ratio. */
  coldPairs?: ColdPair[];
  /** Per mode and phase: time, NB write transactions, operations. */
  phases: PhaseRow[];
  ratios: { coldOverFloor?: number; warmOverFloor?: number; naiveOverOvnscale: Record<string, number> };
  wallSeconds: number;
}

/** Two decimals, or three significant digits below 1: a naive phase faster than ours at a tiny size is a small ratio, not 0. */
function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || !b) return undefined;
  const q = a / b;
  return q >= 1 ? Math.round(q * 100) / 100 : Number(q.toPrecision(3));
}

const MONITOR_FLOOR_REPS = 3;

const pairOf = (cold: { seconds: number; operations: number; peakRssMiB?: number }, floorSeconds: number): ColdPair => ({
  coldSeconds: cold.seconds,
  coldOperations: cold.operations,
  floorSeconds,
  ratio: ratio(cold.seconds, floorSeconds) ?? 0,
  peakRssMiB: cold.peakRssMiB,
});

export async function runBenchSync(o: BenchSyncOptions): Promise<BenchSyncResult> {
  const t0 = performance.now();
  const log = o.log ?? silentLogger;
  o.progress(`simulated API server: generating ${o.cluster.pods} pods, ${o.cluster.nodes} nodes, ${o.cluster.subnets} subnets, ${o.cluster.policies} policies, ${o.cluster.services} services`);
  const sim = await startSimChild(o.cluster);
  const stops: (() => Promise<unknown>)[] = [() => sim.stop()];
  const result: BenchSyncResult = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, loadAverage: loadavg().map(r1) },
    cluster: { ...o.cluster, objects: sim.objects },
    options: { mode: o.mode, steady: o.steady, naiveSample: o.naiveSample, damageShare: o.damageShare, northd: o.northd, nb: o.nb, coldPairs: o.coldPairs, heapTargetMb: o.controller.heapTargetMb ?? 0 },
    phases: [],
    ratios: { naiveOverOvnscale: {} },
    wallSeconds: 0,
  };
  try {
    o.progress(`simulated API server ready: ${sim.objects} objects in ${(sim.loadMs / 1000).toFixed(1)} s`);
    const api = new KubeApi(loadKubeConfig(sim.kubeconfig));
    const nodes = await api.request<{ items: { metadata: { name: string } }[] }>('GET', '/api/v1/nodes', { query: { limit: 1 } });
    const namespace = 'ns-' + '0'.repeat(Math.max(4, String(o.cluster.namespaces).length));
    const startNb = async (): Promise<{ remote: string; stop: () => Promise<unknown> }> => {
      const clustered = o.nb === 'raft';
      if (o.northd) {
        const c = await startOvnCentral({ clustered });
        return { remote: c.nb.remote, stop: () => c.stop() };
      }
      const s = await startOvsdbServer({ clustered });
      return { remote: s.remote, stop: () => s.stop() };
    };
    const newNb = async () => {
      const nb = await startNb();
      stops.push(nb.stop);
      return nb.remote;
    };
    if (o.mode !== 'naive') {
      result.ovnscale = await runOvnscale({
        nbRemote: await newNb(),
        kubeconfig: sim.kubeconfig,
        api,
        controller: o.controller,
        steady: o.steady,
        namespace,
        node: nodes.items[0]!.metadata.name,
        damageShare: o.damageShare,
        timeoutMs: o.timeoutMs,
        progress: o.progress,
      });
    }
    o.progress('dataset: listing the cluster and computing the desired NB rows for the floor and the baseline');
    const data = await loadDataset(sim.kubeconfig, { ...DEFAULT_OPTIONS, ...o.controller }, log);
    const maxOps = o.controller.maxOpsPerTxn ?? 1000;
    const floorNb = await newNb();
    result.floor = await rawFloor(floorNb, data, maxOps);
    o.progress(`floor: ${result.floor.operations} operations in ${result.floor.transactions} raw transactions: ${result.floor.seconds} s`);
    result.monitorFloor = await rawMonitorFloor(floorNb, MONITOR_FLOOR_REPS);
    o.progress(`floor: the NB's monitor replies (${(result.monitorFloor.bytes / 1e6).toFixed(1)} MB) read raw in ${result.monitorFloor.seconds} s (median of ${MONITOR_FLOOR_REPS})`);
    if (result.ovnscale) {
      const pairs = [pairOf(result.ovnscale.cold, result.floor.seconds)];
      // Alternating, each into fresh NBs: the machine's load drifts over a run, and both sides see the same drift.
      for (let i = 1; i < o.coldPairs; i++) {
        const a = await startNb();
        const cold = await coldSyncInto(a.remote, { kubeconfig: sim.kubeconfig, controller: o.controller, timeoutMs: o.timeoutMs }).finally(() => a.stop());
        const b = await startNb();
        const floor = await rawFloor(b.remote, data, maxOps).finally(() => b.stop());
        pairs.push(pairOf(cold, floor.seconds));
        o.progress(`cold sync pair ${i + 1} of ${o.coldPairs}: \`ovnscale sync\` ${cold.seconds} s (peak RSS ${cold.peakRssMiB} MiB), floor ${floor.seconds} s, ratio ${pairs.at(-1)!.ratio}`);
      }
      result.coldPairs = pairs;
    }
    if (o.mode !== 'ovnscale') {
      const cold = await naiveCold(await newNb(), data, o.naiveSample, result.floor.objectGroups);
      o.progress(`naive: cold sync ${cold.sampled} of ${cold.total} one-object transactions in ${cold.sampleSeconds} s -> ${cold.seconds} s scaled`);
      const warm = await naiveWarm(floorNb, data, o.naiveSample);
      o.progress(`naive: warm restart ${warm.sampled} of ${warm.total} rows checked in ${warm.sampleSeconds} s -> ${warm.seconds} s scaled`);
      const service = await naiveService(floorNb, data, namespace, o.naiveSample);
      o.progress(`naive: Service create fans out to ${service.fanOut} policy updates (${service.policyRowsTouched} policy rows) -> ${service.seconds} s scaled`);
      result.naive = { cold, warm, service };
    }
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  }
  fillPhases(result);
  result.wallSeconds = Math.round(performance.now() - t0) / 1000;
  return result;
}

function fillPhases(r: BenchSyncResult): void {
  const o = r.ovnscale;
  const rows = r.phases;
  if (o) {
    for (const [phase, p] of [['cold sync', o.cold], ['warm restart', o.warm], ['warm restart, own process', o.warmOwnProcess], ['restart, rows removed', o.damaged]] as const) {
      rows.push({ mode: 'ovnscale', phase, seconds: p.seconds, writeTransactions: p.writeTransactions, operations: p.operations });
    }
    if (o.service) rows.push({ mode: 'ovnscale', phase: 'Service create', seconds: o.service.create.p50Ms / 1000, writeTransactions: o.service.touched.transactions, operations: o.service.touched.operations });
    if (o.churn) rows.push({ mode: 'ovnscale', phase: 'pod churn', seconds: o.churn.seconds, writeTransactions: o.churn.touched.transactions, operations: o.churn.touched.operations });
    if (o.netpol) rows.push({ mode: 'ovnscale', phase: 'NetworkPolicy update', seconds: o.netpol.update.p50Ms / 1000, writeTransactions: o.netpol.touched.transactions, operations: o.netpol.touched.operations });
    if (o.relabel) rows.push({ mode: 'ovnscale', phase: 'namespace relabel', seconds: o.relabel.latencyMs / 1000, writeTransactions: o.relabel.touched.transactions, operations: o.relabel.touched.operations });
  }
  if (r.floor) rows.push({ mode: 'floor', phase: 'cold sync', seconds: r.floor.seconds, writeTransactions: r.floor.transactions, operations: r.floor.operations });
  if (r.monitorFloor) rows.push({ mode: 'floor', phase: 'warm restart (monitor)', seconds: r.monitorFloor.seconds, writeTransactions: 0, operations: 0 });
  const n = r.naive;
  if (n) {
    rows.push({ mode: 'naive', phase: 'cold sync', seconds: n.cold.seconds, writeTransactions: n.cold.total, operations: Math.round((n.cold.operations * n.cold.total) / Math.max(1, n.cold.sampled)), scaled: n.cold.scaled });
    rows.push({ mode: 'naive', phase: 'warm restart', seconds: n.warm.seconds, writeTransactions: 0, operations: 0, scaled: n.warm.scaled });
    rows.push({ mode: 'naive', phase: 'Service create', seconds: n.service.seconds, writeTransactions: 0, operations: 0, scaled: n.service.scaled });
  }
  // The pairs exist whenever both a cold sync and a floor ran; each ratio is already rounded.
  r.ratios.coldOverFloor = r.coldPairs && quantile(r.coldPairs.map((p) => p.ratio), 0.5);
  r.ratios.warmOverFloor = ratio(o?.warmOwnProcess.seconds, r.monitorFloor?.seconds);
  if (o && n) {
    const add = (k: string, v: number | undefined) => v !== undefined && (r.ratios.naiveOverOvnscale[k] = v);
    add('cold sync', ratio(n.cold.seconds, o.cold.seconds));
    add('warm restart', ratio(n.warm.seconds, o.warm.seconds));
    if (o.service) add('Service create', ratio(n.service.seconds, o.service.create.p50Ms / 1000));
  }
}
