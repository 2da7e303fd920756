import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Labels } from '../../src/k8s/records.js';
import { compileSelector } from '../../src/index/compile.js';
import { JsBitsetEvaluator } from '../../src/index/js-bitsets.js';
import { JsDenseEvaluator } from '../../src/index/js-dense.js';
import { LabelIndex } from '../../src/index/label-index.js';
import { matchesSpec, policyPeerSpec, type SelectorSpec } from '../../src/index/selector-reference.js';
import { resolveSelector, SelectorSet } from '../../src/index/selector-set.js';
import { labels, NAMESPACES, namespaceLabels, pod, spec } from './arbitraries.js';

interface Pod {
  uid: string;
  namespace: string;
  labels: Labels;
}

/** The reference answer: selector index -> sorted slots of matching live pods. */
function expected(index: LabelIndex<Pod>, specs: (SelectorSpec | null)[], nsLabels: Map<string, Labels>): number[][] {
  const live: { slot: number; pod: Pod }[] = [];
  for (let s = 0; s < index.slotLimit; s++) {
    const p = index.podAt(s);
    if (p) live.push({ slot: s, pod: p });
  }
  return specs.map((sp) => live.filter(({ pod }) => matchesSpec(sp, pod, nsLabels.get(pod.namespace))).map(({ slot }) => slot));
}

function actual(set: SelectorSet): number[][] {
  return Array.from({ length: set.size }, (_, i) => {
    const m = [...set.members(i)];
    expect(set.count(i)).toBe(m.length);
    return m;
  });
}

describe('label index vs the reference selector semantics', () => {
  it('bulk evaluation on one thread matches for random pods, namespaces and selectors', () => {
    fc.assert(
      fc.property(fc.array(pod, { maxLength: 300 }), namespaceLabels, fc.array(spec, { minLength: 1, maxLength: 25 }), (pods, nsl, specs) => {
        // A small initial capacity so that adding pods widens the bitsets too.
        const index = new LabelIndex<Pod>({ podCapacity: 64 });
        const nsLabels = new Map(Object.entries(nsl));
        for (const [name, l] of nsLabels) index.upsertNamespace({ name, labels: l });
        pods.forEach((p, i) => index.upsertPod({ uid: `u${i}`, ...p }));
        const set = new SelectorSet(index, specs.map((s) => compileSelector(index, s)));
        set.evaluate();
        expect(actual(set)).toEqual(expected(index, specs, nsLabels));
        // The plain-JS benchmark baseline runs the same programs: same counts.
        const programs = specs.map((s) => compileSelector(index, s));
        const js = new JsBitsetEvaluator(index);
        js.evaluate(programs);
        expect([...js.evaluate(programs)]).toEqual([...set.counts()]);
        expect([...new JsDenseEvaluator(index).evaluate(programs)]).toEqual([...set.counts()]);
      }),
      { numRuns: 150 },
    );
  });

  it('incremental updates (pods added, relabelled, deleted; namespaces relabelled) keep results and report exactly the changed selectors', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('upsert' as const), uid: fc.nat(40), pod }),
      fc.record({ t: fc.constant('delete' as const), uid: fc.nat(40) }),
      fc.record({ t: fc.constant('ns' as const), name: fc.constantFrom(...NAMESPACES), labels }),
      fc.record({ t: fc.constant('nsDelete' as const), name: fc.constantFrom(...NAMESPACES) }),
    );
    fc.assert(
      fc.property(fc.array(pod, { maxLength: 60 }), namespaceLabels, fc.array(spec, { minLength: 1, maxLength: 20 }), fc.array(op, { maxLength: 40 }), fc.array(spec, { minLength: 1, maxLength: 10 }), (pods, nsl, specs, ops, later) => {
        const index = new LabelIndex<Pod>({ podCapacity: 1 });
        const nsLabels = new Map(Object.entries(nsl));
        for (const [name, l] of nsLabels) index.upsertNamespace({ name, labels: l });
        pods.forEach((p, i) => index.upsertPod({ uid: `u${i}`, ...p }));
        const set = new SelectorSet(index, specs.map((s) => compileSelector(index, s)));
        // The same selectors, updated only where the index reports changed rows.
        const targeted = new SelectorSet(index, specs.map((s) => compileSelector(index, s)));
        set.evaluate();
        targeted.evaluate();
        for (const o of ops) {
          const before = expected(index, specs, nsLabels);
          let changed: Uint32Array;
          let changedTargeted: Uint32Array;
          if (o.t === 'upsert') {
            const slot = index.upsertPod({ uid: `u${o.uid}`, ...o.pod });
            changed = set.updateSlot(slot);
            changedTargeted = targeted.updateSlot(slot, index.lastChangedRows);
          } else if (o.t === 'delete') {
            const slot = index.deletePod(`u${o.uid}`);
            changed = slot === undefined ? new Uint32Array(0) : set.updateSlot(slot);
            changedTargeted = slot === undefined ? new Uint32Array(0) : targeted.updateSlot(slot, index.lastChangedRows);
          } else {
            if (o.t === 'ns') {
              index.upsertNamespace({ name: o.name, labels: o.labels });
              nsLabels.set(o.name, o.labels);
            } else {
              index.deleteNamespace(o.name);
              nsLabels.delete(o.name);
            }
            changed = set.updateSlots(index.podsInNamespace(o.name));
            changedTargeted = targeted.updateSlots(index.podsInNamespace(o.name), index.lastChangedRows);
          }
          const after = expected(index, specs, nsLabels);
          const want = specs.map((_, i) => i).filter((i) => before[i]!.join() !== after[i]!.join());
          expect([...changed]).toEqual(want);
          expect([...changedTargeted]).toEqual(want);
          expect(actual(set)).toEqual(after);
          expect(actual(targeted)).toEqual(after);
        }
        // Selectors compiled after the churn: label terms asked for the first time are filled from the live pods.
        const fresh = new SelectorSet(index, later.map((s) => compileSelector(index, s)));
        fresh.evaluate();
        expect(actual(fresh)).toEqual(expected(index, later, nsLabels));
      }),
      { numRuns: 100 },
    );
  });

  it('selectorsWithSlot and selectorsIntersecting answer fan-out from the stored results', () => {
    fc.assert(
      fc.property(fc.array(pod, { minLength: 1, maxLength: 200 }), fc.array(spec, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(199), { maxLength: 10 }), (pods, specs, probeIdx) => {
        const index = new LabelIndex<Pod>();
        pods.forEach((p, i) => index.upsertPod({ uid: `u${i}`, ...p }));
        const set = new SelectorSet(index, specs.map((s) => compileSelector(index, s)));
        set.evaluate();
        const exp = expected(index, specs, new Map());
        const slot = pods.length - 1;
        expect([...set.selectorsWithSlot(slot)]).toEqual(specs.map((_, i) => i).filter((i) => exp[i]!.includes(slot)));
        const probeSlots = probeIdx.filter((i) => i < pods.length);
        const probe = index.bitsetOf(probeSlots);
        const asBitset = set.resultBitset(0);
        try {
          expect([...set.selectorsIntersecting(probe)]).toEqual(specs.map((_, i) => i).filter((i) => exp[i]!.some((s) => probeSlots.includes(s))));
          // A selector's own result as the probe: every selector sharing a pod with selector 0.
          expect([...asBitset.members()]).toEqual(exp[0]);
          expect([...set.selectorsIntersecting(asBitset)]).toEqual(specs.map((_, i) => i).filter((i) => exp[i]!.some((s) => exp[0]!.includes(s))));
          expect([...resolveSelector(index, compileSelector(index, specs[0]!))]).toEqual(exp[0]);
        } finally {
          probe.free();
          asBitset.free();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('empty selector selects every pod (in scope); absent selects none; NotIn and DoesNotExist match pods without the key', () => {
    const index = new LabelIndex<Pod>();
    index.upsertPod({ uid: 'a', namespace: 'n1', labels: { app: 'web', 'app.kubernetes.io/name': '' } });
    index.upsertPod({ uid: 'b', namespace: 'n1', labels: {} });
    index.upsertPod({ uid: 'c', namespace: 'n2', labels: { app: 'db' } });
    const specs: (SelectorSpec | null)[] = [
      { podSelector: {} },
      { namespace: 'n1', podSelector: {} },
      null,
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } },
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': '' } } },
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] } },
    ];
    const set = new SelectorSet(index, specs.map((s) => compileSelector(index, s)));
    set.evaluate();
    const [a, b, c] = ['a', 'b', 'c'].map((u) => index.slotOf(u)!);
    expect(actual(set)).toEqual([[a, b, c], [a, b], [], [b, c], [b], [a], [a, c]]);
    // Namespaces get slots too, also before (or without) their record.
    expect(index.namespaceAt(index.namespaceSlot('n1')!)).toBeUndefined();
    index.upsertNamespace({ name: 'n1', labels: { team: 't' } });
    expect(index.namespaceAt(index.namespaceSlot('n1')!)).toEqual({ name: 'n1', labels: { team: 't' } });
    expect(index.podsInNamespace('n1').sort()).toEqual([a, b].sort());
  });

  it('policy peers: podSelector alone is scoped to the policy namespace, with namespaceSelector to the selected namespaces', () => {
    expect(policyPeerSpec('ns1', { podSelector: { matchLabels: { a: 'b' } } })).toEqual({ namespace: 'ns1', podSelector: { matchLabels: { a: 'b' } } });
    expect(policyPeerSpec('ns1', { namespaceSelector: {} })).toEqual({ namespaceSelector: {} });
    expect(policyPeerSpec('ns1', { namespaceSelector: {}, podSelector: {} })).toEqual({ namespaceSelector: {}, podSelector: {} });
    expect(policyPeerSpec('ns1', { ipBlock: { cidr: '10.0.0.0/8', except: [] } })).toBeNull();
  });

  it('compile errors name the expression, field and operator', () => {
    const index = new LabelIndex();
    expect(() => compileSelector(index, { podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['x'] }] } })).toThrow(
      "podSelector.matchExpressions[0].operator: unknown operator 'Equals' (key 'app'); expected In, NotIn, Exists or DoesNotExist",
    );
    expect(() => compileSelector(index, { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: [] }] } })).toThrow(
      "namespaceSelector.matchExpressions[0].values: operator 'In' needs at least one value (key 'team')",
    );
    expect(() => compileSelector(index, { podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] } })).toThrow(/takes no values/);
  });

  it('relabelling one pod in a 20k-pod index takes microseconds', () => {
    const index = new LabelIndex<Pod>({ podCapacity: 20_000 });
    for (let i = 0; i < 20_000; i++) index.upsertPod({ uid: `p${i}`, namespace: `ns${i % 50}`, labels: { app: `a${i % 300}`, tier: 'x' } });
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) index.upsertPod({ uid: 'p7', namespace: 'ns7', labels: { app: `a${i % 300}`, tier: i % 2 ? 'x' : 'y' } });
    expect((performance.now() - t0) / 1000).toBeLessThan(0.5);
  });
});
