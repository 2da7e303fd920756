/**
 * A kernel pool thread: instantiates the wasm kernels once over the shared
 * memory it was given and runs one kernel call per task. It keeps no
 * typed-array views: the wasm instance sees the memory at its current size
 * even after the main thread grew it, and results are read by the caller.
 */
import { workerData } from 'node:worker_threads';
import { instantiateKernels } from '../src/index/kernels.js';
import type { KernelTask, KernelWorkerData } from '../src/index/pool.js';

const data = workerData as KernelWorkerData;
const k = instantiateKernels(data.memory, data.module);

export default function run(task: KernelTask): number {
  const a = task.args;
  switch (task.kind) {
    case 'eval':
      return k.evalRange(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!);
    case 'intersect':
      return k.rowsIntersecting(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!);
    case 'ping':
      return 0;
    default:
      throw new Error(`kernel worker: unknown task kind '${String((task as { kind: unknown }).kind)}'`);
  }
}
