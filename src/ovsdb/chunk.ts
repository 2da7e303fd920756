/**
 * Splits a long operation list into transactions of at most `maxOps`
 * operations, keeping every operation that mentions a named-uuid in the
 * chunk of the insert that defines it (a named-uuid only means something
 * inside its own transaction).
 *
 * One pattern is split rather than kept whole: a `mutate` whose mutations
 * all `insert` elements into set columns (e.g. adding 200k new policies to
 * `Logical_Router.policies`). Set insertion is order-free and idempotent, so
 * it becomes one mutate per chunk carrying the names that chunk defines (and
 * one more for elements that are not named-uuids). Without this, one such
 * mutate would glue every insert into a single huge transaction.
 */
import type { Atom, Mutation, Operation } from './types.js';

/**
 * Default chunk size, from `ovnscale bench ovsdb --sweep` (docs/BENCHMARKS.md):
 * throughput is flat from a few hundred to a few thousand operations per
 * transaction, and a smaller transaction keeps each commit (and the server's
 * stall) short.
 */
export const DEFAULT_MAX_OPS = 1000;

/** Calls `fn` with every string in `v`, map keys included; allocates nothing (it runs over every row of a bulk write). */
function visitStrings(v: unknown, fn: (s: string) => void): void {
  if (typeof v === 'string') fn(v);
  else if (Array.isArray(v)) for (const x of v) visitStrings(x, fn);
  else if (typeof v === 'object' && v !== null) {
    for (const k in v) {
      fn(k);
      visitStrings((v as Record<string, unknown>)[k], fn);
    }
  }
}

/** Calls `fn` with every string the operation mentions (where a named-uuid could be). */
function visitMentions(op: Operation, fn: (s: string) => void): void {
  if ('row' in op) visitStrings(op.row, fn);
  if ('where' in op) for (const c of op.where) visitStrings(c[2], fn);
  if (op.op === 'mutate') for (const m of op.mutations) visitStrings(m[2], fn);
  if (op.op === 'wait') for (const r of op.rows) visitStrings(r, fn);
}

type SetInsertMutate = Extract<Operation, { op: 'mutate' }>;

/** A mutate that only inserts set elements, some of them named-uuids, with a where clause free of named-uuids. */
function isSplittable(op: Operation, definedAt: ReadonlyMap<string, number>): op is SetInsertMutate {
  if (op.op !== 'mutate' || op.mutations.length === 0) return false;
  if (!op.mutations.every(([, m, v]) => m === 'insert' && Array.isArray(v))) return false;
  if (!op.mutations.some(([, , v]) => (v as Atom[]).some((a) => typeof a === 'string' && definedAt.has(a)))) return false;
  let named = false;
  for (const c of op.where)
    visitStrings(c[2], (s) => {
      named ||= definedAt.has(s);
    });
  return !named;
}

/** `op` restricted to the elements `keep` accepts; undefined when nothing is left. */
function restrict(op: SetInsertMutate, keep: (a: Atom) => boolean): SetInsertMutate | undefined {
  const mutations: Mutation[] = [];
  for (const [column, mutator, value] of op.mutations) {
    const elems = (value as Atom[]).filter(keep);
    if (elems.length) mutations.push([column, mutator, elems]);
  }
  return mutations.length ? { ...op, mutations } : undefined;
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
  const definedAt = new Map<string, number>();
  // Longer strings (matches, addresses, names) cannot be a uuid-name: skipped without hashing them.
  let longest = 0;
  ops.forEach((op, i) => {
    if (op.op === 'insert' && op.uuidName !== undefined) {
      definedAt.set(op.uuidName, i);
      longest = Math.max(longest, op.uuidName.length);
    }
  });

  // Split set-insert mutates: their named elements follow their inserts, the rest stay as one op.
  const splits: Array<{ index: number; op: SetInsertMutate; sets: Array<Set<Atom>> }> = [];
  const nameToSplits = new Map<string, number[]>();
  const items: Array<{ index: number; op: Operation }> = [];
  ops.forEach((op, index) => {
    if (definedAt.size > 0 && isSplittable(op, definedAt)) {
      const id = splits.length;
      splits.push({ index, op, sets: op.mutations.map((m) => new Set(m[2] as Atom[])) });
      for (const m of op.mutations) {
        for (const a of m[2] as Atom[]) {
          if (typeof a !== 'string' || !definedAt.has(a)) continue;
          const l = nameToSplits.get(a);
          if (!l) nameToSplits.set(a, [id]);
          else if (l[l.length - 1] !== id) l.push(id);
        }
      }
      const rest = restrict(op, (a) => typeof a !== 'string' || !definedAt.has(a));
      if (rest) items.push({ index, op: rest });
    } else items.push({ index, op });
  });

  const parent = items.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const itemOf = new Map<number, number>();
  items.forEach((it, k) => itemOf.set(it.index, k));
  if (definedAt.size > 0) {
    items.forEach((it, k) => {
      visitMentions(it.op, (s) => {
        const d = s.length <= longest ? definedAt.get(s) : undefined;
        if (d !== undefined) union(k, itemOf.get(d)!);
      });
    });
  }
  const groups = new Map<number, number[]>();
  items.forEach((_, k) => {
    const r = find(k);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(k);
  });
  /** The split mutates that need a piece wherever group `g` goes. */
  const splitsOf = (g: number[]): number[] => {
    const out = new Set<number>();
    for (const k of g) {
      const op = items[k]!.op;
      if (op.op === 'insert' && op.uuidName !== undefined) for (const id of nameToSplits.get(op.uuidName) ?? []) out.add(id);
    }
    return [...out];
  };

  const chunks: Operation[][] = [];
  let current: number[] = [];
  let currentSplits = new Set<number>();
  const flush = () => {
    if (!current.length) return;
    const members = current.map((k) => items[k]!);
    const defined: string[] = [];
    for (const m of members) if (m.op.op === 'insert' && m.op.uuidName !== undefined) defined.push(m.op.uuidName);
    for (const id of currentSplits) {
      const sp = splits[id]!;
      const mutations: Mutation[] = [];
      sp.op.mutations.forEach(([column, mutator], j) => {
        const elems = defined.filter((n) => sp.sets[j]!.has(n));
        if (elems.length) mutations.push([column, mutator, elems]);
      });
      if (mutations.length) members.push({ index: sp.index, op: { ...sp.op, mutations } });
    }
    members.sort((a, b) => a.index - b.index);
    chunks.push(members.map((m) => m.op));
    current = [];
    currentSplits = new Set();
  };
  for (const g of groups.values()) {
    const needed = splitsOf(g);
    const extra = () => needed.filter((id) => !currentSplits.has(id)).length;
    if (current.length > 0 && current.length + currentSplits.size + g.length + extra() > maxOps) flush();
    for (const k of g) current.push(k);
    for (const id of needed) currentSplits.add(id);
  }
  flush();
  return chunks;
}

/**
 * Packs consecutive groups of operations (`sizes`, summing to ops.length)
 * into transactions of at most `maxOps`, never splitting a group: for
 * operations that name rows by client-chosen uuids, where the caller knows
 * which must commit together. A group larger than `maxOps` is a chunk of its own.
 */
export function chunkGroups(ops: readonly Operation[], sizes: readonly number[], maxOps = DEFAULT_MAX_OPS): Operation[][] {
  if (!Number.isInteger(maxOps) || maxOps < 1) throw new RangeError(`chunkGroups: maxOps must be a positive integer, got ${maxOps}`);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== ops.length) throw new RangeError(`chunkGroups: group sizes sum to ${total}, not ${ops.length} operations`);
  const chunks: Operation[][] = [];
  let current: Operation[] = [];
  let i = 0;
  for (const n of sizes) {
    if (current.length > 0 && current.length + n > maxOps) {
      chunks.push(current);
      current = [];
    }
    for (const end = i + n; i < end; i++) current.push(ops[i]!);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
