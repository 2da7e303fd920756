import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/controller/metrics.js';
import { WorkQueue, runWorkers } from '../../src/controller/workqueue.js';

describe('WorkQueue', () => {
  it('de-duplicates keys that are queued', async () => {
    const q = new WorkQueue('t');
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    expect(q.length).toBe(3);
    expect(await q.getBatch(10)).toEqual(['a', 'b', 'c']);
  });

  it('re-queues a key added while it is processed, never handing it out twice at once', async () => {
    const q = new WorkQueue('t');
    q.add('a');
    const first = await q.getBatch(10);
    q.add('a');
    expect(q.length).toBe(0);
    q.done(first!);
    expect(await q.getBatch(10)).toEqual(['a']);
  });

  it('hands out at most max keys per batch, in order', async () => {
    const q = new WorkQueue('t');
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    expect(await q.getBatch(4)).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(q.length).toBe(6);
  });

  it('backs off failed keys exponentially and forgets them on success', async () => {
    const q = new WorkQueue('t', { baseDelayMs: 10 });
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.retries('a')).toBe(2);
    q.forget('a');
    expect(q.retries('a')).toBe(0);
    const t0 = performance.now();
    expect(await q.getBatch(1)).toEqual(['a']);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(5);
  });

  it('shutDown releases waiting consumers', async () => {
    const q = new WorkQueue('t');
    const pending = q.getBatch(1);
    q.shutDown();
    expect(await pending).toBeUndefined();
  });

  it('runWorkers retries failed keys and counts metrics', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const q = new WorkQueue('pods', { metrics, baseDelayMs: 1 });
    const seen: string[] = [];
    let failOnce = true;
    const errors: string[] = [];
    const done = runWorkers(
      q,
      2,
      8,
      async (keys) => {
        seen.push(...keys);
        if (failOnce && keys.includes('b')) {
          failOnce = false;
          return new Map([['b', new Error('nb busy')]]);
        }
        if (seen.filter((k) => k === 'b').length === 2) q.shutDown();
      },
      (key, err) => errors.push(`${key}:${err.message}`),
      metrics,
    );
    q.add('a');
    q.add('b');
    await done;
    expect(seen.filter((k) => k === 'b')).toHaveLength(2);
    expect(errors).toEqual(['b:nb busy']);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/workqueue_adds_total\{name="pods"\} 3/);
    expect(text).toMatch(/workqueue_retries_total\{name="pods"\} 1/);
  });
});
