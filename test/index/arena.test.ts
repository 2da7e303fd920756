import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/index/arena.js';
import { MAX_PAGES } from '../../src/index/kernels.js';

const memory = () => new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });

describe('Arena', () => {
  it('hands out zeroed blocks: reused ones, and fresh ones above a top that fell back on release', () => {
    const m = memory();
    const arena = new Arena(m, 1024);
    const bytes = () => new Uint8Array(m.buffer);
    const a = arena.alloc(4096);
    const b = arena.alloc(4096);
    bytes().fill(7, a, a + 4096);
    bytes().fill(9, b, b + 4096);
    // b is the last block: releasing it lowers the top; a is reused from the free list.
    arena.release(b);
    arena.release(a);
    const big = arena.alloc(3 * 4096);
    expect(big).toBe(a);
    expect(bytes().subarray(big, big + 3 * 4096).every((x) => x === 0)).toBe(true);
    // Not zeroed when the caller says it overwrites the block itself.
    bytes().fill(5, big, big + 16);
    arena.release(big);
    const raw = arena.alloc(16, false);
    expect(bytes()[raw]).toBe(5);
  });
});
