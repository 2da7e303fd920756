/**
 * The layout of the shared wasm memory, owned by JS: a first-fit allocator
 * with coalescing free blocks over [heapBase, memory end). Every block is
 * 16-byte aligned (a v128 bitset block). Growing the memory calls the
 * listeners so typed-array views are re-created (the old views keep the old length).
 */
import { MAX_PAGES, PAGE_BYTES } from './kernels.js';

const ALIGN = 16;
const align = (n: number, a = ALIGN): number => Math.ceil(n / a) * a;

interface Free {
  at: number;
  size: number;
}

export class Arena {
  /** Free blocks sorted by address, adjacent ones merged. */
  private readonly free: Free[] = [];
  private readonly sizes = new Map<number, number>();
  private top: number;
  /** Memory from here up was never handed out: zero since memory.grow (top can fall below it on release). */
  private clean: number;
  private readonly growListeners: (() => void)[] = [];

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    this.top = align(Math.max(base, 1024), 64);
    this.clean = this.top;
  }

  onGrow(listener: () => void): void {
    this.growListeners.push(listener);
  }

  /** A block of at least `bytes` bytes, 16-byte aligned; zero-filled when `zero`. */
  alloc(bytes: number, zero = true): number {
    const size = align(Math.max(bytes, ALIGN));
    let ptr = -1;
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i]!;
      if (f.size < size) continue;
      ptr = f.at;
      if (f.size === size) this.free.splice(i, 1);
      else {
        f.at += size;
        f.size -= size;
      }
      break;
    }
    if (ptr < 0) {
      ptr = this.top;
      this.ensure(ptr + size);
      this.top = ptr + size;
    }
    this.sizes.set(ptr, size);
    // Only the part that was handed out before needs zeroing: the label index allocates large rows.
    const dirty = Math.min(ptr + size, this.clean) - ptr;
    if (zero && dirty > 0) new Uint8Array(this.memory.buffer, ptr, dirty).fill(0);
    if (ptr + size > this.clean) this.clean = ptr + size;
    return ptr;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`arena: release of ${ptr}, which is not an allocated block`);
    this.sizes.delete(ptr);
    let lo = 0;
    let hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free[mid]!.at < ptr) lo = mid + 1;
      else hi = mid;
    }
    this.free.splice(lo, 0, { at: ptr, size });
    const next = this.free[lo + 1];
    const cur = this.free[lo]!;
    if (next && cur.at + cur.size === next.at) {
      cur.size += next.size;
      this.free.splice(lo + 1, 1);
    }
    const prev = this.free[lo - 1];
    if (prev && prev.at + prev.size === cur.at) {
      prev.size += cur.size;
      this.free.splice(lo, 1);
    }
    const last = this.free[this.free.length - 1];
    if (last && last.at + last.size === this.top) {
      this.top = last.at;
      this.free.pop();
    }
  }

  /** Grows the memory so that [0, end) is addressable. */
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    // Grow by at least a quarter to keep the number of grows (and view refreshes) small.
    const pages = Math.max(Math.ceil((end - have) / PAGE_BYTES), Math.ceil(have / PAGE_BYTES / 4));
    const current = have / PAGE_BYTES;
    const add = Math.min(pages, MAX_PAGES - current);
    if (current + add < Math.ceil(end / PAGE_BYTES)) {
      throw new RangeError(`wasm memory exhausted: need ${end} bytes, the maximum is ${MAX_PAGES * PAGE_BYTES}`);
    }
    this.memory.grow(add);
    for (const l of this.growListeners) l();
  }
}
