// Selector programs over two-level bitsets. Every row (posting, register,
// result) has a summary: one bit per 128-bit block, in u64 words,
// sw = ceil(stride / 64) of them. A clear summary bit means the block is zero
// (a register block under a clear bit is garbage, read as zero); a set bit
// means the block may hold bits. Steps visit only summarised blocks, so a
// selector costs what its postings hold, not the pod count.
//
// Program set layout (u32, written by src/index/selector-set.ts):
//   dir[i] .. dir[i+1]  : the steps of program i, as u32 offsets into code
//   step                : header (op | dst << 8 | srcIsRegister << 16), operand
// Postings: row p at post + p * stride * 16, its summary at psum + p * sw * 8.
// Results: row i at res + i * stride * 16, summary at rsum + i * sw * 8,
// count at cnt + i * 4. Register 0 is the result row itself.
// Scratch: summaries of registers 1..3 and of the blocks written to register 0
// (4 * sw u64, rounded up to 16 bytes), then the rows of registers 1..3.
import { popc128 } from './bitset';

const OP_LOAD: u32 = 1;
const OP_AND: u32 = 2;
const OP_OR: u32 = 3;
const OP_ANDNOT: u32 = 4;
const OP_CLEAR: u32 = 5;

// @ts-ignore: decorator
@inline function regRows(scratch: usize, sw: i32): usize {
  return scratch + ((<usize>(4 * sw) * 8 + 15) & ~<usize>15);
}

/** dp = ap & bp over the blocks both summaries hold; ds = the non-zero ones; returns the bits set. */
function andCount(dp: usize, ds: usize, ap: usize, as: usize, bp: usize, bs: usize, sw: i32, dirty: usize): i32 {
  let n = 0;
  for (let w = 0; w < sw; w++) {
    const wo = <usize>w << 3;
    let m = load<u64>(as + wo) & load<u64>(bs + wo);
    if (dirty) store<u64>(dirty + wo, load<u64>(dirty + wo) | m);
    let out: u64 = 0;
    while (m != 0) {
      const t = ctz<u64>(m);
      m &= m - 1;
      const o = ((<usize>w << 6) + <usize>t) << 4;
      const v = v128.and(v128.load(ap + o), v128.load(bp + o));
      v128.store(dp + o, v);
      if (v128.any_true(v)) {
        n += popc128(v);
        out |= <u64>1 << t;
      }
    }
    store<u64>(ds + wo, out);
  }
  return n;
}

function loadRow(dp: usize, ds: usize, sp: usize, ss: usize, sw: i32, dirty: usize): void {
  for (let w = 0; w < sw; w++) {
    const wo = <usize>w << 3;
    let m = load<u64>(ss + wo);
    store<u64>(ds + wo, m);
    if (dirty) store<u64>(dirty + wo, load<u64>(dirty + wo) | m);
    while (m != 0) {
      const t = ctz<u64>(m);
      m &= m - 1;
      const o = ((<usize>w << 6) + <usize>t) << 4;
      v128.store(dp + o, v128.load(sp + o));
    }
  }
}

function andNotRow(dp: usize, ds: usize, sp: usize, ss: usize, sw: i32): void {
  for (let w = 0; w < sw; w++) {
    const wo = <usize>w << 3;
    let sd = load<u64>(ds + wo);
    let m = sd & load<u64>(ss + wo);
    while (m != 0) {
      const t = ctz<u64>(m);
      m &= m - 1;
      const o = ((<usize>w << 6) + <usize>t) << 4;
      const v = v128.andnot(v128.load(dp + o), v128.load(sp + o));
      v128.store(dp + o, v);
      if (!v128.any_true(v)) sd &= ~(<u64>1 << t);
    }
    store<u64>(ds + wo, sd);
  }
}

function orRow(dp: usize, ds: usize, sp: usize, ss: usize, sw: i32, dirty: usize): void {
  for (let w = 0; w < sw; w++) {
    const wo = <usize>w << 3;
    const sd = load<u64>(ds + wo);
    const s = load<u64>(ss + wo);
    if (dirty) store<u64>(dirty + wo, load<u64>(dirty + wo) | s);
    let m = s;
    while (m != 0) {
      const t = ctz<u64>(m);
      m &= m - 1;
      const o = ((<usize>w << 6) + <usize>t) << 4;
      // A block outside dst's summary is garbage there: copy instead of OR.
      const src = v128.load(sp + o);
      v128.store(dp + o, (sd >> t) & 1 ? v128.or(v128.load(dp + o), src) : src);
    }
    store<u64>(ds + wo, sd | s);
  }
}

/** Runs one program into result row `row` (summary `rs`); returns its count. */
function runProgram(
  code: usize, start: u32, end: u32, post: usize, psum: usize, stride: i32, sw: i32, scratch: usize, row: usize, rs: usize,
): i32 {
  const rowBytes = <usize>stride << 4;
  const sumBytes = <usize>sw << 3;
  const regs = regRows(scratch, sw);
  const dirty = scratch + 3 * sumBytes;
  // The blocks the previous result held, plus whatever this run writes: cleared at the end unless in the result.
  // (Word loops: memory.copy/fill calls cost more than these few words. Registers 1..3 need no
  // clearing: the compiler's first step on each is a LOAD.)
  for (let w = 0; w < sw; w++) {
    const wo = <usize>w << 3;
    store<u64>(dirty + wo, load<u64>(rs + wo));
    store<u64>(rs + wo, 0);
  }
  let counted = false;
  let count = 0;
  for (let s = start; s < end; s += 2) {
    const h = load<u32>(code + (<usize>s << 2));
    const opd = load<u32>(code + (<usize>s << 2) + 4);
    const op = h & 0xff;
    const d = (h >>> 8) & 0xff;
    const dp = d == 0 ? row : regs + <usize>(d - 1) * rowBytes;
    const ds = d == 0 ? rs : scratch + <usize>(d - 1) * sumBytes;
    const dd = d == 0 ? dirty : 0;
    let sp: usize, ss: usize;
    if ((h >>> 16) & 1) {
      sp = opd == 0 ? row : regs + <usize>(opd - 1) * rowBytes;
      ss = opd == 0 ? rs : scratch + <usize>(opd - 1) * sumBytes;
    } else {
      sp = post + <usize>opd * rowBytes;
      ss = psum + <usize>opd * sumBytes;
    }
    if (d == 0) counted = false;
    if (op == OP_LOAD && s + 2 < end) {
      // LOAD followed by AND into the same register: one counting pass, dst = a & b.
      const h2 = load<u32>(code + (<usize>(s + 2) << 2));
      if ((h2 & 0xff) == OP_AND && ((h2 >>> 8) & 0xff) == d) {
        const opd2 = load<u32>(code + (<usize>(s + 2) << 2) + 4);
        let bp: usize, bs: usize;
        if ((h2 >>> 16) & 1) {
          bp = opd2 == 0 ? row : regs + <usize>(opd2 - 1) * rowBytes;
          bs = opd2 == 0 ? rs : scratch + <usize>(opd2 - 1) * sumBytes;
        } else {
          bp = post + <usize>opd2 * rowBytes;
          bs = psum + <usize>opd2 * sumBytes;
        }
        const n = andCount(dp, ds, sp, ss, bp, bs, sw, dd);
        if (d == 0) {
          counted = true;
          count = n;
        }
        s += 2;
        continue;
      }
    }
    if (op == OP_CLEAR) memory.fill(ds, 0, sumBytes);
    else if (op == OP_LOAD) loadRow(dp, ds, sp, ss, sw, dd);
    else if (op == OP_AND) {
      const n = andCount(dp, ds, dp, ds, sp, ss, sw, 0);
      if (d == 0) {
        counted = true;
        count = n;
      }
    } else if (op == OP_ANDNOT) andNotRow(dp, ds, sp, ss, sw);
    else if (op == OP_OR) orRow(dp, ds, sp, ss, sw, dd);
  }
  if (!counted) {
    // The last step on the result did not count (LOAD, OR, ANDNOT, CLEAR): count, dropping empty blocks.
    count = 0;
    for (let w = 0; w < sw; w++) {
      const wo = <usize>w << 3;
      let m = load<u64>(rs + wo);
      let out: u64 = 0;
      while (m != 0) {
        const t = ctz<u64>(m);
        m &= m - 1;
        const c = popc128(v128.load(row + (((<usize>w << 6) + <usize>t) << 4)));
        if (c != 0) {
          count += c;
          out |= <u64>1 << t;
        }
      }
      store<u64>(rs + wo, out);
    }
  }
  // A result row is a plain bitset too: zero every block written or held before that is not in the result.
  for (let w = 0; w < sw; w++) {
    const wo = <usize>w << 3;
    let m = load<u64>(dirty + wo) & ~load<u64>(rs + wo);
    while (m != 0) {
      const t = ctz<u64>(m);
      m &= m - 1;
      v128.store(row + (((<usize>w << 6) + <usize>t) << 4), i64x2.splat(0));
    }
  }
  return count;
}

/** Evaluates programs [from, to) into their result rows and counts; returns the sum of the counts. */
export function evalRange(
  dir: usize, code: usize, from: i32, to: i32,
  post: usize, psum: usize, stride: i32, sw: i32, scratch: usize, res: usize, rsum: usize, cnt: usize,
): f64 {
  const rowBytes = <usize>stride << 4;
  const sumBytes = <usize>sw << 3;
  let total: f64 = 0;
  for (let i = from; i < to; i++) {
    const start = load<u32>(dir + (<usize>i << 2));
    const end = load<u32>(dir + (<usize>i << 2) + 4);
    const n = runProgram(code, start, end, post, psum, stride, sw, scratch, res + <usize>i * rowBytes, rsum + <usize>i * sumBytes);
    store<i32>(cnt + (<usize>i << 2), n);
    total += <f64>n;
  }
  return total;
}

/**
 * Re-evaluates programs for one slot only (its bit in each posting): the n
 * programs listed at ids (u32 each), or programs 0..n-1 when ids is 0. Flips
 * the stored result bit where it changed, keeps counts and summaries right,
 * and writes the indices of the changed programs to out. Returns how many.
 */
export function evalSlot(
  dir: usize, code: usize, ids: usize, n: i32,
  post: usize, stride: i32, sw: i32, slot: i32, res: usize, rsum: usize, cnt: usize, out: usize,
): i32 {
  const rowBytes = <usize>stride << 4;
  const sumBytes = <usize>sw << 3;
  const wordOff = <usize>(slot >>> 5) << 2;
  const bit: u32 = 1 << (<u32>slot & 31);
  const block = slot >>> 7;
  let changed = 0;
  for (let k = 0; k < n; k++) {
    const i = ids ? load<i32>(ids + (<usize>k << 2)) : k;
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
    if (want == <u32>((w & bit) != 0)) continue;
    store<u32>(wp, w ^ bit);
    const cp = cnt + (<usize>i << 2);
    if (want) {
      const sp = rsum + <usize>i * sumBytes + (<usize>(block >>> 6) << 3);
      store<u64>(sp, load<u64>(sp) | (<u64>1 << <u64>(block & 63)));
      store<i32>(cp, load<i32>(cp) + 1);
    } else {
      store<i32>(cp, load<i32>(cp) - 1);
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
 * Indices of result rows [from, to) that share a bit with probe (a plain
 * bitset of probeBlocks blocks), written to out; returns how many.
 */
export function rowsIntersecting(
  res: usize, rsum: usize, stride: i32, sw: i32, from: i32, to: i32, probe: usize, probeBlocks: i32, out: usize,
): i32 {
  const rowBytes = <usize>stride << 4;
  const sumBytes = <usize>sw << 3;
  let n = 0;
  for (let i = from; i < to; i++) {
    const row = res + <usize>i * rowBytes;
    const rs = rsum + <usize>i * sumBytes;
    let hit = false;
    for (let w = 0; w < sw && !hit; w++) {
      let m = load<u64>(rs + (<usize>w << 3));
      while (m != 0) {
        const b = (w << 6) + <i32>ctz<u64>(m);
        m &= m - 1;
        if (b >= probeBlocks) break;
        const o = <usize>b << 4;
        if (v128.any_true(v128.and(v128.load(row + o), v128.load(probe + o)))) {
          hit = true;
          break;
        }
      }
    }
    if (hit) {
      store<i32>(out + (<usize>n << 2), i);
      n++;
    }
  }
  return n;
}

/** Set bits of a two-level row, ascending, written to out (u32 each); returns how many. */
export function sumCollect(row: usize, sum: usize, sw: i32, out: usize): i32 {
  let n = 0;
  for (let w = 0; w < sw; w++) {
    let m = load<u64>(sum + (<usize>w << 3));
    while (m != 0) {
      const b = (<usize>w << 6) + <usize>ctz<u64>(m);
      m &= m - 1;
      for (let h: usize = 0; h < 2; h++) {
        const word = (b << 1) + h;
        let x = load<u64>(row + (word << 3));
        while (x != 0) {
          store<u32>(out + (<usize>n << 2), <u32>((word << 6) + <usize>ctz<u64>(x)));
          n++;
          x &= x - 1;
        }
      }
    }
  }
  return n;
}

/** Posting update: dst |= src (dst's blocks outside its summary are zero). */
export function sumOrInto(dst: usize, dsum: usize, src: usize, ssum: usize, sw: i32): void {
  for (let w = 0; w < sw; w++) {
    const wo = <usize>w << 3;
    let m = load<u64>(ssum + wo);
    store<u64>(dsum + wo, load<u64>(dsum + wo) | m);
    while (m != 0) {
      const o = ((<usize>w << 6) + <usize>ctz<u64>(m)) << 4;
      m &= m - 1;
      v128.store(dst + o, v128.or(v128.load(dst + o), v128.load(src + o)));
    }
  }
}

/** Posting update: dst &= ~src (the summary stays a superset). */
export function sumAndNotInto(dst: usize, dsum: usize, src: usize, ssum: usize, sw: i32): void {
  for (let w = 0; w < sw; w++) {
    const wo = <usize>w << 3;
    let m = load<u64>(dsum + wo) & load<u64>(ssum + wo);
    while (m != 0) {
      const o = ((<usize>w << 6) + <usize>ctz<u64>(m)) << 4;
      m &= m - 1;
      v128.store(dst + o, v128.andnot(v128.load(dst + o), v128.load(src + o)));
    }
  }
}
