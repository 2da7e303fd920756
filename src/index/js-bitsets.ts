/**
 * The same compiled selector programs evaluated in plain JavaScript over
 * Uint32Array bitsets: the honest non-wasm baseline of the benchmark. It runs
 * the same algorithm as the wasm kernel (assembly/program.ts): block ranges,
 * register 0 written straight into the result row, LOAD+AND fused into one
 * counting pass, a SWAR popcount. Holds its own copy of the postings, taken
 * when constructed.
 */
import type { Program } from './compile.js';
import type { LabelIndex } from './label-index.js';

const W = 4; // u32 words per 128-bit block

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export class JsBitsetEvaluator {
  private readonly post: Uint32Array;
  private readonly rng: Int32Array;
  private readonly words: number;
  private readonly regs: Uint32Array[];
  private readonly regLo = new Int32Array(4);
  private readonly regHi = new Int32Array(4);
  private results = new Uint32Array(0);
  /** Stored block range of each result row (zero outside it), like the wasm result headers. */
  private resLo = new Int32Array(0);
  private resHi = new Int32Array(0);
  // Outputs of the last counting pass.
  private first = 0;
  private last = 0;
  private count = 0;

  constructor(index: LabelIndex) {
    const p = index.postings;
    const e = index.engine;
    this.words = p.stride * W;
    this.post = e.u32.slice(p.base >>> 2, (p.base >>> 2) + p.rows * this.words);
    this.rng = e.i32.slice(p.rng >>> 2, (p.rng >>> 2) + p.rows * 2);
    this.regs = Array.from({ length: 4 }, () => new Uint32Array(this.words));
  }

  /** Evaluates every program into its own result bitset; returns the counts. */
  evaluate(programs: readonly Program[]): Int32Array {
    if (this.results.length !== programs.length * this.words) {
      this.results = new Uint32Array(programs.length * this.words);
      this.resLo = new Int32Array(programs.length);
      this.resHi = new Int32Array(programs.length);
    }
    const counts = new Int32Array(programs.length);
    for (let i = 0; i < programs.length; i++) counts[i] = this.run(programs[i]!.steps, i);
    return counts;
  }

  /** d[doff + w] = a[aoff + w] & b[boff + w] over blocks [lo, hi), counting and finding the non-zero span. */
  private andCount(d: Uint32Array, doff: number, a: Uint32Array, aoff: number, b: Uint32Array, boff: number, lo: number, hi: number): void {
    let first = hi;
    let last = lo - 1;
    let n = 0;
    for (let blk = lo; blk < hi; blk++) {
      const w = blk * W;
      const x0 = (d[doff + w] = a[aoff + w]! & b[boff + w]!);
      const x1 = (d[doff + w + 1] = a[aoff + w + 1]! & b[boff + w + 1]!);
      const x2 = (d[doff + w + 2] = a[aoff + w + 2]! & b[boff + w + 2]!);
      const x3 = (d[doff + w + 3] = a[aoff + w + 3]! & b[boff + w + 3]!);
      if ((x0 | x1 | x2 | x3) !== 0) {
        n += popcount32(x0) + popcount32(x1) + popcount32(x2) + popcount32(x3);
        if (first === hi) first = blk;
        last = blk;
      }
    }
    this.first = first;
    this.last = last;
    this.count = n;
  }

  private setReg(d: number, lo: number, hi: number): void {
    this.regLo[d] = lo;
    this.regHi[d] = hi;
  }

  private run(steps: Uint32Array, i: number): number {
    const { regs, regLo, regHi, post, rng, words, results } = this;
    const rowOff = i * words;
    regLo.fill(0);
    regHi.fill(0);
    let wlo = this.resLo[i]!;
    let whi = this.resHi[i]!;
    if (whi <= wlo) {
      wlo = 0x7fffffff;
      whi = 0;
    }
    let counted = false;
    let count = 0;
    // Register d lives in arr(d) at offset off(d): register 0 is the result row.
    const arr = (d: number): Uint32Array => (d === 0 ? results : regs[d]!);
    const off = (d: number): number => (d === 0 ? rowOff : 0);
    for (let s = 0; s < steps.length; s += 2) {
      const h = steps[s]!;
      const opd = steps[s + 1]!;
      const op = h & 0xff;
      const d = (h >>> 8) & 0xff;
      const dst = arr(d);
      const doff = off(d);
      const dlo = regLo[d]!;
      const dhi = regHi[d]!;
      const isReg = ((h >>> 16) & 1) === 1;
      const src = isReg ? regs[opd]! : post;
      const soff = isReg ? 0 : opd * words;
      const slo = isReg ? regLo[opd]! : rng[2 * opd]!;
      const shi = isReg ? regHi[opd]! : rng[2 * opd + 1]!;
      if (d === 0) counted = false;
      if (op === 1 && s + 2 < steps.length && slo < shi && (steps[s + 2]! & 0xff) === 2 && ((steps[s + 2]! >>> 8) & 0xff) === d) {
        const h2 = steps[s + 2]!;
        const opd2 = steps[s + 3]!;
        const reg2 = ((h2 >>> 16) & 1) === 1;
        const b = reg2 ? regs[opd2]! : post;
        const boff = reg2 ? 0 : opd2 * words;
        const lo = Math.max(slo, reg2 ? regLo[opd2]! : rng[2 * opd2]!);
        const hi = Math.min(shi, reg2 ? regHi[opd2]! : rng[2 * opd2 + 1]!);
        if (lo >= hi) this.setReg(d, 0, 0);
        else {
          this.andCount(dst, doff, src, soff, b, boff, lo, hi);
          if (d === 0) {
            wlo = Math.min(wlo, lo);
            whi = Math.max(whi, hi);
          }
          if (this.last < this.first) this.setReg(d, 0, 0);
          else this.setReg(d, this.first, this.last + 1);
        }
        if (d === 0) {
          counted = true;
          count = lo >= hi ? 0 : this.count;
        }
        s += 2;
        continue;
      }
      if (op === 5 || (op === 1 && slo >= shi)) {
        this.setReg(d, 0, 0);
      } else if (op === 1 || (op === 3 && dlo >= dhi)) {
        dst.set(src.subarray(soff + slo * W, soff + shi * W), doff + slo * W);
        this.setReg(d, slo, shi);
        if (d === 0) {
          wlo = Math.min(wlo, slo);
          whi = Math.max(whi, shi);
        }
      } else if (op === 2) {
        const lo = Math.max(dlo, slo);
        const hi = Math.min(dhi, shi);
        if (lo >= hi) this.setReg(d, 0, 0);
        else {
          this.andCount(dst, doff, dst, doff, src, soff, lo, hi);
          if (this.last < this.first) this.setReg(d, 0, 0);
          else this.setReg(d, this.first, this.last + 1);
        }
        if (d === 0) {
          counted = true;
          count = lo >= hi ? 0 : this.count;
        }
      } else if (op === 4) {
        const lo = Math.max(dlo, slo);
        const hi = Math.min(dhi, shi);
        for (let w = lo * W; w < hi * W; w++) dst[doff + w] = dst[doff + w]! & ~src[soff + w]!;
      } else if (op === 3 && shi > slo) {
        const lo = Math.min(dlo, slo);
        const hi = Math.max(dhi, shi);
        dst.fill(0, doff + lo * W, doff + dlo * W);
        dst.fill(0, doff + dhi * W, doff + hi * W);
        for (let w = slo * W; w < shi * W; w++) dst[doff + w] = dst[doff + w]! | src[soff + w]!;
        this.setReg(d, lo, hi);
        if (d === 0) {
          wlo = Math.min(wlo, lo);
          whi = Math.max(whi, hi);
        }
      }
    }
    let lo = regLo[0]!;
    let hi = regHi[0]!;
    if (!counted) {
      let first = hi;
      let last = lo - 1;
      count = 0;
      for (let b = lo; b < hi; b++) {
        const w = rowOff + b * W;
        const c = popcount32(results[w]!) + popcount32(results[w + 1]!) + popcount32(results[w + 2]!) + popcount32(results[w + 3]!);
        if (c !== 0) {
          count += c;
          if (first === hi) first = b;
          last = b;
        }
      }
      if (last < first) lo = hi = 0;
      else {
        lo = first;
        hi = last + 1;
      }
    }
    if (whi > wlo) {
      if (hi > lo) {
        results.fill(0, rowOff + wlo * W, rowOff + Math.min(whi, lo) * W);
        results.fill(0, rowOff + Math.max(wlo, hi) * W, rowOff + whi * W);
      } else results.fill(0, rowOff + wlo * W, rowOff + whi * W);
    }
    this.resLo[i] = lo;
    this.resHi[i] = hi;
    return count;
  }
}
