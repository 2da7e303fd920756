/**
 * The piscina pool of kernel threads. Every thread instantiates the wasm
 * module once over the engine's shared memory (workers/index-worker.ts) and
 * runs one kernel call per task; results land in memory the caller laid out.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { workerPath } from '../util/paths.js';
import type { WasmEngine } from './engine.js';

export type KernelTaskKind = 'eval' | 'intersect' | 'ping';

export interface KernelTask {
  kind: KernelTaskKind;
  args: number[];
}

/** What the worker receives once, at start. */
export interface KernelWorkerData {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
}

export class KernelPool {
  private constructor(
    private readonly pool: Piscina,
    readonly threads: number,
  ) {}

  /** Starts `threads` workers (default: one per CPU) and waits until each has the kernels instantiated. */
  static async open(engine: WasmEngine, opts: { threads?: number } = {}): Promise<KernelPool> {
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`kernel pool: threads must be a positive integer, got ${threads}`);
    const filename = workerPath('index-worker');
    if (!existsSync(filename)) throw new Error(`kernel pool: worker ${filename} is not built (npx tsc -p tsconfig.json)`);
    const workerData: KernelWorkerData = { memory: engine.memory, module: engine.module };
    const pool = new Piscina({
      filename,
      workerData,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity, // threads live until close(); piscina skips its idle timer for Infinity
      concurrentTasksPerWorker: 1,
    });
    const kp = new KernelPool(pool, threads);
    await Promise.all(Array.from({ length: threads }, () => kp.run({ kind: 'ping', args: [] })));
    return kp;
  }

  run(task: KernelTask): Promise<number> {
    return this.pool.run(task) as Promise<number>;
  }

  /** Waits for running tasks, then stops every thread. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
