import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkGroups, chunkOperations, type Atom, type Operation } from '../../src/ovsdb/index.js';
import { useClients, useOvsdbServer } from '../support/servers.js';

const insert = (name: string, uuidName?: string): Operation => ({ op: 'insert', table: 'Logical_Router_Policy', row: { priority: 1, action: 'allow', match: name }, ...(uuidName ? { uuidName } : {}) });
const attach = (names: string[], router = 'r'): Operation => ({ op: 'mutate', table: 'Logical_Router', where: [['name', '==', router]], mutations: [['policies', 'insert', names]] });
const definedIn = (chunk: Operation[]) => new Set(chunk.flatMap((o) => (o.op === 'insert' && o.uuidName ? [o.uuidName] : [])));
const mutateElements = (ops: Operation[]) => ops.flatMap((o) => (o.op === 'mutate' ? o.mutations.flatMap((m) => m[2] as Atom[]) : [])).sort();

describe('chunkOperations', () => {
  it('keeps every named-uuid reference in the chunk of its insert, chunks at most maxOps', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (groupSizes, max) => {
        // Each group: k named inserts and one mutate adding them all to a router's set.
        const ops: Operation[] = [];
        groupSizes.forEach((k, g) => {
          const names = Array.from({ length: k }, (_, i) => `g${g}_${i}`);
          names.forEach((n) => ops.push(insert(n, n)));
          ops.push(attach(names, `r${g % 3}`));
        });
        const chunks = chunkOperations(ops, max);
        const inserts = ops.filter((o) => o.op === 'insert');
        expect(chunks.flat().filter((o) => o.op === 'insert')).toHaveLength(inserts.length);
        expect(new Set(chunks.flat().filter((o) => o.op === 'insert'))).toEqual(new Set(inserts));
        expect(mutateElements(chunks.flat())).toEqual(mutateElements(ops));
        for (const chunk of chunks) {
          const defined = definedIn(chunk);
          for (const o of chunk) if (o.op === 'mutate') for (const n of o.mutations[0]![2] as string[]) expect(defined.has(n)).toBe(true);
          // An insert and the piece of the mutate naming it need two operations at least.
          expect(chunk.length).toBeLessThanOrEqual(Math.max(max, 2));
          const idx = chunk.filter((o) => o.op === 'insert').map((o) => inserts.indexOf(o));
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

  it('splits one set-insert mutate naming 200k inserts into one piece per chunk', () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `n${i}`);
    const existing = '7c5e1b6a-1111-4222-8333-944455556666';
    const ops = [...names.map((n) => insert(n, n)), attach([...names, existing])];
    const chunks = chunkOperations(ops, 1000);
    expect(chunks.every((c) => c.length <= 1000)).toBe(true);
    expect(chunks.length).toBe(Math.ceil(200_000 / 999)); // 999 inserts + their piece of the mutate per chunk
    expect(mutateElements(chunks.flat())).toEqual(mutateElements(ops));
    // The element that is not a named-uuid travels in a mutate of its own.
    expect(chunks.flat().filter((o) => o.op === 'mutate' && mutateElements([o]).includes(existing))).toHaveLength(1);
  });

  it('keeps other groups whole, even far larger than the call-stack limit', () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `n${i}`);
    const ops: Operation[] = [...names.map((n) => insert(n, n)), { op: 'update', table: 'Logical_Router', where: [['name', '==', 'r']], row: { policies: names } }];
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

const server = useOvsdbServer();
const open = useClients();

describe('chunked transactions against the real server', () => {
  it('5000 policies attached to a router by one mutate: applied chunk by chunk, the router ends with all of them', async () => {
    const c = await open({ remotes: server().remote, database: 'OVN_Northbound', monitor: { Logical_Router: { columns: ['name', 'policies'] } } });
    await c.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'r' } }]);
    const names = Array.from({ length: 5000 }, (_, i) => `p${i}`);
    const chunks = chunkOperations([...names.map((n) => insert(n, n)), attach(names)], 1000);
    expect(chunks).toHaveLength(6);
    for (const chunk of chunks) await c.transact(chunk);
    const [sel] = await c.transact([{ op: 'select', table: 'Logical_Router', where: [['name', '==', 'r']], columns: ['policies'] }]);
    expect((sel!.rows![0]!.policies as string[]).length).toBe(5000);
  });
});

describe('chunkGroups', () => {
  it('packs whole groups in order into chunks of at most maxOps; a larger group is a chunk of its own', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (sizes, maxOps) => {
        const ops = sizes.flatMap((n, g) => Array.from({ length: n }, (_, i) => insert(`g${g}.${i}`)));
        const chunks = chunkGroups(ops, sizes, maxOps);
        expect(chunks.flat()).toEqual(ops);
        // Chunks start and end at group boundaries; one over maxOps is a single group; a chunk is cut only when the next group would not fit.
        const starts = sizes.map((_, g) => sizes.slice(0, g).reduce((a, b) => a + b, 0));
        let at = 0;
        chunks.forEach((c, i) => {
          const g = starts.indexOf(at);
          expect(g).toBeGreaterThanOrEqual(0);
          if (c.length > maxOps) expect(c.length).toBe(sizes[g]);
          at += c.length;
          if (i < chunks.length - 1) expect(c.length + sizes[starts.indexOf(at)]!).toBeGreaterThan(maxOps);
        });
      }),
    );
    expect(() => chunkGroups([insert('a')], [2])).toThrow(RangeError);
  });
});
