// Sorting (u64 key, u32 payload) pairs and diffing two sorted key arrays.

const RADIX_BITS: u64 = 11;
const RADIX: i32 = 1 << 11;
const PASSES: i32 = 6; // 6 x 11 bits covers 64; an even count leaves the result in place.

/**
 * LSD radix sort of keys (u64) with their payloads (u32), n entries, stable.
 * tmpKeys/tmpIdx hold n entries each; hist holds PASSES * 2048 u32.
 */
export function radixSortPairs(keys: usize, idx: usize, n: i32, tmpKeys: usize, tmpIdx: usize, hist: usize): void {
  memory.fill(hist, 0, <usize>(PASSES * RADIX) << 2);
  for (let i = 0; i < n; i++) {
    const k = load<u64>(keys + (<usize>i << 3));
    for (let p = 0; p < PASSES; p++) {
      const h = hist + ((<usize>(p * RADIX) + <usize>((k >> (<u64>p * RADIX_BITS)) & <u64>(RADIX - 1))) << 2);
      store<u32>(h, load<u32>(h) + 1);
    }
  }
  let srcK = keys, srcI = idx, dstK = tmpKeys, dstI = tmpIdx;
  for (let p = 0; p < PASSES; p++) {
    const hp = hist + (<usize>(p * RADIX) << 2);
    let sum: u32 = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = load<u32>(hp + (<usize>d << 2));
      store<u32>(hp + (<usize>d << 2), sum);
      sum += c;
    }
    const shift = <u64>p * RADIX_BITS;
    for (let i = 0; i < n; i++) {
      const k = load<u64>(srcK + (<usize>i << 3));
      const slot = hp + (<usize>((k >> shift) & <u64>(RADIX - 1)) << 2);
      const at = load<u32>(slot);
      store<u32>(slot, at + 1);
      store<u64>(dstK + (<usize>at << 3), k);
      store<u32>(dstI + (<usize>at << 2), load<u32>(srcI + (<usize>i << 2)));
    }
    const tk = srcK; srcK = dstK; dstK = tk;
    const ti = srcI; srcI = dstI; dstI = ti;
  }
}

/**
 * a (na keys, payloads aIdx) and b (nb, bIdx) sorted ascending. Writes the
 * payload of each key only in a to outA and only in b to outB, once per
 * distinct key (the first of a run of equal keys). counts[0], counts[1] = how many.
 */
export function diffSorted(
  a: usize, aIdx: usize, na: i32, b: usize, bIdx: usize, nb: i32, outA: usize, outB: usize, counts: usize,
): void {
  let i = 0, j = 0, ca = 0, cb = 0;
  while (i < na && j < nb) {
    const x = load<u64>(a + (<usize>i << 3));
    const y = load<u64>(b + (<usize>j << 3));
    if (x < y) {
      store<u32>(outA + (<usize>(ca++) << 2), load<u32>(aIdx + (<usize>i << 2)));
      i++;
      while (i < na && load<u64>(a + (<usize>i << 3)) == x) i++;
    } else if (y < x) {
      store<u32>(outB + (<usize>(cb++) << 2), load<u32>(bIdx + (<usize>j << 2)));
      j++;
      while (j < nb && load<u64>(b + (<usize>j << 3)) == y) j++;
    } else {
      while (i < na && load<u64>(a + (<usize>i << 3)) == x) i++;
      while (j < nb && load<u64>(b + (<usize>j << 3)) == x) j++;
    }
  }
  while (i < na) {
    const x = load<u64>(a + (<usize>i << 3));
    store<u32>(outA + (<usize>(ca++) << 2), load<u32>(aIdx + (<usize>i << 2)));
    i++;
    while (i < na && load<u64>(a + (<usize>i << 3)) == x) i++;
  }
  while (j < nb) {
    const y = load<u64>(b + (<usize>j << 3));
    store<u32>(outB + (<usize>(cb++) << 2), load<u32>(bIdx + (<usize>j << 2)));
    j++;
    while (j < nb && load<u64>(b + (<usize>j << 3)) == y) j++;
  }
  store<i32>(counts, ca);
  store<i32>(counts + 4, cb);
}
