/**
 * A bitset in the shared wasm memory: `bits` logical bits padded to whole
 * 128-bit blocks (the SIMD width), 16-byte aligned, padding bits always zero.
 * Operations run in the wasm kernels; views come from the engine, so they stay
 * valid across memory growth.
 */
import type { WasmEngine } from './engine.js';

export const BLOCK_BITS = 128;
export const BLOCK_BYTES = 16;
export const blocksFor = (bits: number): number => Math.max(1, Math.ceil(bits / BLOCK_BITS));

export class Bitset {
  private constructor(
    private readonly engine: WasmEngine,
    readonly ptr: number,
    readonly bits: number,
    readonly blocks: number,
  ) {}

  static alloc(engine: WasmEngine, bits: number): Bitset {
    if (!Number.isInteger(bits) || bits < 0) throw new RangeError(`bitset length must be a non-negative integer, got ${bits}`);
    const blocks = blocksFor(bits);
    return new Bitset(engine, engine.arena.alloc(blocks * BLOCK_BYTES), bits, blocks);
  }

  static fromIndices(engine: WasmEngine, bits: number, indices: Iterable<number>): Bitset {
    const b = Bitset.alloc(engine, bits);
    for (const i of indices) b.set(i);
    return b;
  }

  private check(i: number): void {
    if (!(i >= 0 && i < this.bits && Number.isInteger(i))) throw new RangeError(`bit ${i} outside bitset of ${this.bits} bits`);
  }

  set(i: number): void {
    this.check(i);
    this.engine.u32[(this.ptr >>> 2) + (i >>> 5)]! |= 1 << (i & 31);
  }

  clear(i: number): void {
    this.check(i);
    this.engine.u32[(this.ptr >>> 2) + (i >>> 5)]! &= ~(1 << (i & 31));
  }

  has(i: number): boolean {
    this.check(i);
    return (this.engine.u32[(this.ptr >>> 2) + (i >>> 5)]! & (1 << (i & 31))) !== 0;
  }

  private same(...others: Bitset[]): void {
    for (const o of others) {
      if (o.bits !== this.bits) throw new RangeError(`bitset lengths differ: ${this.bits} and ${o.bits}`);
    }
  }

  /** this = a AND b. */
  and(a: Bitset, b: Bitset): this {
    this.same(a, b);
    this.engine.k.bsAnd(this.ptr, a.ptr, b.ptr, this.blocks);
    return this;
  }

  or(a: Bitset, b: Bitset): this {
    this.same(a, b);
    this.engine.k.bsOr(this.ptr, a.ptr, b.ptr, this.blocks);
    return this;
  }

  /** this = a AND NOT b. */
  andNot(a: Bitset, b: Bitset): this {
    this.same(a, b);
    this.engine.k.bsAndNot(this.ptr, a.ptr, b.ptr, this.blocks);
    return this;
  }

  /** this = NOT a, within the logical length (padding stays zero). */
  not(a: Bitset): this {
    this.same(a);
    this.engine.k.bsNot(this.ptr, a.ptr, this.blocks);
    const words = this.blocks * 4;
    const base = this.ptr >>> 2;
    const full = this.bits >>> 5;
    if (full < words) {
      const rem = this.bits & 31;
      if (rem === 0) this.engine.u32[base + full] = 0;
      else this.engine.u32[base + full]! &= (1 << rem) - 1;
      this.engine.u32.fill(0, base + full + 1, base + words);
    }
    return this;
  }

  count(): number {
    return this.engine.k.bsPopcount(this.ptr, 0, this.blocks);
  }

  /** Set bits shared with `other`. */
  andCount(other: Bitset): number {
    this.same(other);
    return this.engine.k.bsAndPopcount(this.ptr, other.ptr, 0, this.blocks);
  }

  intersects(other: Bitset): boolean {
    this.same(other);
    return this.engine.k.bsAny(this.ptr, other.ptr, 0, this.blocks) !== 0;
  }

  /** Indices of the set bits, ascending. */
  members(): Uint32Array {
    const e = this.engine;
    const n = this.count();
    if (n === 0) return new Uint32Array(0);
    const out = e.arena.alloc(n * 4, false);
    try {
      e.k.bsCollect(this.ptr, 0, this.blocks, out);
      return e.u32.slice(out >>> 2, (out >>> 2) + n);
    } finally {
      e.arena.release(out);
    }
  }

  /** First clear bit at or after `start`, or -1 when all of [start, bits) are set. */
  findZero(start = 0): number {
    return this.engine.k.bsFindZero(this.ptr, start, this.bits);
  }

  free(): void {
    this.engine.arena.release(this.ptr);
  }
}
