/** The benchmark result as plain text: the phase table, latencies, ratios. */
import type { HeapTarget } from '../util/heap-governor.js';
import type { BenchSyncResult } from './run.js';
import type { Latency } from './stats.js';

const lat = (name: string, l: Latency) => `  ${name.padEnd(30)} n ${String(l.n).padStart(4)}   p50 ${l.p50Ms} ms   p99 ${l.p99Ms} ms   max ${l.maxMs} ms`;

export function formatBenchSync(r: BenchSyncResult): string {
  const c = r.cluster;
  const out: string[] = [];
  out.push(`cluster: ${c.nodes} nodes, ${c.subnets} subnets, ${c.pods} pods, ${c.namespaces} namespaces, ${c.policies} policies, ${c.services} services (${c.objects} objects); ${r.machine.cpus} CPUs, load ${r.machine.loadAverage.join(' ')}`);
  out.push('');
  out.push(`${'mode'.padEnd(9)} ${'phase'.padEnd(24)} ${'seconds'.padStart(10)} ${'write txns'.padStart(11)} ${'operations'.padStart(11)}`);
  for (const p of r.phases) {
    out.push(`${p.mode.padEnd(9)} ${p.phase.padEnd(24)} ${p.seconds.toFixed(3).padStart(10)} ${String(p.writeTransactions).padStart(11)} ${String(p.operations).padStart(11)}${p.scaled ? '  (scaled from a sample)' : ''}`);
  }
  const o = r.ovnscale;
  if (o) {
    out.push('');
    out.push('ovnscale, API write -> NB commit:');
    if (o.service) {
      out.push(lat('Service create', o.service.create));
      out.push(lat('Service delete', o.service.delete));
      out.push(`  Service phase: ${o.service.touched.operations} NB operations, policy rows touched ${o.service.policyRowsTouched}`);
      out.push(`  first Service after the restart (not in the percentiles): create ${o.service.firstAfterRestart.createMs} ms, delete ${o.service.firstAfterRestart.deleteMs} ms`);
    }
    if (o.churn) {
      out.push(lat('pod create (churn)', o.churn.create));
      out.push(lat('pod delete (churn)', o.churn.delete));
      out.push(`  pod churn: ${o.churn.pods} pods, ${o.churn.createsPerSec} creates/s, ${o.churn.deletesPerSec} deletes/s`);
    }
    if (o.netpol) {
      out.push(lat('NetworkPolicy create', o.netpol.create));
      out.push(lat('NetworkPolicy update', o.netpol.update));
    }
    if (o.relabel) {
      const rows = Object.entries(o.relabel.touched.rows).map(([t, n]) => `${t} ${n}`).join(', ') || 'none';
      out.push(`  namespace relabel (${o.relabel.namespace}): ${o.relabel.latencyMs} ms, fan-out ${o.relabel.touched.operations} NB operations (${rows})`);
    }
    out.push(`  restart after removing ${o.damaged.removed.total} of ${o.damaged.removed.rowsBefore} rows: ${o.damaged.operations} operations, ${o.damaged.writeTransactions} transactions`);
    out.push(`  warm restart of the controller: ${o.warm.planSkipped ? 'resumed from its state file (watches and NB monitors picked up where the last one stopped), nothing to plan before ready' : 'planned against the whole NB'}; NB ${r.options.nb}`);
    out.push(`  warm restart as \`ovnscale sync\` in its own process: ${o.warmOwnProcess.seconds} s, ${o.warmOwnProcess.writeTransactions} write transactions, peak RSS ${o.warmOwnProcess.peakRssMiB} MiB`);
    out.push(`  controller peak RSS: cold sync ${o.cold.peakRssMiB} MiB, warm restart ${o.warm.peakRssMiB} MiB, repair and event phases ${o.memory.rssMiB} MiB (peak V8 heap ${o.memory.heapUsedMiB} MiB); each controller in its own process, heap target ${heapTargetText(r.options.heapTargetMb)}`);
    out.push(`  cold sync steps (ms): ${Object.entries(o.cold.timings).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (r.naive) {
    const n = r.naive;
    out.push('');
    out.push(`naive (one object per transaction, cache scans; at most ${r.options.naiveSample} units run, then scaled):`);
    out.push(`  cold sync: ${n.cold.sampled} of ${n.cold.total} transactions in ${n.cold.sampleSeconds} s${n.cold.model ? `; modelled: ${n.cold.model}` : ''}`);
    out.push(`  warm restart: ${n.warm.sampled} of ${n.warm.total} rows checked (evenly spaced) in ${n.warm.sampleSeconds} s, scaled linearly`);
    out.push(`  Service create in ${n.service.namespace}: fan-out ${n.service.fanOut} policy updates, ${n.service.policyRowsTouched} policy rows checked; ${n.service.sampled} run in ${n.service.sampleSeconds} s`);
  }
  out.push('');
  const pairs = r.coldPairs ?? [];
  if (pairs.length > 1) out.push(`cold sync / raw floor, ${pairs.length} pairs side by side: ${pairs.map((p) => `${p.coldSeconds} / ${p.floorSeconds} s = ${p.ratio}`).join('; ')}`);
  if (r.ratios.coldOverFloor !== undefined) out.push(`cold sync / raw floor${pairs.length > 1 ? ' (median of the pairs)' : ''}: ${r.ratios.coldOverFloor}`);
  if (r.ratios.warmOverFloor !== undefined) out.push(`warm restart in its own process / raw monitor floor: ${r.ratios.warmOverFloor}`);
  for (const [k, v] of Object.entries(r.ratios.naiveOverOvnscale)) out.push(`naive / ovnscale, ${k}: ${v}`);
  out.push(`wall time ${r.wallSeconds} s`);
  return out.join('\n');
}

function heapTargetText(t: HeapTarget): string {
  return t === 'auto' ? 'auto' : t === 0 ? 'none' : `${t} MiB`;
}
