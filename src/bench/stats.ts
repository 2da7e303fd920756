/** Small numeric helpers for the sync benchmark: latency summaries and a memory sampler. */

export interface Latency {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Every sample (ms), for the report's distribution chart. */
  samplesMs: number[];
}

export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? s[0]!;
}

/** Rounded to 0.1. */
export const r1 = (x: number): number => Math.round(x * 10) / 10;

export function latency(samplesMs: readonly number[]): Latency {
  return {
    n: samplesMs.length,
    p50Ms: r1(quantile(samplesMs, 0.5)),
    p99Ms: r1(quantile(samplesMs, 0.99)),
    maxMs: r1(samplesMs.length ? Math.max(...samplesMs) : NaN),
    samplesMs: samplesMs.map(r1),
  };
}

export interface MemoryPeak {
  rssMiB: number;
  heapUsedMiB: number;
}

/** Samples this process's RSS and V8 heap every `everyMs` until stopped; returns the peaks (RSS also the kernel's high-water mark, which counts what fell between two samples). */
export function sampleMemory(everyMs = 250): { stop(): MemoryPeak } {
  const peak = { rss: 0, heap: 0 };
  const take = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  take();
  const timer = setInterval(take, everyMs);
  timer.unref();
  return {
    stop() {
      take();
      clearInterval(timer);
      const rss = Math.max(peak.rss, process.resourceUsage().maxRSS * 1024);
      return { rssMiB: Math.round(rss / 2 ** 20), heapUsedMiB: Math.round(peak.heap / 2 ** 20) };
    },
  };
}

export const seconds = (ms: number): number => Math.round(ms) / 1000;
