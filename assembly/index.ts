// Kernels over memory that JS lays out: they take pointers and lengths and
// never allocate (runtime stub), so any worker can run them on the shared memory.

/** Number of set bits in `words` 32-bit words starting at `ptr`. */
export function popcount(ptr: usize, words: i32): i32 {
  let n = 0;
  for (let i = 0; i < words; i++) n += <i32>popcnt<u32>(load<u32>(ptr + (<usize>i << 2)));
  return n;
}
