/**
 * `ovnscale bench sync`: cold sync, warm restart, repair, Service / pod /
 * NetworkPolicy / namespace events at cluster scale, beside the raw floor
 * and the naive baseline, in one run (see src/bench/).
 */
import { writeFileSync } from 'node:fs';
import { writeReport } from '../bench/html.js';
import { NB_KINDS, runBenchSync, type Mode, type NbKind } from '../bench/run.js';
import { formatBenchSync } from '../bench/text.js';
import { clusterSpec } from '../sim/gen/cluster.js';
import type { CommandModule } from './commands.js';
import { childHeapTargetHelp, heapTargetFlagSpec, heapTargetMb } from './controller-flags.js';
import { boolFlag, intFlag, parseFlags, stringFlag, UsageError } from './flags.js';
import { clusterFlags, clusterFlagHelp, clusterFlagSpec } from './sim.js';

const MODES: Mode[] = ['all', 'ovnscale', 'naive'];

const mod: CommandModule = {
  async run(argv) {
    const { kubevirt: _k, 'vm-share': _v, greenfield: _g, ...gen } = clusterFlagSpec;
    const p = parseFlags(
      argv,
      'bench sync',
      {
        ...gen,
        nodes: { type: 'string', default: '2000' },
        subnets: { type: 'string', default: '100' },
        pods: { type: 'string', default: '150000' },
        policies: { type: 'string', default: '10000' },
        services: { type: 'string', default: '10000' },
        mode: { type: 'string', default: 'all' },
        'service-samples': { type: 'string', default: '5' },
        'churn-pods': { type: 'string', default: '200' },
        'netpol-samples': { type: 'string', default: '3' },
        'naive-sample': { type: 'string', default: '3000' },
        'damage-percent': { type: 'string', default: '5' },
        'max-ops-per-txn': { type: 'string', default: '1000' },
        'wasm-workers': { type: 'string', default: '2' },
        ...heapTargetFlagSpec,
        'timeout-s': { type: 'string', default: '600' },
        'cold-pairs': { type: 'string', default: '1' },
        nb: { type: 'string', default: 'raft' },
        json: { type: 'boolean' },
        report: { type: 'string' },
        'json-out': { type: 'string' },
      },
      {
        ...clusterFlagHelp,
        mode: 'all (ovnscale, floor and naive), ovnscale (and the floor) or naive (and the floor)',
        'service-samples': 'Services created and deleted one after another',
        'churn-pods': 'pods created then deleted (16 requests in flight)',
        'netpol-samples': 'NetworkPolicies created, then updated',
        'naive-sample': 'units the naive phases run at most (transactions, rows checked, policy updates), then scaled',
        'damage-percent': 'share of NB rows removed behind the controller\'s back before a restart',
        'max-ops-per-txn': 'operations per NB transaction at most (controller and floor)',
        'wasm-workers': 'controller wasm worker threads',
        ...childHeapTargetHelp,
        'timeout-s': 'longest wait for one change to reach the NB',
        'cold-pairs': 'cold syncs, each beside a raw floor into fresh NBs, alternating (from the second on, `ovnscale sync` in its own process); the cold ratio is their median',
        nb: 'how each NB is kept: raft (a one-member cluster, as Kube-OVN runs it, whose transaction history lets a restart resume) or standalone',
        json: 'print one JSON object (progress goes to stderr)',
        report: 'write a self-contained HTML report (charts + JSON) to this file',
        'json-out': 'also write the JSON object to this file',
      },
    );
    if (!p) return 0;
    const mode = stringFlag(p, 'mode') as Mode;
    if (!MODES.includes(mode)) throw new UsageError(`--mode: expected one of ${MODES.join(', ')}, got '${mode}'`);
    const nb = stringFlag(p, 'nb') as NbKind;
    if (!NB_KINDS.includes(nb)) throw new UsageError(`--nb: expected one of ${NB_KINDS.join(', ')}, got '${nb}'`);
    const damage = intFlag(p, 'damage-percent', 1, 50);
    const json = boolFlag(p, 'json');
    const progress = (line: string) => (json ? process.stderr : process.stdout).write(`[bench sync] ${line}\n`);
    const result = await runBenchSync({
      cluster: clusterFlags(p) ?? clusterSpec(),
      mode,
      steady: { services: intFlag(p, 'service-samples', 0, 10_000), churnPods: intFlag(p, 'churn-pods', 0, 100_000), netpols: intFlag(p, 'netpol-samples', 0, 1000) },
      naiveSample: intFlag(p, 'naive-sample', 1, 10_000_000),
      damageShare: damage / 100,
      northd: false,
      nb,
      controller: { maxOpsPerTxn: intFlag(p, 'max-ops-per-txn', 1, 1_000_000), wasmWorkers: intFlag(p, 'wasm-workers', 0, 64), heapTargetMb: heapTargetMb(p) },
      timeoutMs: intFlag(p, 'timeout-s', 1, 86_400) * 1000,
      coldPairs: intFlag(p, 'cold-pairs', 1, 20),
      progress,
    });
    const report = stringFlag(p, 'report');
    if (report) writeReport(report, result);
    const jsonOut = stringFlag(p, 'json-out');
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result) + '\n');
    if (json) process.stdout.write(JSON.stringify(result) + '\n');
    else process.stdout.write(`\n${formatBenchSync(result)}\n${report ? `report: ${report}\n` : ''}`);
    return 0;
  },
};
export default mod;
