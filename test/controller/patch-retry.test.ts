import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PatchRetries } from '../../src/controller/patch-retry.js';

describe('PatchRetries', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('backs off per object, doubling up to the cap, and forgets an object once its patch succeeds', () => {
    const due: string[] = [];
    const r = new PatchRetries((kind, key) => due.push(`${kind} ${key}`), 1_000, 4_000);
    expect([r.failed('Pod', 'ns/a'), r.failed('Pod', 'ns/a'), r.failed('Pod', 'ns/a'), r.failed('Pod', 'ns/a')]).toEqual([1_000, 2_000, 4_000, 4_000]);
    expect(r.failed('Node', 'n1')).toBe(1_000);
    vi.advanceTimersByTime(1_000);
    // Each failure replaces the object's timer: ns/a is due once, after its latest delay.
    expect(due).toEqual(['Node n1']);
    vi.advanceTimersByTime(3_000);
    expect(due).toEqual(['Node n1', 'Pod ns/a']);

    r.succeeded('Node', 'n1');
    expect(r.size).toBe(1);
    expect(r.failed('Node', 'n1')).toBe(1_000);
    r.succeeded('Node', 'n1');
    vi.advanceTimersByTime(10_000);
    expect(due).toEqual(['Node n1', 'Pod ns/a']);

    r.stop();
    expect(r.size).toBe(0);
  });
});
