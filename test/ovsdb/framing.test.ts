import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameBytes, frameText } from '../../src/ovsdb/framing.js';
import { JsonSplitter, OvsdbProtocolError } from '../../src/ovsdb/index.js';

/** Splits `buf` at the given (sorted, deduplicated) offsets. */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

const jsonValue = fc.oneof(
  fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()),
  fc.array(fc.jsonValue()),
);

describe('JsonSplitter', () => {
  it('returns the same values for any chunking (strings, escapes, multi-byte UTF-8)', () => {
    fc.assert(
      fc.property(fc.array(jsonValue, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), fc.constantFrom('', ' ', '\n'), (values, cuts, sep) => {
        const text = values.map((v) => JSON.stringify(v)).join(sep);
        const s = new JsonSplitter();
        const got: unknown[] = [];
        for (const chunk of split(Buffer.from(text, 'utf8'), cuts)) for (const t of s.push(chunk)) got.push(JSON.parse(t));
        expect(got).toEqual(values.map((v) => JSON.parse(JSON.stringify(v)) as unknown));
        expect(s.pendingBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('only delimits values over textMaxBytes, for any chunking, and reads the others whole (property)', () => {
    fc.assert(
      fc.property(fc.array(jsonValue, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), fc.nat({ max: 64 }), (values, cuts, max) => {
        const texts = values.map((v) => JSON.stringify(v));
        const s = new JsonSplitter(undefined, undefined, max);
        const got: { text: string; bytes: number }[] = [];
        for (const chunk of split(Buffer.from(texts.join(' '), 'utf8'), cuts)) for (const f of s.frames(chunk)) got.push({ text: frameText(f), bytes: f.bytes });
        expect(got).toEqual(texts.map((t) => ({ text: Buffer.byteLength(t) > max ? '' : t, bytes: Buffer.byteLength(t) })));
        expect(s.pendingBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('drops a half-read UTF-8 character of a value it only delimits', () => {
    const s = new JsonSplitter(undefined, undefined, 6);
    const a = Buffer.from('["ééé"]');
    const got = [...s.frames(a.subarray(0, 3)), ...s.frames(a.subarray(3)), ...s.frames(Buffer.from('["a')), ...s.frames(Buffer.from('b"]'))];
    expect(got.map((f) => f.text)).toEqual(['', '["ab"]']);
  });

  it('tracks runs of backslashes before quotes across chunk boundaries', () => {
    const tricky = fc.string({ unit: fc.constantFrom('\\', '"', '}', 'a', 'é', '😀'), maxLength: 30 });
    fc.assert(
      fc.property(fc.array(fc.array(tricky, { maxLength: 4 }), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 30 }), (values, cuts) => {
        const text = values.map((v) => JSON.stringify(v)).join('');
        const s = new JsonSplitter();
        const got: unknown[] = [];
        for (const chunk of split(Buffer.from(text, 'utf8'), cuts)) for (const t of s.push(chunk)) got.push(JSON.parse(t));
        expect(got).toEqual(values);
      }),
      { numRuns: 500 },
    );
  });

  it('handles braces, brackets, quotes and backslashes inside strings split byte by byte', () => {
    const v = { a: 'x}]"\\{[', 'k"}': ['\\', '\\"', 'é😀€'], n: [1, [2, { z: '}' }]] };
    const buf = Buffer.from(JSON.stringify(v) + JSON.stringify([v]), 'utf8');
    const s = new JsonSplitter();
    const got: unknown[] = [];
    for (let i = 0; i < buf.length; i++) for (const t of s.push(buf.subarray(i, i + 1))) got.push(JSON.parse(t));
    expect(got).toEqual([v, [v]]);
  });

  it('scans a large value in linear time whatever the chunk size', () => {
    const big = Buffer.from(JSON.stringify({ rows: Array.from({ length: 100_000 }, (_, i) => ({ name: `row-${i}`, n: i })) }));
    const time = (size: number) => {
      const s = new JsonSplitter();
      const t0 = performance.now();
      let n = 0;
      for (let i = 0; i < big.length; i += size) n += s.push(big.subarray(i, i + size)).length;
      expect(n).toBe(1);
      return performance.now() - t0;
    };
    time(65536);
    const coarse = time(65536);
    const fine = time(512);
    // A rescanning splitter would be ~128x slower with 512-byte chunks.
    expect(fine).toBeLessThan(coarse * 8 + 50);
  });

  it('returns a value of spanMinBytes or more as its bytes with spans, any smaller one as text', () => {
    const small = JSON.stringify({ a: 'é'.repeat(10) });
    const large = JSON.stringify({ rows: { u1: { n: 'é😀' }, u2: [1, 2] } });
    const s = new JsonSplitter(undefined, Buffer.byteLength(small) + 1);
    const buf = Buffer.from(small + large);
    const got = [...s.frames(buf.subarray(0, 30)), ...s.frames(buf.subarray(30))];
    expect(got[0]).toEqual({ text: small, bytes: Buffer.byteLength(small) });
    expect(got[1]!.text).toBeUndefined();
    expect(got[1]!.data!.toString()).toBe(large);
    expect(frameText(got[1]!)).toBe(large);
    // [start, end, depth]: the value, rows, u1, u2.
    const spans = Array.from(got[1]!.spans!);
    const bytesOf = (i: number) => got[1]!.data!.text(spans[3 * i]!, spans[3 * i + 1]!);
    expect(spans.filter((_, k) => k % 3 === 2)).toEqual([1, 2, 3, 3]);
    expect([1, 2, 3].map(bytesOf)).toEqual([JSON.stringify({ u1: { n: 'é😀' }, u2: [1, 2] }), JSON.stringify({ n: 'é😀' }), '[1,2]']);
  });

  it('reads any range of a value held in its chunks, in any order, across chunk and character boundaries', () => {
    const text = 'aé😀[]{"k":"ü"}'.repeat(40);
    const buf = Buffer.from(text, 'utf8');
    // Character starts: a range cut there holds whole characters, as spans' brackets do.
    const cuts = [...Array(buf.length + 1).keys()].filter((i) => i === buf.length || (buf[i]! & 0xc0) !== 0x80);
    for (const size of [1, 3, 7, 64, buf.length]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < buf.length; i += size) pieces.push(buf.subarray(i, i + size));
      const bytes = new FrameBytes(pieces, buf.length);
      expect(bytes.toString()).toBe(text);
      for (let k = 0; k < 200; k++) {
        const a = cuts[(k * 7919) % cuts.length]!;
        const b = cuts[(k * 104729 + 13) % cuts.length]!;
        const [start, end] = a <= b ? [a, b] : [b, a];
        expect(bytes.text(start, end)).toBe(buf.subarray(start, end).toString('utf8'));
      }
    }
  });

  it('rejects a message that does not start with { or [', () => {
    const s = new JsonSplitter();
    expect(() => s.push(Buffer.from('{"a":1} x'))).toThrow(OvsdbProtocolError);
    expect(() => new JsonSplitter().push(Buffer.from('"str"'))).toThrow(/expected '\{' or '\['/);
  });

  it('reports the bytes of an unfinished value and limits value size', () => {
    const s = new JsonSplitter();
    expect(s.push(Buffer.from('{"a":[1,2'))).toEqual([]);
    expect(s.pendingBytes).toBe(9);
    expect(() => new JsonSplitter(16).push(Buffer.from('{"a":"0123456789abcdef'))).toThrow(/exceeds 16 bytes/);
  });
});
