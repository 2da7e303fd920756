/**
 * The label index and its wasm engine: what src/controller imports.
 * See docs/index.md for the memory layout and the program format.
 */
export { Bitset } from './bitset.js';
export { compileSelector, OP, type Program } from './compile.js';
export { WasmEngine } from './engine.js';
export { KeysetDiff, packKeys, TokenTable, type KeyBatch, type KeysetDiffResult } from './keyset-diff.js';
export { ALL_ROW, LabelIndex, type IndexedNamespace, type IndexedPod, type LabelIndexOptions } from './label-index.js';
export { KernelPool } from './pool.js';
export {
  labelMatcher,
  matchesSelector,
  matchesSpec,
  policyPeerSpec,
  policyTargetSpec,
  SelectorError,
  specMatcher,
  validateSelector,
  validateSpec,
  type SelectorSpec,
} from './selector-reference.js';
export { resolveSelector, SelectorSet } from './selector-set.js';
