import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitset } from '../../src/index/bitset.js';
import { WasmEngine } from '../../src/index/engine.js';
import { KeysetDiff, packKeys, TokenTable } from '../../src/index/keyset-diff.js';
import { xxh64Reference } from './xxh64-reference.js';

const engine = WasmEngine.create();

/** A random bitset length (often not a multiple of 128) and bit lists. */
const bitsAndSets = fc
  .integer({ min: 1, max: 700 })
  .chain((bits) =>
    fc.tuple(
      fc.constant(bits),
      fc.uniqueArray(fc.nat(bits - 1), { maxLength: bits }),
      fc.uniqueArray(fc.nat(bits - 1), { maxLength: bits }),
    ),
  );

const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

describe('bitset kernels', () => {
  it('and, or, andNot, not, count, andCount, intersects and members agree with Set arithmetic', () => {
    fc.assert(
      fc.property(bitsAndSets, ([bits, xs, ys]) => {
        const a = Bitset.fromIndices(engine, bits, xs);
        const b = Bitset.fromIndices(engine, bits, ys);
        const d = Bitset.alloc(engine, bits);
        try {
          const X = new Set(xs);
          const Y = new Set(ys);
          const all = Array.from({ length: bits }, (_, i) => i);
          expect(a.count()).toBe(X.size);
          expect([...a.members()]).toEqual(sorted(X));
          expect([...d.and(a, b).members()]).toEqual(sorted(xs.filter((x) => Y.has(x))));
          expect([...d.or(a, b).members()]).toEqual(sorted(new Set([...xs, ...ys])));
          expect([...d.andNot(a, b).members()]).toEqual(sorted(xs.filter((x) => !Y.has(x))));
          expect(a.andCount(b)).toBe(xs.filter((x) => Y.has(x)).length);
          expect(a.intersects(b)).toBe(xs.some((x) => Y.has(x)));
          // NOT keeps the padding past `bits` zero, so counts stay exact.
          d.not(a);
          expect(d.count()).toBe(bits - X.size);
          expect([...d.members()]).toEqual(all.filter((i) => !X.has(i)));
        } finally {
          a.free();
          b.free();
          d.free();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('findZero returns the first clear bit at or after start, or -1', () => {
    fc.assert(
      fc.property(bitsAndSets, fc.nat(800), ([bits, xs], start) => {
        const a = Bitset.fromIndices(engine, bits, xs);
        try {
          const X = new Set(xs);
          let want = -1;
          for (let i = start; i < bits; i++) {
            if (!X.has(i)) {
              want = i;
              break;
            }
          }
          expect(a.findZero(start)).toBe(want);
        } finally {
          a.free();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('findZero on a full bitset whose length is a multiple of 64 and of 128', () => {
    for (const bits of [64, 128, 256, 130]) {
      const a = Bitset.fromIndices(engine, bits, Array.from({ length: bits }, (_, i) => i));
      expect(a.findZero(0)).toBe(-1);
      a.clear(bits - 1);
      expect(a.findZero(0)).toBe(bits - 1);
      a.free();
    }
  });

  it('rejects bits outside the logical length', () => {
    const a = Bitset.alloc(engine, 100);
    expect(() => a.set(100)).toThrow(/bit 100 outside bitset of 100 bits/);
    a.free();
  });
});

describe('xxh64', () => {
  const hashBytes = (bytes: Uint8Array, seed = 0n): bigint => {
    const p = engine.arena.alloc(Math.max(bytes.length, 1), false);
    engine.u8.set(bytes, p);
    const h = BigInt.asUintN(64, engine.k.xxh64(p, bytes.length, seed));
    engine.arena.release(p);
    return h;
  };

  it('matches the published test vectors', () => {
    const enc = new TextEncoder();
    expect(hashBytes(enc.encode(''))).toBe(0xef46db3751d8e999n);
    expect(hashBytes(enc.encode('a'))).toBe(0xd24ec4f1a98c6e5bn);
    expect(hashBytes(enc.encode('abc'))).toBe(0x44bc2cf5ad770999n);
  });

  it('matches a BigInt reference on random bytes and seeds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (bytes, seed) => {
        expect(hashBytes(bytes, seed)).toBe(xxh64Reference(bytes, seed));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes token arrays as their little-endian bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(), { maxLength: 12 }), { maxLength: 20 }), (keys) => {
        const hashes = new KeysetDiff(engine, 7n).hash(packKeys(keys));
        keys.forEach((k, i) => {
          const bytes = new Uint8Array(Uint32Array.from(k).buffer);
          expect(hashes[i]).toBe(xxh64Reference(bytes, 7n));
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('keyset diff (radix sort + sorted merge)', () => {
  it('returns exactly the keys only on each side, each distinct key once', () => {
    const key = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(key, { maxLength: 60 }), fc.array(key, { maxLength: 60 }), (desired, existing) => {
        const r = new KeysetDiff(engine).diff(packKeys(desired), packKeys(existing));
        const s = (k: number[]): string => k.join(',');
        const have = new Set(existing.map(s));
        const want = new Set(desired.map(s));
        const firstOf = (keys: number[][], skip: Set<string>): number[] => {
          const seen = new Set<string>();
          const out: number[] = [];
          keys.forEach((k, i) => {
            if (skip.has(s(k)) || seen.has(s(k))) return;
            seen.add(s(k));
            out.push(i);
          });
          return out;
        };
        // One index per distinct key; which duplicate is reported is unspecified, so compare keys.
        const keysOf = (keys: number[][], idx: Iterable<number>): string[] => [...idx].map((i) => s(keys[i]!)).sort();
        expect(keysOf(desired, r.onlyDesired)).toEqual(keysOf(desired, firstOf(desired, have)));
        expect(keysOf(existing, r.onlyExisting)).toEqual(keysOf(existing, firstOf(existing, want)));
      }),
      { numRuns: 200 },
    );
  });

  it('interns strings as tokens, the same string always the same token', () => {
    const t = new TokenTable();
    const a = t.id('ip4.src == $subnet1.node1_ip4');
    const b = t.id('reroute');
    expect(t.id('ip4.src == $subnet1.node1_ip4')).toBe(a);
    expect(b).not.toBe(a);
    expect(t.name(b)).toBe('reroute');
  });

  it('sorts 200k random keys (radix over all 64 bits)', () => {
    const n = 200_000;
    const keys = Array.from({ length: n }, (_, i) => [i, i * 7 + 1]);
    const r = new KeysetDiff(engine).diff(packKeys(keys), packKeys(keys.slice(1000)));
    expect([...r.onlyDesired]).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(r.onlyExisting.length).toBe(0);
  });
});
