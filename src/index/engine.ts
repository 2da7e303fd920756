/**
 * One shared WebAssembly.Memory, the kernels instantiated over it, the arena
 * that lays it out, and typed-array views that follow memory growth.
 * Everything in src/index allocates from one engine; pool threads get the
 * same memory and module (pool.ts).
 */
import { Arena } from './arena.js';
import { createSharedMemory, instantiateKernels, kernelModule, type KernelExports } from './kernels.js';

export class WasmEngine {
  readonly arena: Arena;
  u8!: Uint8Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  u64!: BigUint64Array;
  /** Pool batches running on this memory: layouts must not move meanwhile. */
  private inFlight = 0;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly module: WebAssembly.Module,
    readonly k: KernelExports,
  ) {
    this.refreshViews();
    this.arena = new Arena(memory, k.heapBase());
    this.arena.onGrow(() => this.refreshViews());
  }

  static create(opts: { initialPages?: number } = {}): WasmEngine {
    const memory = createSharedMemory(opts.initialPages);
    const module = kernelModule();
    return new WasmEngine(memory, module, instantiateKernels(memory, module));
  }

  /** Views over the whole memory; re-created after every grow (old views keep the old length). */
  refreshViews(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
    this.u64 = new BigUint64Array(buf);
  }

  /** Marks a pool batch as running over this memory for the duration of `work`. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }

  /** Throws if a pool batch is running: moving or rewriting rows now would race with it. */
  assertIdle(what: string): void {
    if (this.inFlight > 0) throw new Error(`${what}: not allowed while a pool batch is running over the index memory`);
  }
}
