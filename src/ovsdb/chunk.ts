/**
 * Splits a long operation list into transactions of at most `maxOps`
 * operations, keeping every operation that mentions a named-uuid in the
 * chunk of the insert that defines it (a named-uuid only means something
 * inside its own transaction).
 */
import type { Operation, Value } from './types.js';

/**
 * Default chunk size, from `ovnscale bench ovsdb --sweep` (docs/BENCHMARKS.md):
 * throughput is flat from ~500 to ~4000 operations per transaction, and a
 * smaller transaction keeps each commit (and the server's stall) short.
 */
export const DEFAULT_MAX_OPS = 1000;

function collectStrings(v: unknown, out: Set<string>): void {
  if (typeof v === 'string') out.add(v);
  else if (Array.isArray(v)) for (const x of v) collectStrings(x, out);
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) (out.add(k), collectStrings(x, out));
}

function mentioned(op: Operation): Set<string> {
  const out = new Set<string>();
  if ('row' in op) collectStrings(op.row as Record<string, Value>, out);
  if ('where' in op) for (const c of op.where) collectStrings(c[2], out);
  if (op.op === 'mutate') for (const m of op.mutations) collectStrings(m[2], out);
  if (op.op === 'wait') for (const r of op.rows) collectStrings(r, out);
  return out;
}

/**
 * Groups are kept whole, so a group larger than `maxOps` becomes one chunk
 * of its own size. Within a chunk operations keep their original order;
 * groups are placed in the order of their first operation.
 * A string that merely equals a uuid-name (a `name` column, say) joins the
 * groups too: harmless, chunks only get larger.
 */
export function chunkOperations(ops: readonly Operation[], maxOps = DEFAULT_MAX_OPS): Operation[][] {
  if (!Number.isInteger(maxOps) || maxOps < 1) throw new RangeError(`chunkOperations: maxOps must be a positive integer, got ${maxOps}`);
  if (ops.length <= maxOps) return ops.length ? [ops.slice()] : [];
  const parent = ops.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const definedAt = new Map<string, number>();
  ops.forEach((op, i) => {
    if (op.op === 'insert' && op.uuidName !== undefined) definedAt.set(op.uuidName, i);
  });
  if (definedAt.size > 0) {
    ops.forEach((op, i) => {
      for (const s of mentioned(op)) {
        const d = definedAt.get(s);
        if (d !== undefined) union(i, d);
      }
    });
  }
  const groups = new Map<number, number[]>();
  ops.forEach((_, i) => {
    const r = find(i);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(i);
  });
  const chunks: Operation[][] = [];
  let current: number[] = [];
  const flush = () => {
    if (current.length) chunks.push(current.sort((a, b) => a - b).map((i) => ops[i]!));
    current = [];
  };
  for (const g of groups.values()) {
    if (current.length + g.length > maxOps) flush();
    for (const i of g) current.push(i);
  }
  flush();
  return chunks;
}
