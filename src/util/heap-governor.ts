/**
 * A soft target for the V8 heap, as GOMEMLIMIT is for a Go controller.
 *
 * After a full collection V8 lets the old generation grow to two to four
 * times what the collection kept before it collects again. A controller
 * holding 1 GB live at 150k pods therefore peaked at 1.9-2.3 GB of RSS, and
 * most of that was garbage: the plan's temporaries, the operations already
 * sent, the decoded updates (docs/controller.md). With a target set, the
 * governor collects at checkpoints once the heap is over the target and has
 * grown by a fifth since the last collection it made. The checkpoints are in
 * bulk work only: a full pass before and after its plan, and between its
 * pipelined transactions. An event's pass never waits for one: a forced
 * collection is one pause (~0.6 s at 150k pods), where V8's own are
 * incremental. Collections are capped at a tenth of the time since the
 * governor started, so a target below the live heap costs at most that
 * much.
 *
 * The target is a number of bytes, or `auto` (the default where no
 * container limit gives one): what the pass computing the whole desired
 * state keeps when it collects before and after its plan (heapSettled:
 * the model's and then the plan's temporaries just died; what is left is
 * the model, the cache and the operations to send), so a cluster of any
 * size gets the same bound relative to its own working set.
 *
 * The heap is the process's, so there is one governor per process
 * (heapGovernor): the controller or `ovnscale sync` sets its target, and the
 * code that allocates in bulk calls heapCheckpoint().
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { collectGarbage } from './gc.js';
import type { Logger } from './log.js';

/** Growth over what the last collection kept before the next one: a fifth. */
const GROWTH = 0.2;
/** Share of wall time collections may take. */
const MAX_SHARE = 0.1;
/**
 * Below this heap, auto makes no collection: a 20k-pod cluster's peak is a
 * few hundred MB anyway, and its cold sync took ~10% longer with them.
 */
const AUTO_FLOOR = 512 * 2 ** 20;

export interface Collection {
  ms: number;
  /** Heap bytes in use before and after. */
  before: number;
  after: number;
}

/** MiB, or `auto`: what the pass computing the whole desired state keeps around its plan. 0: off. */
export type HeapTarget = number | 'auto';

export class HeapGovernor {
  private target = 0;
  private auto = false;
  private autoFloor = AUTO_FLOOR;
  private kept = 0;
  private spent = 0;
  private started = 0;
  private readonly listeners = new Set<(c: Collection) => void>();

  /** The target heap in bytes; 0: none (yet, when auto). */
  get targetBytes(): number {
    return this.target;
  }

  /** Sets the target (bytes, 0: off; auto: none until settled() finds the heap over `autoFloor` bytes). */
  start(targetBytes: number | 'auto', autoFloor = AUTO_FLOOR): void {
    if (targetBytes !== 'auto' && (!Number.isFinite(targetBytes) || targetBytes < 0)) {
      throw new RangeError(`heap target must be a non-negative number of bytes or 'auto', got ${targetBytes}`);
    }
    this.auto = targetBytes === 'auto';
    this.autoFloor = autoFloor;
    this.target = this.auto ? 0 : (targetBytes as number);
    this.kept = 0;
    this.spent = 0;
    this.started = performance.now();
  }

  stop(): void {
    this.target = 0;
    this.auto = false;
  }

  /** Told of every collection the governor makes (metrics, logs); returns the unsubscribe function. */
  onCollect(listener: (c: Collection) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Collects now, whatever the target (a moment chosen for it: before ready); the growth checkpoints wait for counts from here. */
  collectNow(): void {
    collectGarbage();
    this.kept = getHeapStatistics().used_heap_size;
  }

  /** Collects if the heap is over the target, has grown enough, and the time cap allows; true if it did. */
  checkpoint(): boolean {
    if (this.target === 0) return false;
    const before = getHeapStatistics().used_heap_size;
    if (before < this.target || before < this.kept * (1 + GROWTH)) return false;
    return this.collect(before);
  }

  /**
   * The pass computing the whole desired state is about to plan, or has
   * planned: with an auto target and the heap over its floor, collects (the
   * time cap allowing) and takes what it kept as the target; otherwise a
   * checkpoint. True if it collected.
   */
  settled(): boolean {
    if (!this.auto) return this.checkpoint();
    const before = getHeapStatistics().used_heap_size;
    if (before < this.autoFloor || !this.collect(before)) return false;
    this.target = this.kept;
    return true;
  }

  private collect(before: number): boolean {
    if (this.spent > MAX_SHARE * (performance.now() - this.started)) return false;
    const t = performance.now();
    collectGarbage();
    const ms = performance.now() - t;
    this.spent += ms;
    this.kept = getHeapStatistics().used_heap_size;
    for (const l of this.listeners) l({ ms, before, after: this.kept });
    return true;
  }
}

export const heapGovernor = new HeapGovernor();

/**
 * Starts the process's governor at `target` (0: off), each collection
 * logged and observed (seconds); returns what stops it.
 */
export function governHeap(target: HeapTarget, log: Logger, observe?: (seconds: number) => void): () => void {
  heapGovernor.start(target === 'auto' ? 'auto' : target * 2 ** 20);
  if (target === 0) return () => undefined;
  log.info('heap target set', { mib: target });
  const mib = (b: number) => Math.round(b / 2 ** 20);
  const off = heapGovernor.onCollect((c) => {
    observe?.(c.ms / 1000);
    log.debug('heap collected', { ms: Math.round(c.ms), beforeMiB: mib(c.before), afterMiB: mib(c.after) });
  });
  return () => {
    off();
    heapGovernor.stop();
  };
}

/** A full collection now, with or without a target (the controller's startup pass ends with one). */
export function collectHeapNow(): void {
  heapGovernor.collectNow();
}

/** A point in bulk work where the process has just made, or is about to make, much garbage. */
export function heapCheckpoint(): void {
  heapGovernor.checkpoint();
}

/** The pass computing the whole desired state is about to plan, or has planned (HeapGovernor.settled). */
export function heapSettled(): void {
  heapGovernor.settled();
}

/**
 * The default target: 60% of the container's memory limit (cgroup v2
 * memory.max, or v1 memory.limit_in_bytes), leaving the rest to the young
 * generation, the worker threads and the code; auto where there is no limit.
 */
export function defaultHeapTarget(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): HeapTarget {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = read(path).trim();
    } catch {
      continue;
    }
    const bytes = Number(text);
    // "max", or v1's "no limit" (a number near 2^63).
    if (!Number.isSafeInteger(bytes) || bytes <= 0) return 'auto';
    return Math.floor((bytes * 0.6) / 2 ** 20);
  }
  return 'auto';
}

/** A `--heap-target-mb` value: `auto` or MiB (0: off). */
export function parseHeapTarget(text: string): HeapTarget | undefined {
  if (text === 'auto') return 'auto';
  const n = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(n) ? n : undefined;
}
