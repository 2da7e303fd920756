/**
 * Plain-JS dense bitsets: the compiled selector programs run over full-width
 * Uint32Array rows (every step touches every word), counted with a SWAR
 * popcount. The straightforward bitset implementation, as a benchmark
 * baseline; js-bitsets.ts is the same algorithm as the wasm kernel instead.
 */
import type { Program } from './compile.js';
import type { LabelIndex } from './label-index.js';
import { popcount32 } from './postings.js';

export class JsDenseEvaluator {
  private readonly rows: Uint32Array[];
  private readonly words: number;
  private readonly regs: Uint32Array[];
  private results: Uint32Array[] = [];

  constructor(index: LabelIndex) {
    const p = index.postings;
    const e = index.engine;
    this.words = p.stride * 4;
    this.rows = Array.from({ length: p.rows }, (_, r) => e.u32.slice(p.ptr(r) >>> 2, (p.ptr(r) >>> 2) + this.words));
    this.regs = Array.from({ length: 4 }, () => new Uint32Array(this.words));
  }

  /** Evaluates every program into its own result bitset; returns the counts. */
  evaluate(programs: readonly Program[]): Int32Array {
    if (this.results.length !== programs.length) this.results = programs.map(() => new Uint32Array(this.words));
    const counts = new Int32Array(programs.length);
    const words = this.words;
    for (let i = 0; i < programs.length; i++) {
      const steps = programs[i]!.steps;
      const regs = this.regs;
      regs[0] = this.results[i]!;
      for (let s = 0; s < steps.length; s += 2) {
        const h = steps[s]!;
        const op = h & 0xff;
        const d = regs[(h >>> 8) & 0xff]!;
        const src = (h >>> 16) & 1 ? regs[steps[s + 1]!]! : this.rows[steps[s + 1]!]!;
        if (op === 1) d.set(src);
        else if (op === 2) for (let w = 0; w < words; w++) d[w] = d[w]! & src[w]!;
        else if (op === 3) for (let w = 0; w < words; w++) d[w] = d[w]! | src[w]!;
        else if (op === 4) for (let w = 0; w < words; w++) d[w] = d[w]! & ~src[w]!;
        else if (op === 5) d.fill(0);
      }
      const r = regs[0];
      let n = 0;
      for (let w = 0; w < words; w++) n += popcount32(r[w]!);
      counts[i] = n;
    }
    return counts;
  }
}
