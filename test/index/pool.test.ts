// Needs the compiled worker (dist/workers/index-worker.js): `npx tsc -p tsconfig.json` first (./run test does).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Labels } from '../../src/k8s/records.js';
import { compileSelector } from '../../src/index/compile.js';
import { LabelIndex } from '../../src/index/label-index.js';
import { KernelPool } from '../../src/index/pool.js';
import { matchesSpec } from '../../src/index/selector-reference.js';
import { SelectorSet } from '../../src/index/selector-set.js';
import { namespaceLabels, pod, spec } from './arbitraries.js';

interface Pod {
  uid: string;
  namespace: string;
  labels: Labels;
}

const index = new LabelIndex<Pod>({ podCapacity: 128 });
let pool: KernelPool;

beforeAll(async () => {
  pool = await KernelPool.open(index.engine, { threads: 2 });
});

afterAll(async () => {
  await pool.close();
});

function reference(specs: Parameters<typeof compileSelector>[1][], nsLabels: Map<string, Labels>): number[][] {
  return specs.map((sp) => {
    const out: number[] = [];
    for (let s = 0; s < index.slotLimit; s++) {
      const p = index.podAt(s);
      if (p && matchesSpec(sp, p, nsLabels.get(p.namespace))) out.push(s);
    }
    return out;
  });
}

describe('kernel pool over the shared memory', () => {
  it('pool evaluation equals the reference, also after the memory grew and the bitsets widened under a running pool', async () => {
    let uid = 0;
    const bytesAtStart = index.engine.memory.buffer.byteLength;
    let runs = 0;
    let ballast = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(pod, { minLength: 1, maxLength: 400 }), namespaceLabels, fc.array(spec, { minLength: 1, maxLength: 40 }), async (pods, nsl, specs) => {
        // Mid-way, hold a block past the initial memory so that later rows live in grown memory.
        if (++runs === 5) ballast = index.engine.arena.alloc(4 << 20, false);
        const nsLabels = new Map(Object.entries(nsl));
        for (const [name, l] of nsLabels) index.upsertNamespace({ name, labels: l });
        for (const name of ['default', 'kube-system', 'ns-a', 'ns-b', 'ns-c']) if (!nsLabels.has(name)) index.deleteNamespace(name);
        // Pods accumulate across runs: capacity doubles and the memory grows while the pool lives.
        for (const p of pods) index.upsertPod({ uid: `u${uid++}`, ...p });
        const set = new SelectorSet(index, specs.map((s) => compileSelector(index, s)));
        try {
          await set.evaluateOn(pool, 7);
          const got = Array.from({ length: set.size }, (_, i) => [...set.members(i)]);
          expect(got).toEqual(reference(specs, nsLabels));
          const probe = index.bitsetOf(pods.map((_, i) => index.slotOf(`u${uid - 1 - i}`)!).filter((_, i) => i % 3 === 0));
          try {
            expect([...(await set.selectorsIntersectingOn(pool, probe, 5))]).toEqual([...set.selectorsIntersecting(probe)]);
          } finally {
            probe.free();
          }
        } finally {
          set.dispose();
        }
      }),
      { numRuns: 40 },
    );
    expect(index.capacity).toBeGreaterThan(128);
    expect(index.engine.memory.buffer.byteLength).toBeGreaterThan(bytesAtStart);
    index.engine.arena.release(ballast);
  });

  it('refuses to change the index while a pool batch runs over it', async () => {
    const set = new SelectorSet(index, [compileSelector(index, { podSelector: {} })]);
    const running = set.evaluateOn(pool);
    expect(() => index.upsertPod({ uid: 'racer', namespace: 'default', labels: {} })).toThrow(/while a pool batch is running/);
    await running;
    index.upsertPod({ uid: 'racer', namespace: 'default', labels: {} });
    set.dispose();
  });
});
