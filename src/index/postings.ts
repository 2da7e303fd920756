/**
 * Posting rows: one pod-space bitset per term (label key=value, key, namespace
 * membership, namespace label), laid out as one matrix `rows x stride` blocks
 * so a row's address is base + row * stride * 16, and a summary matrix
 * `rows x sw` u64 (one bit per block that may hold bits; a clear bit means the
 * block is zero) that lets the kernels skip empty blocks. Rows are never
 * removed; the matrices move when they grow (rows or stride), so code keeps
 * row ids, never addresses.
 */
import { BLOCK_BYTES } from './bitset.js';
import type { WasmEngine } from './engine.js';
import { summaryWords } from './kernels.js';

export class Postings {
  base = 0;
  /** Summary matrix: `sw` u64 per row. */
  sum = 0;
  rows = 0;
  /** Rows written since the owner last emptied it (which selectors an update can affect). */
  readonly touched: number[] = [];
  private rowCap = 0;

  constructor(
    private readonly engine: WasmEngine,
    public stride: number,
    initialRows = 256,
  ) {
    this.rowCap = initialRows;
    this.base = engine.arena.alloc(this.rowCap * stride * BLOCK_BYTES);
    this.sum = engine.arena.alloc(this.rowCap * this.sumBytes);
  }

  get rowBytes(): number {
    return this.stride * BLOCK_BYTES;
  }

  /** u64 summary words per row. */
  get sw(): number {
    return summaryWords(this.stride);
  }

  get sumBytes(): number {
    return this.sw * 8;
  }

  addRow(): number {
    if (this.rows === this.rowCap) this.relayout(this.rowCap * 2, this.stride);
    return this.rows++;
  }

  /** Widens every row to `stride` blocks (more pod slots). */
  growStride(stride: number): void {
    this.relayout(this.rowCap, stride);
  }

  /** Moves the matrices to `rowCap` rows of `stride` blocks, keeping every row's bits. */
  private relayout(rowCap: number, stride: number): void {
    const e = this.engine;
    const old = { base: this.base, sum: this.sum, rowBytes: this.rowBytes, sumBytes: this.sumBytes };
    const rowBytes = stride * BLOCK_BYTES;
    const sumBytes = summaryWords(stride) * 8;
    const base = e.arena.alloc(rowCap * rowBytes);
    const sum = e.arena.alloc(rowCap * sumBytes);
    for (let r = 0; r < this.rows; r++) {
      e.u8.copyWithin(base + r * rowBytes, old.base + r * old.rowBytes, old.base + (r + 1) * old.rowBytes);
      e.u8.copyWithin(sum + r * sumBytes, old.sum + r * old.sumBytes, old.sum + (r + 1) * old.sumBytes);
    }
    e.arena.release(old.base);
    e.arena.release(old.sum);
    this.base = base;
    this.sum = sum;
    this.rowCap = rowCap;
    this.stride = stride;
  }

  ptr(row: number): number {
    return this.base + row * this.rowBytes;
  }

  sumPtr(row: number): number {
    return this.sum + row * this.sumBytes;
  }

  set(row: number, slot: number): void {
    this.touched.push(row);
    this.mark(row, slot);
  }

  /** Sets a bit without recording the row as touched (filling a row no selector has read yet). */
  mark(row: number, slot: number): void {
    const u32 = this.engine.u32;
    u32[(this.ptr(row) >>> 2) + (slot >>> 5)]! |= 1 << (slot & 31);
    const block = slot >>> 7;
    u32[(this.sumPtr(row) >>> 2) + (block >>> 5)]! |= 1 << (block & 31);
  }

  /** Clears a bit; the summary stays a superset. */
  clear(row: number, slot: number): void {
    this.touched.push(row);
    this.engine.u32[(this.ptr(row) >>> 2) + (slot >>> 5)]! &= ~(1 << (slot & 31));
  }

  /** dst |= src. */
  orInto(dst: number, src: number): void {
    this.touched.push(dst);
    this.engine.k.sumOrInto(this.ptr(dst), this.sumPtr(dst), this.ptr(src), this.sumPtr(src), this.sw);
  }

  /** dst &= ~src. */
  andNotInto(dst: number, src: number): void {
    this.touched.push(dst);
    this.engine.k.sumAndNotInto(this.ptr(dst), this.sumPtr(dst), this.ptr(src), this.sumPtr(src), this.sw);
  }

  /** Blocks the summary marks as possibly non-zero: what a step over this row costs. */
  blocks(row: number): number {
    const u32 = this.engine.u32;
    const at = this.sumPtr(row) >>> 2;
    let n = 0;
    for (let i = 0; i < this.sw * 2; i++) n += popcount32(u32[at + i]!);
    return n;
  }
}

/** Set bits of a 32-bit word (SWAR). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
