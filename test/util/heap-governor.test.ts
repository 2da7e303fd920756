import { describe, expect, it } from 'vitest';
import { defaultHeapTarget, HeapGovernor, parseHeapTarget, type Collection } from '../../src/util/heap-governor.js';

describe('HeapGovernor', () => {
  it('collects past its target, then not again until the heap has grown; off without a target', () => {
    const g = new HeapGovernor();
    expect(g.checkpoint()).toBe(false);
    const seen: Collection[] = [];
    const off = g.onCollect((c) => seen.push(c));
    g.start(1);
    try {
      expect(g.checkpoint()).toBe(true);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.after).toBeGreaterThan(0);
      expect(seen[0]!.ms).toBeGreaterThanOrEqual(0);
      // What the collection kept has not grown by a fifth since.
      expect(g.checkpoint()).toBe(false);
    } finally {
      g.stop();
      off();
    }
    expect(g.targetBytes).toBe(0);
    expect(g.checkpoint()).toBe(false);
    expect(() => g.start(-1)).toThrow(RangeError);
  });

  it('auto: no target until the whole pass plans over the floor, then what that collection kept', () => {
    const g = new HeapGovernor();
    const seen: Collection[] = [];
    const off = g.onCollect((c) => seen.push(c));
    // Under its floor auto collects nothing.
    g.start('auto');
    expect(g.settled()).toBe(false);
    g.start('auto', 0);
    try {
      expect(g.targetBytes).toBe(0);
      expect(g.checkpoint()).toBe(false);
      expect(g.settled()).toBe(true);
      expect(g.targetBytes).toBe(seen[0]!.after);
      // Growth since is counted from there, as with a target given.
      expect(g.checkpoint()).toBe(false);
    } finally {
      g.stop();
      off();
    }
    // With a target given (or none), settled() is a checkpoint.
    g.start(0);
    expect(g.settled()).toBe(false);
    g.stop();
  });
});

describe('HeapGovernor.collectNow', () => {
  it('collects without a target, and the checkpoints after it count growth from what it kept', () => {
    const g = new HeapGovernor();
    g.collectNow();
    g.start(1);
    try {
      g.collectNow();
      expect(g.checkpoint()).toBe(false);
    } finally {
      g.stop();
    }
  });
});

describe('defaultHeapTarget', () => {
  const reader = (files: Record<string, string>) => (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: ${path}`);
    return text;
  };
  it('is 60% of the container memory limit (cgroup v2, else v1), auto without a limit', () => {
    expect(defaultHeapTarget(reader({ '/sys/fs/cgroup/memory.max': '2147483648\n' }))).toBe(1228);
    expect(defaultHeapTarget(reader({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBe('auto');
    expect(defaultHeapTarget(reader({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '1073741824' }))).toBe(614);
    expect(defaultHeapTarget(reader({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).toBe('auto');
    expect(defaultHeapTarget(reader({}))).toBe('auto');
  });
});

describe('parseHeapTarget', () => {
  it('takes auto or whole MiB', () => {
    expect(parseHeapTarget('auto')).toBe('auto');
    expect(parseHeapTarget('0')).toBe(0);
    expect(parseHeapTarget('1500')).toBe(1500);
    for (const bad of ['', '-1', '1.5', '1e3', 'AUTO', ' 12']) expect(parseHeapTarget(bad), bad).toBeUndefined();
  });
});
