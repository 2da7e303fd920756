// Selector programs: a few steps over posting bitsets into registers, with
// block ranges carried along so sparse (namespace-scoped) selectors touch only
// the blocks where their postings have bits.
//
// Program set layout (all u32, written by src/index/program-set.ts):
//   dir[i] .. dir[i+1]  : the steps of program i, as u32 offsets into code
//   step                : header (op | dst << 8 | srcIsRegister << 16), operand
// Postings: row p at post + p * stride * 16, its block range at rng[2p], rng[2p+1]
// (a superset of the blocks holding bits; the row is zero outside it).
// Scratch: 64 bytes of register ranges (lo, hi per register), then MAX_REGS rows.
// Results: row i at res + i * stride * 16, header i at hdr + i * 16 = lo, hi, count;
// a result row is zero outside [lo, hi), so it is also a plain bitset.
import { popc128 } from './bitset';

const OP_LOAD: u32 = 1;
const OP_AND: u32 = 2;
const OP_OR: u32 = 3;
const OP_ANDNOT: u32 = 4;
const OP_CLEAR: u32 = 5;
export const MAX_REGS: i32 = 4;
const SCRATCH_HEADER: usize = 64;

// @ts-ignore: decorator
@inline function regLo(scratch: usize, r: u32): i32 { return load<i32>(scratch + (<usize>r << 3)); }
// @ts-ignore: decorator
@inline function regHi(scratch: usize, r: u32): i32 { return load<i32>(scratch + (<usize>r << 3) + 4); }
// @ts-ignore: decorator
@inline function setReg(scratch: usize, r: u32, lo: i32, hi: i32): void {
  store<i32>(scratch + (<usize>r << 3), lo);
  store<i32>(scratch + (<usize>r << 3) + 4, hi);
}

function zeroBlocks(p: usize, lo: i32, hi: i32): void {
  if (hi > lo) memory.fill(p + (<usize>lo << 4), 0, <usize>(hi - lo) << 4);
}

// Scratch header words 8.. hold what the last counting pass found.
const F_FIRST: usize = 32;
const F_LAST: usize = 36;
const F_COUNT: usize = 40;

/** dp[b] = ap[b] & bp[b] over [lo, hi), counting bits and finding the first and last non-zero block. */
function andCount(dp: usize, ap: usize, bp: usize, lo: i32, hi: i32, scratch: usize): void {
  let first = hi;
  let last = lo - 1;
  let n = 0;
  for (let i = lo; i < hi; i++) {
    const o = <usize>i << 4;
    const v = v128.and(v128.load(ap + o), v128.load(bp + o));
    v128.store(dp + o, v);
    if (v128.any_true(v)) {
      n += popc128(v);
      if (first == hi) first = i;
      last = i;
    }
  }
  store<i32>(scratch + F_FIRST, first);
  store<i32>(scratch + F_LAST, last);
  store<i32>(scratch + F_COUNT, n);
}

/** Runs one program with register 0 being the result row itself (no copy at the end); returns its count. */
function runProgram(code: usize, start: u32, end: u32, post: usize, rng: usize, rowBytes: usize, scratch: usize, row: usize, hp: usize): i32 {
  const regs = scratch + SCRATCH_HEADER;
  for (let r: u32 = 0; r < <u32>MAX_REGS; r++) setReg(scratch, r, 0, 0);
  // Blocks of the row written by this run (a superset), to clear what ends outside the result.
  let wlo = load<i32>(hp);
  let whi = load<i32>(hp + 4);
  if (whi <= wlo) {
    wlo = 0x7fffffff;
    whi = 0;
  }
  let counted = false;
  let count = 0;
  for (let s = start; s < end; s += 2) {
    const h = load<u32>(code + (<usize>s << 2));
    const opd = load<u32>(code + (<usize>s << 2) + 4);
    const op = h & 0xff;
    const d = (h >>> 8) & 0xff;
    const dp = d == 0 ? row : regs + <usize>d * rowBytes;
    let dlo = regLo(scratch, d);
    let dhi = regHi(scratch, d);
    let sp: usize, slo: i32, shi: i32;
    if ((h >>> 16) & 1) {
      sp = regs + <usize>opd * rowBytes;
      slo = regLo(scratch, opd);
      shi = regHi(scratch, opd);
    } else {
      sp = post + <usize>opd * rowBytes;
      slo = load<i32>(rng + (<usize>opd << 3));
      shi = load<i32>(rng + (<usize>opd << 3) + 4);
    }
    if (d == 0) counted = false;
    if (op == OP_LOAD && s + 2 < end && slo < shi) {
      // LOAD followed by AND into the same register: one pass, dst = a & b.
      const h2 = load<u32>(code + (<usize>(s + 2) << 2));
      if ((h2 & 0xff) == OP_AND && ((h2 >>> 8) & 0xff) == d) {
        const opd2 = load<u32>(code + (<usize>(s + 2) << 2) + 4);
        let bp: usize, blo: i32, bhi: i32;
        if ((h2 >>> 16) & 1) {
          bp = regs + <usize>opd2 * rowBytes;
          blo = regLo(scratch, opd2);
          bhi = regHi(scratch, opd2);
        } else {
          bp = post + <usize>opd2 * rowBytes;
          blo = load<i32>(rng + (<usize>opd2 << 3));
          bhi = load<i32>(rng + (<usize>opd2 << 3) + 4);
        }
        const lo = max(slo, blo);
        const hi = min(shi, bhi);
        if (lo >= hi) setReg(scratch, d, 0, 0);
        else {
          andCount(dp, sp, bp, lo, hi, scratch);
          if (d == 0) {
            wlo = min(wlo, lo);
            whi = max(whi, hi);
          }
          const first = load<i32>(scratch + F_FIRST);
          const last = load<i32>(scratch + F_LAST);
          if (last < first) setReg(scratch, d, 0, 0);
          else setReg(scratch, d, first, last + 1);
        }
        if (d == 0) {
          counted = true;
          count = lo >= hi ? 0 : load<i32>(scratch + F_COUNT);
        }
        s += 2;
        continue;
      }
    }
    if (op == OP_CLEAR || (op == OP_LOAD && slo >= shi)) {
      setReg(scratch, d, 0, 0);
    } else if (op == OP_LOAD || (op == OP_OR && dlo >= dhi)) {
      memory.copy(dp + (<usize>slo << 4), sp + (<usize>slo << 4), <usize>(shi - slo) << 4);
      setReg(scratch, d, slo, shi);
      if (d == 0) {
        wlo = min(wlo, slo);
        whi = max(whi, shi);
      }
    } else if (op == OP_AND) {
      const lo = max(dlo, slo);
      const hi = min(dhi, shi);
      if (lo >= hi) setReg(scratch, d, 0, 0);
      else {
        andCount(dp, dp, sp, lo, hi, scratch);
        const first = load<i32>(scratch + F_FIRST);
        const last = load<i32>(scratch + F_LAST);
        if (last < first) setReg(scratch, d, 0, 0);
        else setReg(scratch, d, first, last + 1);
      }
      if (d == 0) {
        counted = true;
        count = lo >= hi ? 0 : load<i32>(scratch + F_COUNT);
      }
    } else if (op == OP_ANDNOT) {
      const lo = max(dlo, slo);
      const hi = min(dhi, shi);
      for (let i = lo; i < hi; i++) {
        const o = <usize>i << 4;
        v128.store(dp + o, v128.andnot(v128.load(dp + o), v128.load(sp + o)));
      }
    } else if (op == OP_OR) {
      if (shi > slo) {
        const lo = min(dlo, slo);
        const hi = max(dhi, shi);
        zeroBlocks(dp, lo, dlo);
        zeroBlocks(dp, dhi, hi);
        for (let i = slo; i < shi; i++) {
          const o = <usize>i << 4;
          v128.store(dp + o, v128.or(v128.load(dp + o), v128.load(sp + o)));
        }
        setReg(scratch, d, lo, hi);
        if (d == 0) {
          wlo = min(wlo, lo);
          whi = max(whi, hi);
        }
      }
    }
  }
  let lo = regLo(scratch, 0);
  let hi = regHi(scratch, 0);
  if (!counted) {
    // The last step on the result did not count (LOAD, OR, ANDNOT): count and trim now.
    let first = hi;
    let last = lo - 1;
    count = 0;
    for (let b = lo; b < hi; b++) {
      const c = popc128(v128.load(row + (<usize>b << 4)));
      if (c != 0) {
        count += c;
        if (first == hi) first = b;
        last = b;
      }
    }
    if (last < first) {
      lo = 0;
      hi = 0;
    } else {
      lo = first;
      hi = last + 1;
    }
  }
  // Everything this run or the previous result touched outside [lo, hi) must read as zero.
  if (whi > wlo) {
    if (hi > lo) {
      zeroBlocks(row, wlo, min(whi, lo));
      zeroBlocks(row, max(wlo, hi), whi);
    } else zeroBlocks(row, wlo, whi);
  }
  store<i32>(hp, lo);
  store<i32>(hp + 4, hi);
  store<i32>(hp + 8, count);
  return count;
}

/** Evaluates programs [from, to) into their result rows; returns the sum of their counts. */
export function evalRange(
  dir: usize, code: usize, from: i32, to: i32,
  post: usize, rng: usize, stride: i32, scratch: usize, res: usize, hdr: usize,
): f64 {
  const rowBytes = <usize>stride << 4;
  let total: f64 = 0;
  for (let i = from; i < to; i++) {
    const start = load<u32>(dir + (<usize>i << 2));
    const end = load<u32>(dir + (<usize>i << 2) + 4);
    total += <f64>runProgram(code, start, end, post, rng, rowBytes, scratch, res + <usize>i * rowBytes, hdr + (<usize>i << 4));
  }
  return total;
}

/**
 * Re-evaluates every program [from, to) for one slot only (its bit in each
 * posting), flips the stored result bit where it changed, keeps headers right,
 * and writes the indices of the changed programs to out. Returns how many.
 */
export function evalSlot(
  dir: usize, code: usize, from: i32, to: i32,
  post: usize, stride: i32, slot: i32, res: usize, hdr: usize, out: usize,
): i32 {
  const rowBytes = <usize>stride << 4;
  const wordOff = <usize>(slot >>> 5) << 2;
  const bit: u32 = 1 << (<u32>slot & 31);
  const block = slot >>> 7;
  let changed = 0;
  for (let i = from; i < to; i++) {
    const start = load<u32>(dir + (<usize>i << 2));
    const end = load<u32>(dir + (<usize>i << 2) + 4);
    let regs: u32 = 0;
    for (let s = start; s < end; s += 2) {
      const h = load<u32>(code + (<usize>s << 2));
      const opd = load<u32>(code + (<usize>s << 2) + 4);
      const op = h & 0xff;
      const d = (h >>> 8) & 0xff;
      const sv: u32 = (h >>> 16) & 1
        ? (regs >>> opd) & 1
        : <u32>((load<u32>(post + <usize>opd * rowBytes + wordOff) & bit) != 0);
      const dv = (regs >>> d) & 1;
      let nv: u32 = 0;
      if (op == OP_LOAD) nv = sv;
      else if (op == OP_AND) nv = dv & sv;
      else if (op == OP_OR) nv = dv | sv;
      else if (op == OP_ANDNOT) nv = dv & (sv ^ 1);
      regs = (regs & ~(<u32>1 << d)) | (nv << d);
    }
    const want = regs & 1;
    const wp = res + <usize>i * rowBytes + wordOff;
    const w = load<u32>(wp);
    const have: u32 = <u32>((w & bit) != 0);
    if (want == have) continue;
    const hp = hdr + (<usize>i << 4);
    store<u32>(wp, w ^ bit);
    let lo = load<i32>(hp);
    let hi = load<i32>(hp + 4);
    if (want) {
      if (hi <= lo) {
        lo = block;
        hi = block + 1;
      } else {
        lo = min(lo, block);
        hi = max(hi, block + 1);
      }
      store<i32>(hp, lo);
      store<i32>(hp + 4, hi);
      store<i32>(hp + 8, load<i32>(hp + 8) + 1);
    } else {
      store<i32>(hp + 8, load<i32>(hp + 8) - 1);
    }
    store<i32>(out + (<usize>changed << 2), i);
    changed++;
  }
  return changed;
}

/** Indices of result rows [from, to) holding bit `slot`, written to out; returns how many. */
export function rowsWithBit(res: usize, stride: i32, from: i32, to: i32, slot: i32, out: usize): i32 {
  const rowBytes = <usize>stride << 4;
  const wordOff = <usize>(slot >>> 5) << 2;
  const bit: u32 = 1 << (<u32>slot & 31);
  let n = 0;
  for (let i = from; i < to; i++) {
    if (load<u32>(res + <usize>i * rowBytes + wordOff) & bit) {
      store<i32>(out + (<usize>n << 2), i);
      n++;
    }
  }
  return n;
}

/**
 * Indices of result rows [from, to) that share a bit with probe (set bits in
 * blocks [plo, phi)), written to out; returns how many.
 */
export function rowsIntersecting(
  res: usize, hdr: usize, stride: i32, from: i32, to: i32, probe: usize, plo: i32, phi: i32, out: usize,
): i32 {
  const rowBytes = <usize>stride << 4;
  let n = 0;
  for (let i = from; i < to; i++) {
    const hp = hdr + (<usize>i << 4);
    const lo = max(load<i32>(hp), plo);
    const hi = min(load<i32>(hp + 4), phi);
    const row = res + <usize>i * rowBytes;
    for (let b = lo; b < hi; b++) {
      const o = <usize>b << 4;
      if (v128.any_true(v128.and(v128.load(row + o), v128.load(probe + o)))) {
        store<i32>(out + (<usize>n << 2), i);
        n++;
        break;
      }
    }
  }
  return n;
}
