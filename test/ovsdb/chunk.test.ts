import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkOperations, type Operation } from '../../src/ovsdb/index.js';

const insert = (name: string, uuidName?: string): Operation => ({ op: 'insert', table: 'Logical_Router_Policy', row: { match: name }, ...(uuidName ? { uuidName } : {}) });
const attach = (names: string[]): Operation => ({ op: 'mutate', table: 'Logical_Router', where: [['name', '==', 'r']], mutations: [['policies', 'insert', names]] });

describe('chunkOperations', () => {
  it('keeps every named-uuid reference in the chunk of its insert, at most maxOps per chunk otherwise', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (groupSizes, max) => {
        // Each group: k named inserts and one mutate referencing them all.
        const ops: Operation[] = [];
        groupSizes.forEach((k, g) => {
          const names = Array.from({ length: k }, (_, i) => `g${g}_${i}`);
          names.forEach((n) => ops.push(insert(n, n)));
          ops.push(attach(names));
        });
        const chunks = chunkOperations(ops, max);
        expect(chunks.flat()).toHaveLength(ops.length);
        expect(new Set(chunks.flat())).toEqual(new Set(ops));
        for (const chunk of chunks) {
          const defined = new Set(chunk.flatMap((o) => (o.op === 'insert' && o.uuidName ? [o.uuidName] : [])));
          for (const o of chunk) if (o.op === 'mutate') for (const n of o.mutations[0]![2] as string[]) expect(defined.has(n)).toBe(true);
          // Over the limit only when one group alone is larger.
          if (chunk.length > max) expect(chunk.filter((o) => o.op === 'mutate')).toHaveLength(1);
          // Original order within a chunk.
          const idx = chunk.map((o) => ops.indexOf(o));
          expect(idx).toEqual([...idx].sort((a, b) => a - b));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('splits independent operations into full chunks and returns nothing for nothing', () => {
    const ops = Array.from({ length: 2500 }, (_, i) => insert(`p${i}`));
    expect(chunkOperations(ops, 1000).map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(chunkOperations([], 10)).toEqual([]);
    expect(() => chunkOperations(ops, 0)).toThrow(RangeError);
  });

  it('keeps a group far larger than the call-stack limit whole', () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `n${i}`);
    const ops = [...names.map((n) => insert(n, n)), attach(names)];
    const chunks = chunkOperations(ops, 1000);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toHaveLength(200_001);
  });

  it('finds references in where clauses, rows and wait rows', () => {
    const ops: Operation[] = [
      insert('a', 'rowA'),
      { op: 'comment', comment: 'x' },
      { op: 'update', table: 'Logical_Router', where: [['name', '==', 'r']], row: { policies: ['rowA'] } },
    ];
    const chunks = chunkOperations(ops, 2);
    expect(chunks).toEqual([[ops[0], ops[2]], [ops[1]]]);
  });
});
