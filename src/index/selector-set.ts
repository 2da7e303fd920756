/**
 * A set of compiled selectors with their results kept in the shared memory:
 * one result bitset per selector (row i of a `size x stride` matrix, with its
 * block summary and its count). Built in bulk (one thread or the pool), then kept
 * right incrementally per changed pod (updateSlot), which also answers
 * fan-out: exactly the selectors whose result changed, each once.
 */
import { BLOCK_BYTES, type Bitset } from './bitset.js';
import type { Program } from './compile.js';
import { scratchBytes, summaryWords } from './kernels.js';
import type { LabelIndex } from './label-index.js';
import type { KernelPool } from './pool.js';

export class SelectorSet {
  readonly size: number;
  private readonly dir: number;
  private readonly code: number;
  private res = 0;
  /** Result summaries: `sw` u64 per selector. */
  private rsum = 0;
  /** Result counts: i32 per selector. */
  private readonly cnt: number;
  private stride = 0;
  private epoch = -1;
  /** Scratch for one-thread evaluation; u32 output buffer of `size` entries. */
  private scratch = 0;
  private readonly out: number;
  /** u32 list of selector ids for evalSlot. */
  private readonly ids: number;
  /** Posting row -> the selectors whose programs read it, ascending. */
  private readonly readers = new Map<number, number[]>();
  private readonly mark: Uint8Array;
  private disposed = false;

  constructor(
    readonly index: LabelIndex,
    programs: readonly Program[],
  ) {
    const e = index.engine;
    e.assertIdle('selector set: create');
    this.size = programs.length;
    const codeWords = programs.reduce((n, p) => n + p.steps.length, 0);
    this.dir = e.arena.alloc((this.size + 1) * 4);
    this.code = e.arena.alloc(Math.max(codeWords, 1) * 4);
    this.cnt = e.arena.alloc(Math.max(this.size, 1) * 4);
    this.out = e.arena.alloc(Math.max(this.size, 1) * 4);
    this.ids = e.arena.alloc(Math.max(this.size, 1) * 4);
    this.mark = new Uint8Array(this.size);
    let at = 0;
    programs.forEach((p, i) => {
      for (let s = 0; s < p.steps.length; s += 2) {
        if ((p.steps[s]! >>> 16) & 1) continue; // a register, not a row
        const row = p.steps[s + 1]!;
        const list = this.readers.get(row);
        if (!list) this.readers.set(row, [i]);
        else if (list[list.length - 1] !== i) list.push(i);
      }
      e.u32[(this.dir >>> 2) + i] = at;
      e.u32.set(p.steps, (this.code >>> 2) + at);
      at += p.steps.length;
    });
    e.u32[(this.dir >>> 2) + this.size] = at;
    this.follow();
  }

  private get sw(): number {
    return summaryWords(this.stride);
  }

  /** Re-lays the result rows out after the index widened its pod bitsets. */
  private follow(): void {
    if (this.disposed) throw new Error('selector set: used after dispose()');
    if (this.epoch === this.index.epoch) return;
    const e = this.index.engine;
    const stride = this.index.stride;
    const rowBytes = stride * BLOCK_BYTES;
    const sumBytes = summaryWords(stride) * 8;
    const n = Math.max(this.size, 1);
    const res = e.arena.alloc(n * rowBytes);
    const rsum = e.arena.alloc(n * sumBytes);
    if (this.res !== 0) {
      const oldRow = this.stride * BLOCK_BYTES;
      const oldSum = this.sw * 8;
      for (let i = 0; i < this.size; i++) {
        e.u8.copyWithin(res + i * rowBytes, this.res + i * oldRow, this.res + (i + 1) * oldRow);
        e.u8.copyWithin(rsum + i * sumBytes, this.rsum + i * oldSum, this.rsum + (i + 1) * oldSum);
      }
      e.arena.release(this.res);
      e.arena.release(this.rsum);
      e.arena.release(this.scratch);
    }
    this.res = res;
    this.rsum = rsum;
    this.stride = stride;
    this.scratch = e.arena.alloc(scratchBytes(stride));
    this.epoch = this.index.epoch;
  }

  /** Evaluates every selector on this thread. */
  evaluate(): void {
    this.follow();
    const p = this.index.postings;
    this.index.engine.k.evalRange(this.dir, this.code, 0, this.size, p.base, p.sum, this.stride, this.sw, this.scratch, this.res, this.rsum, this.cnt);
  }

  /**
   * Evaluates every selector in the pool: `chunks` contiguous ranges (default
   * 2 per thread, so a slower range does not leave a thread idle), each with
   * its own scratch region. The index must not change until it resolves.
   */
  async evaluateOn(pool: KernelPool, chunks = pool.threads * 2): Promise<void> {
    this.follow();
    const e = this.index.engine;
    const n = Math.max(1, Math.min(chunks, this.size));
    const bytes = scratchBytes(this.stride);
    const scratch = e.arena.alloc(n * bytes, false);
    const p = this.index.postings;
    try {
      await e.track(() =>
        Promise.all(
          Array.from({ length: n }, (_, c) =>
            pool.run({
              kind: 'eval',
              args: [
                this.dir, this.code,
                Math.floor((c * this.size) / n), Math.floor(((c + 1) * this.size) / n),
                p.base, p.sum, this.stride, this.sw, scratch + c * bytes, this.res, this.rsum, this.cnt,
              ],
            }),
          ),
        ),
      );
    } finally {
      e.arena.release(scratch);
    }
  }

  count(i: number): number {
    this.check(i);
    return this.index.engine.i32[(this.cnt >>> 2) + i]!;
  }

  /** All counts, in selector order. */
  counts(): Int32Array {
    return this.index.engine.i32.slice(this.cnt >>> 2, (this.cnt >>> 2) + this.size);
  }

  has(i: number, slot: number): boolean {
    this.check(i);
    this.follow();
    const u32 = this.index.engine.u32;
    return (u32[((this.res + i * this.stride * BLOCK_BYTES) >>> 2) + (slot >>> 5)]! & (1 << (slot & 31))) !== 0;
  }

  /** Pod slots in selector i's result, ascending. */
  members(i: number): Uint32Array {
    this.check(i);
    this.follow();
    const e = this.index.engine;
    const n = this.count(i);
    if (n === 0) return new Uint32Array(0);
    const buf = e.arena.alloc(n * 4, false);
    try {
      e.k.sumCollect(this.res + i * this.stride * BLOCK_BYTES, this.rsum + i * this.sw * 8, this.sw, buf);
      return e.u32.slice(buf >>> 2, (buf >>> 2) + n);
    } finally {
      e.arena.release(buf);
    }
  }

  /** A copy of selector i's result as a standalone pod-space bitset (e.g. a Service's pods, to probe other sets); free() it. */
  resultBitset(i: number): Bitset {
    this.check(i);
    this.follow();
    const b = this.index.bitsetOf([]);
    const row = this.res + i * this.stride * BLOCK_BYTES;
    this.index.engine.u8.copyWithin(b.ptr, row, row + this.stride * BLOCK_BYTES);
    return b;
  }

  /** Selectors whose stored result holds this pod slot. */
  selectorsWithSlot(slot: number): Uint32Array {
    this.follow();
    const e = this.index.engine;
    const n = e.k.rowsWithBit(this.res, this.stride, 0, this.size, slot, this.out);
    return e.u32.slice(this.out >>> 2, (this.out >>> 2) + n);
  }

  /**
   * Brings every result up to date for one pod slot after the index changed it
   * (added, relabelled, deleted): returns the selectors whose result gained or
   * lost the slot, each once, ascending. With `changedRows`
   * (index.lastChangedRows) only the selectors reading those rows run.
   */
  updateSlot(slot: number, changedRows?: readonly number[]): Uint32Array {
    const which = this.selectorsToRun('selector set: updateSlot', changedRows);
    return this.evalSlot(slot, which);
  }

  /** updateSlot for many slots (e.g. a relabelled namespace's pods): the union of changed selectors, ascending. */
  updateSlots(slots: Iterable<number>, changedRows?: readonly number[]): Uint32Array {
    // The selectors to re-run are the same for every slot: found once.
    const which = this.selectorsToRun('selector set: updateSlots', changedRows);
    const changed = new Set<number>();
    for (const s of slots) for (const i of this.evalSlot(s, which)) changed.add(i);
    return Uint32Array.from([...changed].sort((a, b) => a - b));
  }

  /** Every selector (ids 0), or those reading `changedRows`, written to the ids buffer. */
  private selectorsToRun(what: string, changedRows?: readonly number[]): { ids: number; n: number } {
    this.index.engine.assertIdle(what);
    this.follow();
    return changedRows ? { ids: this.ids, n: this.readersOf(changedRows) } : { ids: 0, n: this.size };
  }

  private evalSlot(slot: number, which: { ids: number; n: number }): Uint32Array {
    const e = this.index.engine;
    const changed = e.k.evalSlot(this.dir, this.code, which.ids, which.n, this.index.postings.base, this.stride, this.sw, slot, this.res, this.rsum, this.cnt, this.out);
    return e.u32.slice(this.out >>> 2, (this.out >>> 2) + changed);
  }

  /** Writes the ascending ids of the selectors reading any of `rows` to the ids buffer; returns how many. */
  private readersOf(rows: readonly number[]): number {
    const found: number[] = [];
    for (const r of rows) {
      for (const i of this.readers.get(r) ?? []) {
        if (this.mark[i]) continue;
        this.mark[i] = 1;
        found.push(i);
      }
    }
    found.sort((a, b) => a - b);
    const u32 = this.index.engine.u32;
    const at = this.ids >>> 2;
    for (let k = 0; k < found.length; k++) {
      u32[at + k] = found[k]!;
      this.mark[found[k]!] = 0;
    }
    return found.length;
  }

  /** Selectors whose result shares a pod with `probe` (a pod-space bitset, e.g. a Service's pods). */
  selectorsIntersecting(probe: Bitset): Uint32Array {
    this.follow();
    const e = this.index.engine;
    const n = e.k.rowsIntersecting(this.res, this.rsum, this.stride, this.sw, 0, this.size, probe.ptr, this.probeBlocks(probe), this.out);
    return e.u32.slice(this.out >>> 2, (this.out >>> 2) + n);
  }

  /** selectorsIntersecting, split over the pool. */
  async selectorsIntersectingOn(pool: KernelPool, probe: Bitset, chunks = pool.threads * 2): Promise<Uint32Array> {
    this.follow();
    const e = this.index.engine;
    const n = Math.max(1, Math.min(chunks, this.size));
    const bounds = Array.from({ length: n + 1 }, (_, c) => Math.floor((c * this.size) / n));
    const found = await e.track(() =>
      Promise.all(
        bounds.slice(0, n).map((from, c) =>
          pool.run({
            kind: 'intersect',
            // Each chunk writes its hits at its own offset of the output buffer.
            args: [this.res, this.rsum, this.stride, this.sw, from, bounds[c + 1]!, probe.ptr, this.probeBlocks(probe), this.out + from * 4],
          }),
        ),
      ),
    );
    const total = found.reduce((a, b) => a + b, 0);
    const result = new Uint32Array(total);
    let at = 0;
    found.forEach((k, c) => {
      const from = (this.out >>> 2) + bounds[c]!;
      result.set(e.u32.subarray(from, from + k), at);
      at += k;
    });
    return result;
  }

  dispose(): void {
    if (this.disposed) return;
    const a = this.index.engine.arena;
    for (const p of [this.dir, this.code, this.cnt, this.out, this.ids, this.res, this.rsum, this.scratch]) a.release(p);
    this.disposed = true;
  }

  private probeBlocks(probe: Bitset): number {
    return Math.min(probe.blocks, this.stride);
  }

  private check(i: number): void {
    if (!(i >= 0 && i < this.size && Number.isInteger(i))) throw new RangeError(`selector ${i} outside set of ${this.size}`);
  }
}

/** The pod slots one selector selects now (one-off; for many selectors build a SelectorSet). */
export function resolveSelector(index: LabelIndex, program: Program): Uint32Array {
  const set = new SelectorSet(index, [program]);
  try {
    set.evaluate();
    return set.members(0);
  } finally {
    set.dispose();
  }
}
