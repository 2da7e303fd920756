import type { ControllerMetrics } from './metrics.js';

/**
 * A keyed, de-duplicating work queue with client-go semantics:
 * - a key queued twice is processed once;
 * - a key added while it is being processed is processed again afterwards,
 *   never concurrently with itself;
 * - failed keys come back with per-key exponential backoff.
 * Unlike client-go's Get, getBatch hands out up to `max` keys at once, so a
 * burst of events becomes one plan and one OVSDB transaction.
 */
export interface WorkQueueOptions {
  metrics?: ControllerMetrics;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue<K extends string = string> {
  private readonly queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly addedAt = new Map<K, number>();
  private readonly failures = new Map<K, number>();
  private readonly timers = new Map<K, NodeJS.Timeout>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    readonly name: string,
    private readonly opts: WorkQueueOptions = {},
  ) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 300_000;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  get shutdown(): boolean {
    return this.shuttingDown;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.opts.metrics?.queueAdds.inc({ name: this.name });
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after a delay; a sooner add wins, a later one is dropped. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    if (this.timers.has(key)) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    t.unref();
    this.timers.set(key, t);
  }

  /** Re-queues a failed key with exponential backoff (base × 2^failures, capped). */
  addRateLimited(key: K): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.opts.metrics?.queueRetries.inc({ name: this.name });
    this.addAfter(key, Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n));
  }

  /** Clears a key's failure history after it succeeded. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * Up to `max` keys to process, waiting while the queue is empty.
   * Resolves to undefined once the queue is shut down and drained.
   */
  async getBatch(max: number): Promise<K[] | undefined> {
    while (this.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const now = performance.now();
    const n = Math.min(max, this.length);
    const batch = this.queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    for (const key of batch) {
      this.dirty.delete(key);
      this.processing.add(key);
      const at = this.addedAt.get(key);
      this.addedAt.delete(key);
      if (at !== undefined) this.opts.metrics?.queueDuration.observe({ name: this.name }, (now - at) / 1000);
    }
    this.updateDepth();
    return batch;
  }

  /** Marks keys processed; a key re-added meanwhile goes back in the queue. */
  done(keys: Iterable<K>): void {
    for (const key of keys) {
      this.processing.delete(key);
      if (this.dirty.has(key)) this.push(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.wake();
  }

  private push(key: K): void {
    this.queue.push(key);
    this.addedAt.set(key, performance.now());
    this.updateDepth();
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private updateDepth(): void {
    this.opts.metrics?.queueDepth.set({ name: this.name }, this.length);
  }
}

/** What a batch handler reports: the keys that failed, with why. */
export type BatchResult<K> = ReadonlyMap<K, Error> | void;

/**
 * Runs `workers` loops that take batches of up to `batchSize` keys and hand
 * them to `handle`. Failed keys are retried with backoff; the loop never dies
 * on a handler error. Resolves when the queue is shut down and drained.
 */
export async function runWorkers<K extends string>(
  queue: WorkQueue<K>,
  workers: number,
  batchSize: number,
  handle: (keys: K[]) => Promise<BatchResult<K>>,
  onError: (key: K | undefined, err: Error) => void,
  metrics?: ControllerMetrics,
): Promise<void> {
  const loop = async (): Promise<void> => {
    for (;;) {
      const batch = await queue.getBatch(batchSize);
      if (!batch) return;
      const start = performance.now();
      let failed: ReadonlyMap<K, Error> | void;
      try {
        failed = await handle(batch);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        onError(undefined, e);
        failed = new Map(batch.map((k) => [k, e]));
      }
      metrics?.workDuration.observe({ name: queue.name }, (performance.now() - start) / 1000);
      queue.done(batch);
      for (const key of batch) {
        const err = failed?.get(key);
        if (err) {
          onError(key, err);
          queue.addRateLimited(key);
        } else {
          queue.forget(key);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, loop));
}
