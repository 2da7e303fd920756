/**
 * Set difference of two key sets (e.g. desired vs existing router policies)
 * by 64-bit hashes in wasm: each key is an array of u32 tokens (interned
 * strings, numbers), hashed with xxh64, radix-sorted with its index, then
 * merged. Returns indices of keys only in one side, each distinct key once
 * (repeated desired keys collapse, as the NB holds a policy once).
 * Two different keys share a 64-bit hash with probability ~n^2 / 2^65
 * (~4e-9 for 400k keys); such a pair would be taken as equal.
 */
import type { WasmEngine } from './engine.js';

/** Keys packed flat: key i is tokens[offsets[i] .. offsets[i+1]). */
export interface KeyBatch {
  tokens: Uint32Array;
  offsets: Uint32Array;
}

export interface KeysetDiffResult {
  /** Indices into `desired` of keys missing from `existing`. */
  onlyDesired: Uint32Array;
  /** Indices into `existing` of keys not desired. */
  onlyExisting: Uint32Array;
}

export function packKeys(keys: readonly ArrayLike<number>[]): KeyBatch {
  const offsets = new Uint32Array(keys.length + 1);
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    offsets[i] = n;
    n += keys[i]!.length;
  }
  offsets[keys.length] = n;
  const tokens = new Uint32Array(n);
  // An element loop: TypedArray.set per short key costs more than the copy itself.
  let at = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    for (let j = 0; j < k.length; j++) tokens[at++] = k[j]!;
  }
  return { tokens, offsets };
}

/** Interns strings as u32 tokens for keys. */
export class TokenTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  name(id: number): string | undefined {
    return this.names[id];
  }
}

const RADIX_HIST_BYTES = 6 * 2048 * 4;

export class KeysetDiff {
  constructor(
    private readonly engine: WasmEngine,
    readonly seed = 0n,
  ) {}

  /** xxh64 of each key's tokens (little-endian bytes). */
  hash(batch: KeyBatch): BigUint64Array {
    const e = this.engine;
    const n = batch.offsets.length - 1;
    const { tokens, offsets, out } = this.load(batch);
    try {
      return e.u64.slice(out >>> 3, (out >>> 3) + n);
    } finally {
      for (const p of [tokens, offsets, out]) e.arena.release(p);
    }
  }

  diff(desired: KeyBatch, existing: KeyBatch): KeysetDiffResult {
    const e = this.engine;
    const a = this.sorted(desired);
    const b = this.sorted(existing);
    const outA = e.arena.alloc(Math.max(a.n, 1) * 4, false);
    const outB = e.arena.alloc(Math.max(b.n, 1) * 4, false);
    const counts = e.arena.alloc(8);
    try {
      e.k.diffSorted(a.keys, a.idx, a.n, b.keys, b.idx, b.n, outA, outB, counts);
      const ca = e.i32[counts >>> 2]!;
      const cb = e.i32[(counts >>> 2) + 1]!;
      return {
        onlyDesired: e.u32.slice(outA >>> 2, (outA >>> 2) + ca).sort(),
        onlyExisting: e.u32.slice(outB >>> 2, (outB >>> 2) + cb).sort(),
      };
    } finally {
      for (const p of [outA, outB, counts, a.keys, a.idx, b.keys, b.idx]) e.arena.release(p);
    }
  }

  /** Copies a batch in and hashes it: pointers to tokens, offsets and the u64 hashes. */
  private load(batch: KeyBatch): { tokens: number; offsets: number; out: number } {
    const e = this.engine;
    const n = batch.offsets.length - 1;
    if (n < 0 || batch.offsets[n] !== batch.tokens.length) {
      throw new RangeError(`key batch: offsets must end at tokens.length (${batch.tokens.length}), got ${batch.offsets[n]}`);
    }
    const tokens = e.arena.alloc(Math.max(batch.tokens.length, 1) * 4, false);
    const offsets = e.arena.alloc(batch.offsets.length * 4, false);
    const out = e.arena.alloc(Math.max(n, 1) * 8, false);
    e.u32.set(batch.tokens, tokens >>> 2);
    e.u32.set(batch.offsets, offsets >>> 2);
    e.k.hashKeys(tokens, offsets, n, this.seed, out);
    return { tokens, offsets, out };
  }

  /** Hashes and sorts a batch: (hash, index) pairs ascending by hash. The caller releases keys and idx. */
  private sorted(batch: KeyBatch): { keys: number; idx: number; n: number } {
    const e = this.engine;
    const n = batch.offsets.length - 1;
    const { tokens, offsets, out } = this.load(batch);
    e.arena.release(tokens);
    e.arena.release(offsets);
    const idx = e.arena.alloc(Math.max(n, 1) * 4, false);
    const base = idx >>> 2;
    for (let i = 0; i < n; i++) e.u32[base + i] = i;
    const tmpK = e.arena.alloc(Math.max(n, 1) * 8, false);
    const tmpI = e.arena.alloc(Math.max(n, 1) * 4, false);
    const hist = e.arena.alloc(RADIX_HIST_BYTES, false);
    e.k.radixSortPairs(out, idx, n, tmpK, tmpI, hist);
    for (const p of [tmpK, tmpI, hist]) e.arena.release(p);
    return { keys: out, idx, n };
  }
}
