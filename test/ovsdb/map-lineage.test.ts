import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyColumnDiff } from '../../src/ovsdb/codec.js';
import { candidateKeys, copyMap, differingKeys, LINEAGE_MIN_KEYS, recordDerived, sameMap } from '../../src/ovsdb/map-lineage.js';
import { parseSchema, type OvsMap } from '../../src/ovsdb/index.js';
import { collectGarbage } from '../../src/util/gc.js';

const schema = parseSchema(JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')));
const vipsColumn = schema.tables.get('Load_Balancer')!.columns.get('vips')!;

const POOL = 400;
const key = fc.integer({ min: 0, max: POOL - 1 }).map((i) => `10.96.0.${i}:80`);
const edit = fc.record({ key, value: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }) });

function mapOf(n: number): OvsMap {
  const m: OvsMap = {};
  for (let i = 0; i < n; i++) m[`10.96.0.${i}:80`] = i % 2 ? 'a' : 'b';
  return m;
}

/** The differing keys by reading everything. */
function bruteDiff(a: OvsMap, b: OvsMap): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]).sort();
}

describe('map lineage', () => {
  it('answers every comparison as a full read does, through model copies, update2 applies, fresh equal maps and anchors (property)', () => {
    const step = fc.oneof(
      // The model's copy-on-write: copy, edit, record.
      fc.record({ t: fc.constant('copy' as const), from: fc.nat(), edits: fc.array(edit, { maxLength: 6 }) }),
      // The cache's update2 apply; a pair equal to the current one removes it.
      fc.record({ t: fc.constant('update2' as const), from: fc.nat(), edits: fc.array(edit, { maxLength: 6 }) }),
      // A map built from scratch with the same pairs: nothing is known about it.
      fc.record({ t: fc.constant('fresh' as const), from: fc.nat() }),
      fc.record({ t: fc.constant('compare' as const), a: fc.nat(), b: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.constantFrom(12, LINEAGE_MIN_KEYS + 40), fc.array(step, { maxLength: 40 }), (size, steps) => {
        const versions: OvsMap[] = [mapOf(size), mapOf(size)];
        const pick = (i: number) => versions[i % versions.length]!;
        for (const s of steps) {
          if (s.t === 'copy') {
            const parent = pick(s.from);
            const { copy, size: n } = copyMap(parent);
            for (const e of s.edits) {
              if (e.value === undefined) delete copy[e.key];
              else copy[e.key] = e.value;
            }
            recordDerived(copy, parent, n, s.edits.map((e) => e.key));
            versions.push(copy);
          } else if (s.t === 'update2') {
            const parent = pick(s.from);
            const pairs = new Map<string, string>();
            for (const e of s.edits) pairs.set(e.key, e.value ?? String(parent[e.key] ?? 'a'));
            versions.push(applyColumnDiff(vipsColumn, parent, ['map', [...pairs]], 'test') as OvsMap);
          } else if (s.t === 'fresh') {
            versions.push(Object.fromEntries(Object.entries(pick(s.from))));
          } else {
            const a = pick(s.a);
            const b = pick(s.b);
            const want = bruteDiff(a, b);
            const known = candidateKeys(a, b);
            if (known) for (const k of want) expect(known.has(k)).toBe(true);
            expect(sameMap(a, b)).toBe(want.length === 0);
            expect([...differingKeys(a, b)].sort()).toEqual(want);
            // Asked again, the anchor just recorded answers from the differing keys alone.
            if (size >= LINEAGE_MIN_KEYS && a !== b) expect(candidateKeys(a, b)?.size).toBe(want.length);
            expect([...differingKeys(b, a)].sort()).toEqual(want);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('narrows a comparison to the keys edited since an anchored pair, and keeps no lineage for small maps', () => {
    const desired = mapOf(12_000);
    const nb = copyMap(desired).copy;
    expect(differingKeys(desired, nb)).toEqual([]);
    const { copy: next, size } = copyMap(desired);
    next['10.254.0.1:80'] = '10.16.0.5:8080';
    recordDerived(next, desired, size, ['10.254.0.1:80']);
    expect([...candidateKeys(next, nb)!]).toEqual(['10.254.0.1:80']);
    const after = applyColumnDiff(vipsColumn, nb, ['map', [['10.254.0.1:80', '10.16.0.5:8080']]], 'test') as OvsMap;
    expect([...candidateKeys(next, after)!]).toEqual(['10.254.0.1:80']);
    expect(sameMap(next, after)).toBe(true);

    const small = mapOf(10);
    const smallNext = applyColumnDiff(vipsColumn, small, ['map', [['x', 'y']]], 'test') as OvsMap;
    expect(candidateKeys(smallNext, small)).toBeUndefined();
  });

  it('keeps only the last few versions alive through many model copy, plan, update2 rounds', async () => {
    const versions: WeakRef<OvsMap>[] = [];
    let desired = mapOf(2_000);
    let nb = copyMap(desired).copy;
    for (let i = 0; i < 40; i++) {
      const vip = `10.254.0.${i}:80`;
      const { copy, size } = copyMap(desired);
      copy[vip] = 'b';
      recordDerived(copy, desired, size, [vip]);
      desired = copy;
      const diff = differingKeys(desired, nb);
      expect(diff).toEqual([vip]);
      nb = applyColumnDiff(vipsColumn, nb, ['map', diff.map((k) => [k, desired[k]!])], 'test') as OvsMap;
      expect(sameMap(desired, nb)).toBe(true);
      versions.push(new WeakRef(desired), new WeakRef(nb));
    }
    // Finalization runs between turns: give it one before counting.
    collectGarbage();
    await new Promise((r) => setTimeout(r, 0));
    collectGarbage();
    expect(versions.filter((w) => w.deref() !== undefined).length).toBeLessThanOrEqual(6);
  });
});
