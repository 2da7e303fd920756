/**
 * The wasm kernels (assembly/) as a typed export table, instantiated over a
 * shared WebAssembly.Memory. Used by the main thread (engine.ts) and by every
 * pool thread (workers/index-worker.ts) with the same memory.
 */
import { readFileSync } from 'node:fs';
import { wasmPath } from '../util/paths.js';

/** Largest memory the kernels accept (asconfig maximumMemory): 4 GiB. */
export const MAX_PAGES = 65536;
/** Pages the module declares as its initial memory (asconfig initialMemory). */
export const MIN_PAGES = 16;
export const PAGE_BYTES = 65536;
/** Summary words (u64, one bit per 128-bit block) of a row of `stride` blocks. */
export const summaryWords = (stride: number): number => Math.ceil(stride / 64);

/**
 * Bytes of one evaluation scratch region (assembly/program.ts): summaries of
 * registers 1..3 and of the blocks written to register 0, then rows of registers 1..3.
 */
export const scratchBytes = (stride: number): number => Math.ceil((4 * summaryWords(stride) * 8) / 16) * 16 + 3 * stride * 16;

export interface KernelExports {
  heapBase(): number;
  bsAnd(dst: number, a: number, b: number, blocks: number): void;
  bsOr(dst: number, a: number, b: number, blocks: number): void;
  bsAndNot(dst: number, a: number, b: number, blocks: number): void;
  bsNot(dst: number, src: number, blocks: number): void;
  bsPopcount(ptr: number, lo: number, hi: number): number;
  bsAndPopcount(a: number, b: number, lo: number, hi: number): number;
  bsAny(a: number, b: number, lo: number, hi: number): number;
  bsCollect(ptr: number, lo: number, hi: number, out: number): number;
  bsFindZero(ptr: number, start: number, bits: number): number;
  evalRange(
    dir: number, code: number, from: number, to: number,
    post: number, psum: number, stride: number, sw: number, scratch: number, res: number, rsum: number, cnt: number,
  ): number;
  evalSlot(
    dir: number, code: number, ids: number, n: number,
    post: number, stride: number, sw: number, slot: number, res: number, rsum: number, cnt: number, out: number,
  ): number;
  rowsWithBit(res: number, stride: number, from: number, to: number, slot: number, out: number): number;
  rowsIntersecting(
    res: number, rsum: number, stride: number, sw: number, from: number, to: number,
    probe: number, probeBlocks: number, out: number,
  ): number;
  sumCollect(row: number, sum: number, sw: number, out: number): number;
  sumOrInto(dst: number, dsum: number, src: number, ssum: number, sw: number): void;
  sumAndNotInto(dst: number, dsum: number, src: number, ssum: number, sw: number): void;
  xxh64(ptr: number, len: number, seed: bigint): bigint;
  hashKeys(tokens: number, offsets: number, n: number, seed: bigint, out: number): void;
  radixSortPairs(keys: number, idx: number, n: number, tmpKeys: number, tmpIdx: number, hist: number): void;
  diffSorted(
    a: number, aIdx: number, na: number, b: number, bIdx: number, nb: number,
    outA: number, outB: number, counts: number,
  ): void;
}

let compiled: WebAssembly.Module | undefined;

/** The compiled kernels module (build/kernels.wasm), compiled once per thread. */
export function kernelModule(): WebAssembly.Module {
  if (compiled) return compiled;
  let bytes: Buffer;
  try {
    bytes = readFileSync(wasmPath());
  } catch (err) {
    throw new Error(`wasm kernels not found at ${wasmPath()} (build them: npx asc --config asconfig.json --target release): ${(err as Error).message}`);
  }
  return (compiled = new WebAssembly.Module(bytes));
}

export function createSharedMemory(initialPages = MIN_PAGES): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: Math.max(initialPages, MIN_PAGES), maximum: MAX_PAGES, shared: true });
}

/** Instantiates the kernels over `memory` (synchronous: the module is small and already compiled). */
export function instantiateKernels(memory: WebAssembly.Memory, module: WebAssembly.Module = kernelModule()): KernelExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernel aborted');
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}
