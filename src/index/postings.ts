/**
 * Posting rows: one pod-space bitset per term (label key=value, key, namespace
 * membership, namespace label), laid out as one matrix `rows x stride` blocks
 * so a row's address is base + row * stride * 16. Each row has a block range
 * [lo, hi) (a superset of where its bits are; zero outside) that lets the
 * kernels skip the rest. Rows are never removed; the matrix moves when it
 * grows (rows or stride), so code keeps row ids, never addresses.
 */
import { BLOCK_BYTES } from './bitset.js';
import type { WasmEngine } from './engine.js';

export class Postings {
  base = 0;
  /** u32 pairs (lo, hi) per row. */
  rng = 0;
  rows = 0;
  private rowCap = 0;

  constructor(
    private readonly engine: WasmEngine,
    public stride: number,
    initialRows = 256,
  ) {
    this.rowCap = initialRows;
    this.base = engine.arena.alloc(this.rowCap * stride * BLOCK_BYTES);
    this.rng = engine.arena.alloc(this.rowCap * 8);
  }

  get rowBytes(): number {
    return this.stride * BLOCK_BYTES;
  }

  addRow(): number {
    if (this.rows === this.rowCap) this.relayout(this.rowCap * 2, this.stride);
    return this.rows++;
  }

  /** Widens every row to `stride` blocks (more pod slots). */
  growStride(stride: number): void {
    this.relayout(this.rowCap, stride);
  }

  /** Moves the matrix to `rowCap` rows of `stride` blocks, keeping every row's bits. */
  private relayout(rowCap: number, stride: number): void {
    const e = this.engine;
    const oldBase = this.base;
    const oldRowBytes = this.rowBytes;
    const oldRng = this.rng;
    const base = e.arena.alloc(rowCap * stride * BLOCK_BYTES);
    const rng = e.arena.alloc(rowCap * 8);
    const rowBytes = stride * BLOCK_BYTES;
    if (rowBytes === oldRowBytes) e.u8.copyWithin(base, oldBase, oldBase + this.rows * rowBytes);
    else for (let r = 0; r < this.rows; r++) e.u8.copyWithin(base + r * rowBytes, oldBase + r * oldRowBytes, oldBase + (r + 1) * oldRowBytes);
    e.u8.copyWithin(rng, oldRng, oldRng + this.rows * 8);
    e.arena.release(oldBase);
    e.arena.release(oldRng);
    this.base = base;
    this.rng = rng;
    this.rowCap = rowCap;
    this.stride = stride;
  }

  ptr(row: number): number {
    return this.base + row * this.rowBytes;
  }

  lo(row: number): number {
    return this.engine.i32[(this.rng >>> 2) + 2 * row]!;
  }

  hi(row: number): number {
    return this.engine.i32[(this.rng >>> 2) + 2 * row + 1]!;
  }

  private widen(row: number, lo: number, hi: number): void {
    const i32 = this.engine.i32;
    const at = (this.rng >>> 2) + 2 * row;
    if (i32[at + 1]! <= i32[at]!) {
      i32[at] = lo;
      i32[at + 1] = hi;
    } else {
      if (lo < i32[at]!) i32[at] = lo;
      if (hi > i32[at + 1]!) i32[at + 1] = hi;
    }
  }

  has(row: number, slot: number): boolean {
    return (this.engine.u32[(this.ptr(row) >>> 2) + (slot >>> 5)]! & (1 << (slot & 31))) !== 0;
  }

  set(row: number, slot: number): void {
    this.engine.u32[(this.ptr(row) >>> 2) + (slot >>> 5)]! |= 1 << (slot & 31);
    const b = slot >>> 7;
    this.widen(row, b, b + 1);
  }

  /** Clears a bit; the range stays a superset. */
  clear(row: number, slot: number): void {
    this.engine.u32[(this.ptr(row) >>> 2) + (slot >>> 5)]! &= ~(1 << (slot & 31));
  }

  /** dst |= src. */
  orInto(dst: number, src: number): void {
    const lo = this.lo(src);
    const hi = this.hi(src);
    if (hi <= lo) return;
    const d = this.ptr(dst) + lo * BLOCK_BYTES;
    this.engine.k.bsOr(d, d, this.ptr(src) + lo * BLOCK_BYTES, hi - lo);
    this.widen(dst, lo, hi);
  }

  /** dst &= ~src. */
  andNotInto(dst: number, src: number): void {
    const lo = Math.max(this.lo(src), this.lo(dst));
    const hi = Math.min(this.hi(src), this.hi(dst));
    if (hi <= lo) return;
    const d = this.ptr(dst) + lo * BLOCK_BYTES;
    this.engine.k.bsAndNot(d, d, this.ptr(src) + lo * BLOCK_BYTES, hi - lo);
  }

  count(row: number): number {
    return this.engine.k.bsPopcount(this.ptr(row), this.lo(row), Math.max(this.lo(row), this.hi(row)));
  }
}
