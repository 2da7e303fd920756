/**
 * The same compiled selector programs evaluated in plain JavaScript over
 * Uint32Array bitsets: the honest non-wasm baseline of the benchmark. It runs
 * the same algorithm as the wasm kernel (assembly/program.ts): two-level rows
 * (a summary bit per 128-bit block), register 0 written straight into the
 * result row, LOAD+AND fused into one counting pass, a SWAR popcount. Holds
 * its own copy of the postings, taken when constructed.
 */
import type { Program } from './compile.js';
import type { LabelIndex } from './label-index.js';
import { popcount32 } from './postings.js';

const W = 4; // u32 words per 128-bit block

/** A row: its words in `a` from `off`, its summary in `s` from `soff` (u32 words, bit per block). */
interface Ref {
  a: Uint32Array;
  off: number;
  s: Uint32Array;
  soff: number;
}

export class JsBitsetEvaluator {
  private readonly post: Uint32Array;
  private readonly psum: Uint32Array;
  private readonly words: number;
  /** Summary words (u32) per row. */
  private readonly sw: number;
  private readonly regRows: Uint32Array;
  private readonly regSums: Uint32Array;
  private readonly dirty: Uint32Array;
  private results = new Uint32Array(0);
  private rsum = new Uint32Array(0);

  constructor(index: LabelIndex) {
    const p = index.postings;
    const e = index.engine;
    this.words = p.stride * W;
    this.sw = p.sw * 2;
    this.post = e.u32.slice(p.base >>> 2, (p.base >>> 2) + p.rows * this.words);
    this.psum = e.u32.slice(p.sum >>> 2, (p.sum >>> 2) + p.rows * this.sw);
    this.regRows = new Uint32Array(4 * this.words);
    this.regSums = new Uint32Array(4 * this.sw);
    this.dirty = new Uint32Array(this.sw);
  }

  /** Evaluates every program into its own result bitset; returns the counts. */
  evaluate(programs: readonly Program[]): Int32Array {
    if (this.results.length !== programs.length * this.words) {
      this.results = new Uint32Array(programs.length * this.words);
      this.rsum = new Uint32Array(programs.length * this.sw);
    }
    const counts = new Int32Array(programs.length);
    for (let i = 0; i < programs.length; i++) counts[i] = this.run(programs[i]!.steps, i);
    return counts;
  }

  private reg(d: number, i: number): Ref {
    return d === 0
      ? { a: this.results, off: i * this.words, s: this.rsum, soff: i * this.sw }
      : { a: this.regRows, off: d * this.words, s: this.regSums, soff: d * this.sw };
  }

  private src(h: number, opd: number, i: number): Ref {
    return (h >>> 16) & 1 ? this.reg(opd, i) : { a: this.post, off: opd * this.words, s: this.psum, soff: opd * this.sw };
  }

  /** d = a & b over blocks both summaries hold; d's summary = the non-zero ones; returns the bits set. */
  private andCount(d: Ref, a: Ref, b: Ref, dirty: Uint32Array | undefined): number {
    let n = 0;
    for (let w = 0; w < this.sw; w++) {
      let m = a.s[a.soff + w]! & b.s[b.soff + w]!;
      if (dirty) dirty[w]! |= m;
      let out = 0;
      while (m !== 0) {
        const t = 31 - Math.clz32(m & -m);
        m &= m - 1;
        const o = ((w << 5) + t) * W;
        const x0 = (d.a[d.off + o] = a.a[a.off + o]! & b.a[b.off + o]!);
        const x1 = (d.a[d.off + o + 1] = a.a[a.off + o + 1]! & b.a[b.off + o + 1]!);
        const x2 = (d.a[d.off + o + 2] = a.a[a.off + o + 2]! & b.a[b.off + o + 2]!);
        const x3 = (d.a[d.off + o + 3] = a.a[a.off + o + 3]! & b.a[b.off + o + 3]!);
        if ((x0 | x1 | x2 | x3) !== 0) {
          n += popcount32(x0) + popcount32(x1) + popcount32(x2) + popcount32(x3);
          out |= 1 << t;
        }
      }
      d.s[d.soff + w] = out;
    }
    return n;
  }

  private run(steps: Uint32Array, i: number): number {
    const sw = this.sw;
    const r0 = this.reg(0, i);
    const dirty = this.dirty;
    for (let w = 0; w < sw; w++) {
      dirty[w] = r0.s[r0.soff + w]!;
      r0.s[r0.soff + w] = 0;
    }
    let counted = false;
    let count = 0;
    for (let s = 0; s < steps.length; s += 2) {
      const h = steps[s]!;
      const op = h & 0xff;
      const d = (h >>> 8) & 0xff;
      const dst = this.reg(d, i);
      const src = this.src(h, steps[s + 1]!, i);
      const dd = d === 0 ? dirty : undefined;
      if (d === 0) counted = false;
      if (op === 1 && s + 2 < steps.length && (steps[s + 2]! & 0xff) === 2 && ((steps[s + 2]! >>> 8) & 0xff) === d) {
        const n = this.andCount(dst, src, this.src(steps[s + 2]!, steps[s + 3]!, i), dd);
        if (d === 0) {
          counted = true;
          count = n;
        }
        s += 2;
        continue;
      }
      if (op === 5) dst.s.fill(0, dst.soff, dst.soff + sw);
      else if (op === 1) {
        for (let w = 0; w < sw; w++) {
          let m = src.s[src.soff + w]!;
          dst.s[dst.soff + w] = m;
          if (dd) dd[w]! |= m;
          while (m !== 0) {
            const o = ((w << 5) + 31 - Math.clz32(m & -m)) * W;
            m &= m - 1;
            for (let k = 0; k < W; k++) dst.a[dst.off + o + k] = src.a[src.off + o + k]!;
          }
        }
      } else if (op === 2) {
        const n = this.andCount(dst, dst, src, undefined);
        if (d === 0) {
          counted = true;
          count = n;
        }
      } else if (op === 4) {
        for (let w = 0; w < sw; w++) {
          let sd = dst.s[dst.soff + w]!;
          let m = sd & src.s[src.soff + w]!;
          while (m !== 0) {
            const t = 31 - Math.clz32(m & -m);
            m &= m - 1;
            const o = ((w << 5) + t) * W;
            let any = 0;
            for (let k = 0; k < W; k++) any |= dst.a[dst.off + o + k] = dst.a[dst.off + o + k]! & ~src.a[src.off + o + k]!;
            if (any === 0) sd &= ~(1 << t);
          }
          dst.s[dst.soff + w] = sd;
        }
      } else if (op === 3) {
        for (let w = 0; w < sw; w++) {
          const sd = dst.s[dst.soff + w]!;
          const ss = src.s[src.soff + w]!;
          if (dd) dd[w]! |= ss;
          let m = ss;
          while (m !== 0) {
            const t = 31 - Math.clz32(m & -m);
            m &= m - 1;
            const o = ((w << 5) + t) * W;
            const keep = (sd >>> t) & 1;
            for (let k = 0; k < W; k++) dst.a[dst.off + o + k] = (keep ? dst.a[dst.off + o + k]! : 0) | src.a[src.off + o + k]!;
          }
          dst.s[dst.soff + w] = sd | ss;
        }
      }
    }
    const row = this.results;
    const base = i * this.words;
    if (!counted) {
      count = 0;
      for (let w = 0; w < sw; w++) {
        let m = r0.s[r0.soff + w]!;
        let out = 0;
        while (m !== 0) {
          const t = 31 - Math.clz32(m & -m);
          m &= m - 1;
          const o = base + ((w << 5) + t) * W;
          const c = popcount32(row[o]!) + popcount32(row[o + 1]!) + popcount32(row[o + 2]!) + popcount32(row[o + 3]!);
          if (c !== 0) {
            count += c;
            out |= 1 << t;
          }
        }
        r0.s[r0.soff + w] = out;
      }
    }
    for (let w = 0; w < sw; w++) {
      let m = dirty[w]! & ~r0.s[r0.soff + w]!;
      while (m !== 0) {
        const o = base + ((w << 5) + 31 - Math.clz32(m & -m)) * W;
        m &= m - 1;
        row.fill(0, o, o + W);
      }
    }
    return count;
  }
}
