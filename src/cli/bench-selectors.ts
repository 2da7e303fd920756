/**
 * `ovnscale bench selectors`: NetworkPolicy selector resolution over a
 * synthetic cluster, four ways side by side (naive per-pod matching on a
 * sample of the selectors, plain-JS dense bitsets, the wasm kernel's
 * two-level algorithm in plain JS, wasm on one thread, wasm in the pool), plus
 * the router-policy set diff and the cost of relabelling one pod.
 */
import { availableParallelism } from 'node:os';
import { compileSelector, type Program } from '../index/compile.js';
import { JsBitsetEvaluator } from '../index/js-bitsets.js';
import { JsDenseEvaluator } from '../index/js-dense.js';
import { KeysetDiff, packKeys } from '../index/keyset-diff.js';
import { LabelIndex } from '../index/label-index.js';
import { KernelPool } from '../index/pool.js';
import { specMatcher } from '../index/selector-reference.js';
import { SelectorSet } from '../index/selector-set.js';
import { synthCluster, synthRoutePolicies, synthSelectors, type SynthPod } from '../index/synthetic.js';
import type { Labels } from '../k8s/records.js';
import { boolFlag, intFlag, parseFlags } from './flags.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Order-sensitive checksum of per-selector match counts. */
function checksum(counts: ArrayLike<number>, which?: readonly number[]): number {
  let h = 0;
  const idx = which ?? Array.from({ length: counts.length }, (_, i) => i);
  for (const i of idx) h = (h + Math.imul(counts[i]!, 2 * i + 1)) >>> 0;
  return h;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

interface Impl {
  medianMs: number;
  checksum: number;
  [extra: string]: unknown;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(
    argv,
    'bench selectors',
    {
      pods: { type: 'string', default: '150000' },
      selectors: { type: 'string', default: '10000' },
      'wasm-workers': { type: 'string', default: String(availableParallelism()) },
      runs: { type: 'string', default: '7' },
      'naive-sample': { type: 'string', default: '100' },
      routes: { type: 'string', default: '200000' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
    {
      pods: 'synthetic pods',
      selectors: 'selectors to resolve (NetworkPolicy targets and peers)',
      'wasm-workers': 'threads in the wasm pool',
      runs: 'timed runs per implementation (the median is reported)',
      'naive-sample': 'selectors the naive matcher runs (its time is scaled to all)',
      routes: 'router policies on each side of the route-set diff',
      seed: 'seed of the synthetic data',
      json: 'print figures as JSON',
    },
  );
  if (!parsed) return 0;
  const pods = intFlag(parsed, 'pods', 1);
  const nsel = intFlag(parsed, 'selectors', 1);
  const threads = intFlag(parsed, 'wasm-workers', 1, 256);
  const runs = intFlag(parsed, 'runs', 1, 1000);
  const sampleSize = Math.min(intFlag(parsed, 'naive-sample', 1), nsel);
  const routes = intFlag(parsed, 'routes', 1);
  const seed = intFlag(parsed, 'seed', 0, 2 ** 31);
  const json = boolFlag(parsed, 'json');
  const say = (msg: string): void => {
    if (!json) process.stderr.write(`${msg}\n`);
  };

  say(`generating ${pods} pods, ${nsel} selectors (seed ${seed})`);
  const cluster = synthCluster(pods, seed);
  const specs = synthSelectors(cluster, nsel, seed + 1);

  const index = new LabelIndex<SynthPod>({ podCapacity: pods });
  const buildMs = time(() => {
    for (const ns of cluster.namespaces) index.upsertNamespace(ns);
    for (const p of cluster.pods) index.upsertPod(p);
  });
  let programs: Program[] = [];
  const compileMs = time(() => {
    programs = specs.map((s) => compileSelector(index, s));
  });
  const set = new SelectorSet(index, programs);
  const js = new JsBitsetEvaluator(index);
  const dense = new JsDenseEvaluator(index);
  say(`index: ${index.termCount} posting rows, built in ${buildMs.toFixed(0)} ms; compiled in ${compileMs.toFixed(0)} ms`);

  const pool = await KernelPool.open(index.engine, { threads });
  try {
    // Warm up every implementation, then interleave timed runs so noise from other processes hits all alike.
    let denseCounts = dense.evaluate(programs);
    let jsCounts = js.evaluate(programs);
    set.evaluate();
    await set.evaluateOn(pool);
    const t = { dense: [] as number[], js: [] as number[], wasm1: [] as number[], pool: [] as number[] };
    let wasm1Counts = set.counts();
    let poolCounts = set.counts();
    for (let r = 0; r < runs; r++) {
      t.dense.push(time(() => (denseCounts = dense.evaluate(programs))));
      t.js.push(time(() => (jsCounts = js.evaluate(programs))));
      t.wasm1.push(time(() => set.evaluate()));
      wasm1Counts = set.counts();
      t.pool.push(await timeAsync(() => set.evaluateOn(pool)));
      poolCounts = set.counts();
      say(`run ${r + 1}/${runs}: js dense ${t.dense.at(-1)!.toFixed(1)} ms, js two-level ${t.js.at(-1)!.toFixed(1)} ms, wasm ${t.wasm1.at(-1)!.toFixed(1)} ms, pool ${t.pool.at(-1)!.toFixed(1)} ms`);
    }

    // Naive: every selector against every pod's label map, on an evenly spaced sample of selectors.
    const sample = Array.from({ length: sampleSize }, (_, i) => Math.floor((i * nsel) / sampleSize));
    const nsLabels = new Map<string, Labels>(cluster.namespaces.map((n) => [n.name, n.labels]));
    const podNsLabels = cluster.pods.map((p) => nsLabels.get(p.namespace));
    const naiveCounts = new Int32Array(nsel);
    const naiveRuns: number[] = [];
    for (let r = 0; r < Math.min(runs, 3); r++) {
      naiveRuns.push(
        time(() => {
          for (const i of sample) {
            const match = specMatcher(specs[i]!);
            let n = 0;
            for (let p = 0; p < cluster.pods.length; p++) if (match(cluster.pods[p]!, podNsLabels[p])) n++;
            naiveCounts[i] = n;
          }
        }),
      );
    }
    const naiveSampleMs = median(naiveRuns);
    const scale = nsel / sampleSize;

    const impls: Record<string, Impl> = {
      naive: {
        medianMs: naiveSampleMs * scale,
        checksum: checksum(naiveCounts, sample),
        sampled: { selectors: sampleSize, measuredMedianMs: naiveSampleMs, scale },
      },
      jsBitsets: { medianMs: median(t.dense), checksum: checksum(denseCounts), sampleChecksum: checksum(denseCounts, sample) },
      jsTwoLevel: { medianMs: median(t.js), checksum: checksum(jsCounts), sampleChecksum: checksum(jsCounts, sample) },
      wasm1: { medianMs: median(t.wasm1), checksum: checksum(wasm1Counts), sampleChecksum: checksum(wasm1Counts, sample) },
      wasmPool: { medianMs: median(t.pool), checksum: checksum(poolCounts), sampleChecksum: checksum(poolCounts, sample), threads },
    };
    const agree =
      impls.jsBitsets!.checksum === impls.wasm1!.checksum &&
      impls.jsTwoLevel!.checksum === impls.wasm1!.checksum &&
      impls.wasm1!.checksum === impls.wasmPool!.checksum &&
      [denseCounts, jsCounts, wasm1Counts, poolCounts].every((c) => sample.every((i) => c[i] === naiveCounts[i]));

    // Route-set diff: desired vs existing router policies, from the same token arrays.
    const { desired, existing } = synthRoutePolicies(routes, 0.01, seed + 2);
    const kd = new KeysetDiff(index.engine);
    let wasmDiff = kd.diff(packKeys(desired), packKeys(existing));
    let mapDiff = mapBasedDiff(desired, existing);
    const td = { wasm: [] as number[], map: [] as number[] };
    for (let r = 0; r < runs; r++) {
      td.wasm.push(time(() => (wasmDiff = kd.diff(packKeys(desired), packKeys(existing)))));
      td.map.push(time(() => (mapDiff = mapBasedDiff(desired, existing))));
    }
    const sameDiff =
      [...wasmDiff.onlyDesired].join() === mapDiff.onlyDesired.join() && [...wasmDiff.onlyExisting].join() === mapDiff.onlyExisting.join();

    // Relabel one pod: the index update alone, then the fan-out over all selectors.
    // A rollout-style relabel: new version, one label added.
    const victim = cluster.pods[Math.floor(cluster.pods.length / 2)]!;
    const variants = [victim, { ...victim, labels: { ...victim.labels, version: 'v9', canary: 'true' } }];
    const relabel: number[] = [];
    const fanout: number[] = [];
    const fanoutAll: number[] = [];
    let changedSelectors = 0;
    for (let i = 0; i < 2001; i++) {
      let slot = 0;
      relabel.push(time(() => (slot = index.upsertPod(variants[(i + 1) % 2]!))) * 1000);
      // Targeted: only the selectors reading the rows this update wrote.
      fanout.push(time(() => (changedSelectors = set.updateSlot(slot, index.lastChangedRows).length)) * 1000);
      // Every selector re-run for the slot (same answer, brute force), after flipping back and forth.
      index.upsertPod(variants[i % 2]!);
      set.updateSlot(slot, index.lastChangedRows);
      index.upsertPod(variants[(i + 1) % 2]!);
      fanoutAll.push(time(() => set.updateSlot(slot)) * 1000);
    }
    const relabelUs = median(relabel);
    const fanoutUs = median(fanout);

    const result = {
      pods,
      namespaces: cluster.namespaces.length,
      selectors: nsel,
      postingRows: index.termCount,
      memoryMiB: Math.round(index.engine.memory.buffer.byteLength / 2 ** 20),
      buildMs: Math.round(buildMs),
      runs,
      implementations: impls,
      checksumsAgree: agree,
      ratios: {
        poolVsJsBitsets: impls.jsBitsets!.medianMs / impls.wasmPool!.medianMs,
        poolVsJsTwoLevel: impls.jsTwoLevel!.medianMs / impls.wasmPool!.medianMs,
        poolVsNaive: impls.naive!.medianMs / impls.wasmPool!.medianMs,
        wasm1VsJsBitsets: impls.jsBitsets!.medianMs / impls.wasm1!.medianMs,
        wasm1VsJsTwoLevel: impls.jsTwoLevel!.medianMs / impls.wasm1!.medianMs,
        poolVsWasm1: impls.wasm1!.medianMs / impls.wasmPool!.medianMs,
      },
      routeDiff: {
        desired: desired.length,
        existing: existing.length,
        toAdd: wasmDiff.onlyDesired.length,
        toDelete: wasmDiff.onlyExisting.length,
        wasmMedianMs: median(td.wasm),
        mapMedianMs: median(td.map),
        ratio: median(td.map) / median(td.wasm),
        sameResult: sameDiff,
      },
      relabelOnePod: {
        indexUpdateMedianUs: relabelUs,
        fanoutMedianUs: fanoutUs,
        fanoutAllSelectorsMedianUs: median(fanoutAll),
        selectors: nsel,
        changedSelectors,
      },
    };
    if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else printTable(result);
    return agree && sameDiff ? 0 : 1;
  } finally {
    await pool.close();
    set.dispose();
  }
}

/** The JS baseline of the route diff: string keys in a Map, as a JS controller would write it. */
function mapBasedDiff(desired: Uint32Array[], existing: Uint32Array[]): { onlyDesired: number[]; onlyExisting: number[] } {
  const want = new Map<string, number>();
  desired.forEach((k, i) => {
    const key = k.join(',');
    if (!want.has(key)) want.set(key, i);
  });
  const have = new Map<string, number>();
  existing.forEach((k, i) => {
    const key = k.join(',');
    if (!have.has(key)) have.set(key, i);
  });
  const onlyDesired: number[] = [];
  for (const [key, i] of want) if (!have.has(key)) onlyDesired.push(i);
  const onlyExisting: number[] = [];
  for (const [key, i] of have) if (!want.has(key)) onlyExisting.push(i);
  return { onlyDesired: onlyDesired.sort((a, b) => a - b), onlyExisting: onlyExisting.sort((a, b) => a - b) };
}

function printTable(r: {
  pods: number;
  namespaces: number;
  selectors: number;
  postingRows: number;
  memoryMiB: number;
  implementations: Record<string, Impl>;
  checksumsAgree: boolean;
  ratios: Record<string, number>;
  routeDiff: Record<string, number | boolean>;
  relabelOnePod: Record<string, number>;
}): void {
  const lines = [
    `${r.pods} pods, ${r.namespaces} namespaces, ${r.selectors} selectors, ${r.postingRows} posting rows, ${r.memoryMiB} MiB wasm memory`,
    '',
    'implementation        median ms   checksum',
  ];
  for (const [name, impl] of Object.entries(r.implementations)) {
    const note =
      name === 'naive'
        ? `  (scaled: ${(impl.sampled as { selectors: number }).selectors} selectors measured, checksum over them)`
        : name === 'wasmPool'
          ? `  (${String(impl.threads)} threads)`
          : '';
    lines.push(`${name.padEnd(20)} ${impl.medianMs.toFixed(2).padStart(10)}   ${String(impl.checksum).padStart(10)}${note}`);
  }
  lines.push(`checksums agree: ${r.checksumsAgree}`);
  lines.push(
    `pool vs plain-JS (dense) bitsets ${r.ratios.poolVsJsBitsets!.toFixed(1)}x, pool vs naive ${r.ratios.poolVsNaive!.toFixed(0)}x, ` +
      `pool vs JS two-level ${r.ratios.poolVsJsTwoLevel!.toFixed(1)}x; wasm 1 thread vs JS dense ${r.ratios.wasm1VsJsBitsets!.toFixed(1)}x, ` +
      `vs JS two-level ${r.ratios.wasm1VsJsTwoLevel!.toFixed(1)}x; pool vs 1 thread ${r.ratios.poolVsWasm1!.toFixed(2)}x`,
  );
  const d = r.routeDiff;
  lines.push(
    '',
    `route-set diff ${d.desired} desired vs ${d.existing} existing: wasm hash+sort+diff ${(d.wasmMedianMs as number).toFixed(1)} ms, ` +
      `JS Map ${(d.mapMedianMs as number).toFixed(1)} ms (${(d.ratio as number).toFixed(1)}x); add ${d.toAdd}, delete ${d.toDelete}; same result: ${d.sameResult}`,
  );
  const u = r.relabelOnePod;
  lines.push(
    `relabel one pod: index update ${u.indexUpdateMedianUs!.toFixed(1)} us median; fan-out ${u.fanoutMedianUs!.toFixed(1)} us median ` +
      `(selectors reading the changed rows; ${u.changedSelectors} changed), ${u.fanoutAllSelectorsMedianUs!.toFixed(1)} us re-running all ${u.selectors}`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

export default { run };
