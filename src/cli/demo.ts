/**
 * `ovnscale demo`: the main job on an embedded default. A real NB
 * ovsdb-server with ovn-northd beside it, the simulated API server loaded
 * with a synthetic cluster, and the controller in a process of its own: cold sync,
 * warm restart, repair after rows were removed, Service / pod / policy
 * events, the raw floor; progress as it goes (a bar on a terminal, plain
 * lines otherwise), then a summary and an HTML report.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../bench/html.js';
import { runBenchSync, type BenchSyncResult } from '../bench/run.js';
import type { CommandModule } from './commands.js';
import { childHeapTargetHelp, heapTargetFlagSpec, heapTargetMb } from './controller-flags.js';
import { intFlag, parseFlags, stringFlag } from './flags.js';
import { clusterFlagHelp, clusterFlagSpec, clusterFlags } from './sim.js';

/** Progress lines runBenchSync emits in the demo's configuration (for the bar's length). */
const STEPS = 16;

function progressPrinter(tty: boolean): { line(s: string): void; done(): void } {
  let step = 0;
  const t0 = Date.now();
  if (!tty) return { line: (s) => process.stdout.write(`[demo] ${s}\n`), done: () => undefined };
  const width = 30;
  return {
    line(s) {
      step = Math.min(STEPS, step + 1);
      const filled = Math.round((step / STEPS) * width);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round((step / STEPS) * 100)).padStart(3)}% ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
      // The finished line stays above; the bar is redrawn below it.
      process.stdout.write(`\r\x1b[K  ${s}\n${bar}`);
    },
    done: () => process.stdout.write('\r\x1b[K'),
  };
}

function summary(r: BenchSyncResult, report: string): string {
  const o = r.ovnscale!;
  const c = r.cluster;
  const lines = [
    `objects        ${c.objects} Kubernetes objects: ${c.nodes} nodes, ${c.subnets} subnets, ${c.pods} pods, ${c.namespaces} namespaces, ${c.policies} NetworkPolicies, ${c.services} Services`,
    `NB rows        ${o.cold.inserted} rows written by the cold sync (${o.cold.operations} operations in ${o.cold.writeTransactions} transactions)`,
    `cold sync      ${o.cold.seconds} s into an empty NB (raw floor for the same rows: ${r.floor?.seconds ?? '-'} s, ratio ${r.ratios.coldOverFloor ?? '-'})`,
    `warm restart   ${o.warm.writeTransactions} write transactions, ${o.warm.seconds} s${o.warm.planSkipped ? ' from the state file' : ''} (as \`ovnscale sync\` in its own process: ${o.warmOwnProcess.writeTransactions} write transactions, ${o.warmOwnProcess.seconds} s, peak RSS ${o.warmOwnProcess.peakRssMiB} MiB; the NB's raw monitor replies alone: ${r.monitorFloor?.seconds ?? '-'} s)`,
    `repair         ${o.damaged.removed.total} rows removed behind its back: restored with ${o.damaged.operations} operations in ${o.damaged.seconds} s`,
  ];
  if (o.service) lines.push(`Service        create -> NB commit p50 ${o.service.create.p50Ms} ms, p99 ${o.service.create.p99Ms} ms (${o.service.create.n} Services, after a first one at ${o.service.firstAfterRestart.createMs} ms); policy rows touched: ${o.service.policyRowsTouched}`);
  if (o.churn) lines.push(`pod churn      ${o.churn.createsPerSec} creates/s, ${o.churn.deletesPerSec} deletes/s, create p99 ${o.churn.create.p99Ms} ms`);
  if (o.netpol) lines.push(`NetworkPolicy  update -> NB p50 ${o.netpol.update.p50Ms} ms`);
  lines.push(`memory         controller peak RSS: cold sync ${o.cold.peakRssMiB} MiB, warm restart ${o.warm.peakRssMiB} MiB, repair and events ${o.memory.rssMiB} MiB (V8 heap ${o.memory.heapUsedMiB} MiB)`);
  lines.push(`report         ${report}`);
  return lines.join('\n');
}

const mod: CommandModule = {
  async run(argv) {
    const { kubevirt: _k, 'vm-share': _v, greenfield: _g, ...gen } = clusterFlagSpec;
    const p = parseFlags(
      argv,
      'demo',
      {
        ...gen,
        nodes: { type: 'string', default: '300' },
        subnets: { type: 'string', default: '20' },
        pods: { type: 'string', default: '20000' },
        policies: { type: 'string', default: '1500' },
        services: { type: 'string', default: '1500' },
        report: { type: 'string' },
        'wasm-workers': { type: 'string', default: '2' },
        ...heapTargetFlagSpec,
      },
      {
        ...clusterFlagHelp,
        report: 'HTML report path (default: a file in the temp dir)',
        'wasm-workers': 'controller wasm worker threads',
        ...childHeapTargetHelp,
      },
    );
    if (!p) return 0;
    const spec = clusterFlags(p)!;
    const report = stringFlag(p, 'report') ?? join(tmpdir(), `ovnscale-demo-${new Date().toISOString().replace(/[:.]/g, '-')}.html`);
    const out = progressPrinter(process.stdout.isTTY === true);
    out.line('starting: OVN NB ovsdb-server + ovn-northd, the simulated API server, the controller in its own process');
    let r: BenchSyncResult;
    try {
      r = await runBenchSync({
        cluster: spec,
        mode: 'ovnscale',
        steady: { services: 5, churnPods: 100, netpols: 2 },
        naiveSample: 0,
        damageShare: 0.05,
        northd: true,
        nb: 'raft',
        controller: { wasmWorkers: intFlag(p, 'wasm-workers', 0, 64), heapTargetMb: heapTargetMb(p) },
        timeoutMs: 600_000,
        coldPairs: 1,
        progress: (s) => out.line(s),
      });
    } finally {
      out.done();
    }
    writeReport(report, r);
    process.stdout.write(`\n${summary(r, report)}\n`);
    return 0;
  },
};
export default mod;
