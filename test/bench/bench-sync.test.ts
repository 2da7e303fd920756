import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startControllerChild } from '../../src/bench/controller-child.js';
import { controllerOptions } from '../../src/bench/controller-run.js';
import { writeReport } from '../../src/bench/html.js';
import { runBenchSync } from '../../src/bench/run.js';
import { formatBenchSync } from '../../src/bench/text.js';
import { clusterSpec } from '../../src/sim/gen/cluster.js';
import { controllerChildPath, packageRoot } from '../../src/util/paths.js';

/** The benchmark on a 300-pod cluster, without ovn-northd. */
const tiny = (o: Pick<Parameters<typeof runBenchSync>[0], 'mode' | 'steady' | 'naiveSample' | 'timeoutMs' | 'progress'> & { coldPairs?: number }) =>
  runBenchSync({ cluster: clusterSpec({ nodes: 4, subnets: 2, pods: 300, policies: 8, services: 10 }), damageShare: 0.05, northd: false, nb: 'raft', controller: { wasmWorkers: 0, heapTargetMb: 1 }, coldPairs: 1, ...o });

describe('ovnscale bench sync at a tiny size', () => {
  it.runIf(existsSync(join(packageRoot(), 'dist', 'src', 'cli', 'main.js')))('runs every mode and phase end to end; the JSON holds the figures and their invariants', async () => {
    const lines: string[] = [];
    const r = await tiny({ mode: 'all', steady: { services: 2, churnPods: 10, netpols: 1 }, naiveSample: 2000, timeoutMs: 30_000, coldPairs: 2, progress: (l) => lines.push(l) });
    const o = r.ovnscale!;
    expect(o.cold.writeTransactions).toBeGreaterThan(0);
    expect(o.cold.inserted).toBeGreaterThan(300);
    expect(o.warm.writeTransactions).toBe(0);
    expect(o.warm.operations).toBe(0);
    // The warm restart resumed from the state file the cold controller saved: nothing changed, nothing to plan.
    expect(o.warm.planSkipped).toBe(true);
    // Rows removed behind its back while it was down: resumed, then planned and repaired.
    expect(o.damaged.planSkipped).toBe(false);
    // The same restart as `ovnscale sync` in its own process: nothing to write, and its own peak RSS.
    expect(o.warmOwnProcess.writeTransactions).toBe(0);
    expect(o.warmOwnProcess.desiredRows).toBe(o.warm.desiredRows);
    expect(o.warmOwnProcess.peakRssMiB).toBeGreaterThan(20);
    // Every controller ran under a heap target of 1 MiB: collecting at its checkpoints, converging all the same.
    expect(r.options.heapTargetMb).toBe(1);
    expect(o.damaged.removed.total).toBeGreaterThan(0);
    expect(o.damaged.operations).toBeGreaterThanOrEqual(o.damaged.removed.total);
    expect(o.service!.create.n).toBe(2);
    expect(o.service!.policyRowsTouched).toBe(0);
    expect(o.churn!.create.n).toBe(10);
    expect(o.churn!.delete.n).toBe(10);
    expect(o.netpol!.update.n).toBe(1);
    expect(o.relabel!.touched.passes).toBeGreaterThan(0);
    // Every controller ran in its own process: the peaks are its own.
    expect(o.cold.peakRssMiB).toBeGreaterThan(20);
    expect(o.warm.peakRssMiB).toBeGreaterThan(20);
    expect(o.memory.rssMiB).toBeGreaterThan(20);
    expect(o.memory.heapUsedMiB).toBeGreaterThan(0);

    // The floor writes the same rows ovnscale's cold sync wrote; ovnscale writes the Node and Subnet rows ahead,
    // in plans of their own, so their parents' mutates are split into a few more.
    expect(r.floor!.operations).toBeLessThanOrEqual(o.cold.operations);
    expect(o.cold.operations).toBeLessThan(r.floor!.operations * 1.05);
    // A second cold sync (in its own process) beside a second floor, each into fresh NBs: the same rows again, and the ratio is the pairs' median.
    const pairs = r.coldPairs!;
    expect(pairs).toHaveLength(2);
    expect(pairs[0]!.coldSeconds).toBe(o.cold.seconds);
    expect(pairs[0]!.floorSeconds).toBe(r.floor!.seconds);
    expect(pairs[1]!.peakRssMiB).toBeGreaterThan(20);
    expect(pairs[1]!.coldOperations).toBeGreaterThanOrEqual(r.floor!.operations);
    expect(pairs[1]!.coldOperations).toBeLessThan(r.floor!.operations * 1.05);
    for (const p of pairs) expect(p.ratio).toBeCloseTo(p.coldSeconds / p.floorSeconds, 1);
    const sorted = pairs.map((p) => p.ratio).sort((a, b) => a - b);
    expect(r.ratios.coldOverFloor).toBeGreaterThanOrEqual(sorted[0]!);
    expect(r.ratios.coldOverFloor).toBeLessThanOrEqual(sorted.at(-1)!);
    expect(lines.some((l) => l.includes('cold sync pair 2 of 2'))).toBe(true);
    // The monitor floor reads the NB the floor wrote: every table's reply, the whole NB's bytes.
    expect(r.monitorFloor!.reps).toBe(3);
    expect(r.monitorFloor!.bytes).toBeGreaterThan(r.floor!.operations * 50);
    expect(r.ratios.warmOverFloor).toBeGreaterThan(0);
    const n = r.naive!;
    expect(n.cold.writeTransactions).toBe(n.cold.sampled);
    // At this size the naive cold sync runs to the end: nothing scaled.
    expect(n.cold.scaled).toBe(false);
    expect(n.cold.total).toBe(n.cold.sampled);
    expect(n.cold.sampled).toBeGreaterThan(o.cold.writeTransactions);
    expect(n.warm.writeTransactions).toBe(0);
    expect(n.service.fanOut).toBeGreaterThan(0);
    for (const k of ['cold sync', 'warm restart', 'Service create']) expect(r.ratios.naiveOverOvnscale[k]).toBeGreaterThan(0);
    expect(r.phases.map((p) => `${p.mode}/${p.phase}`)).toEqual(expect.arrayContaining(['ovnscale/cold sync', 'ovnscale/warm restart', 'floor/cold sync', 'floor/warm restart (monitor)', 'naive/cold sync']));

    const parsed = JSON.parse(JSON.stringify(r)) as typeof r;
    expect(parsed.cluster.pods).toBe(300);
    expect(formatBenchSync(r)).toContain('cold sync / raw floor');
    const dir = mkdtempSync(join(tmpdir(), 'ovnscale-bench-test-'));
    try {
      const file = join(dir, 'report.html');
      writeReport(file, r);
      const html = readFileSync(file, 'utf8');
      expect(html).toContain('<svg');
      const embedded = /<script type="application\/json" id="result">([\s\S]*?)<\/script>/.exec(html)![1]!;
      expect(JSON.parse(embedded).ovnscale.warm.writeTransactions).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines.some((l) => l.includes('warm restart'))).toBe(true);
  }, 60_000);

  it.runIf(existsSync(join(packageRoot(), 'dist', 'src', 'cli', 'main.js')))('stops at once, naming the pod and the reason, when the controller rejects a churn pod', async () => {
    // 200 churn pods do not fit the namespace's subnet, sized for this cluster's 300 pods with headroom.
    const run = tiny({ mode: 'ovnscale', steady: { services: 0, churnPods: 200, netpols: 0 }, naiveSample: 0, timeoutMs: 120_000, progress: () => undefined });
    await expect(run).rejects.toThrow(/pod churn: the controller rejected a churn pod: Pod ns-\d+\/bench-churn-\d+: metadata\.annotations\[ovn\.kubernetes\.io\/ip_address\]: no free address/);
  }, 60_000);

  it.runIf(existsSync(controllerChildPath()))('a controller process that cannot start fails its phase with the reason, and its process is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ovnscale-child-'));
    try {
      const run = startControllerChild(controllerOptions('unix:/nonexistent/nb.sock', join(dir, 'no-kubeconfig')));
      await expect(run.ready).rejects.toThrow(/controller process failed: .*no-kubeconfig/);
      await expect(run.stop()).rejects.toThrow(/controller process/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
