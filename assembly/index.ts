// Kernels over memory that JS lays out (src/index/arena.ts): they take
// pointers and lengths and never allocate (runtime stub), so every worker
// thread runs them on the one shared memory.
export { bsAnd, bsOr, bsAndNot, bsNot, bsPopcount, bsAndPopcount, bsAny, bsCollect, bsFindZero } from './bitset';
export { evalRange, evalSlot, rowsWithBit, rowsIntersecting, sumCollect, sumOrInto, sumAndNotInto } from './program';
export { xxh64, hashKeys } from './hash';
export { radixSortPairs, diffSorted } from './sortdiff';

/** First byte JS may lay out: everything below belongs to the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}
