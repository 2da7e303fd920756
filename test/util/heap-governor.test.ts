import { describe, expect, it } from 'vitest';
import { defaultHeapTargetMiB, HeapGovernor, type Collection } from '../../src/util/heap-governor.js';

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

describe('defaultHeapTargetMiB', () => {
  const reader = (files: Record<string, string>) => (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: ${path}`);
    return text;
  };
  it('is 60% of the container memory limit (cgroup v2, else v1), 0 without a limit', () => {
    expect(defaultHeapTargetMiB(reader({ '/sys/fs/cgroup/memory.max': '2147483648\n' }))).toBe(1228);
    expect(defaultHeapTargetMiB(reader({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBe(0);
    expect(defaultHeapTargetMiB(reader({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '1073741824' }))).toBe(614);
    expect(defaultHeapTargetMiB(reader({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).toBe(0);
    expect(defaultHeapTargetMiB(reader({}))).toBe(0);
  });
});
