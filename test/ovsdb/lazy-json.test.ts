import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonSplitter, SPAN_DEPTH } from '../../src/ovsdb/framing.js';
import { Deferred, parseFrame, settle, settleDeep } from '../../src/ovsdb/lazy-json.js';

/** Every frame of `text`, fed in chunks of `size` bytes, with spans on every value. */
function framesOf(text: string, size: number) {
  const s = new JsonSplitter(1 << 30, 0);
  const buf = Buffer.from(text, 'utf8');
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(...s.frames(buf.subarray(i, i + size)));
  return out;
}

/** Depths at which Deferred values sit in a parsed tree. */
function deferredDepths(v: unknown, depth = 1, out: number[] = []): number[] {
  if (typeof v !== 'object' || v === null) return out;
  for (const child of Object.values(v)) {
    if (child instanceof Deferred) out.push(depth + 1);
    else deferredDepths(child, depth + 1, out);
  }
  return out;
}

const container = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 7 })), fc.array(fc.jsonValue({ maxDepth: 7 })));

describe('lazy JSON frames', () => {
  it('settles to exactly what JSON.parse gives, whatever the chunking and the cut-out size', () => {
    fc.assert(
      fc.property(fc.array(container, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 400 }), (values, size, deferMax) => {
        const text = values.map((v) => JSON.stringify(v)).join('');
        const frames = framesOf(text, size);
        expect(frames.map((f) => settleDeep(parseFrame(f, deferMax)))).toEqual(values.map((v) => JSON.parse(JSON.stringify(v)) as unknown));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves small containers of a monitor reply as text down to the span depth, and settles each on demand', () => {
    const rows = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`u${i}`, { initial: { name: `row-${i}`, ports: ['set', [['uuid', `p${i}`]]] } }]));
    const reply = { id: 7, result: { Logical_Switch: rows, Big: { x: { initial: { blob: 'b'.repeat(500) } } } }, error: null };
    const [frame] = framesOf(JSON.stringify(reply), 1000);
    const parsed = parseFrame(frame!, 256) as { result: Record<string, Record<string, unknown>> };
    expect(parsed.result.Logical_Switch!.u3).toBeInstanceOf(Deferred);
    expect(settle(parsed.result.Logical_Switch!.u3)).toEqual(rows.u3);
    // A container too large to cut out stays inline; its small children are cut out instead.
    expect(parsed.result.Big!.x).not.toBeInstanceOf(Deferred);
    expect(Math.max(...deferredDepths(parsed))).toBeLessThanOrEqual(SPAN_DEPTH);
    expect(JSON.parse(JSON.stringify(parsed))).toEqual(reply);
  });

  it('cuts out a row larger than the cut-out size when it is a small share of its table', () => {
    const row = (i: number, n: number) => ({ initial: { name: `pg-${i}`, ports: ['set', Array.from({ length: n }, (_, k) => ['uuid', `p${i}-${k}`])] } });
    const rows = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`u${i}`, row(i, i === 7 ? 20 : 2)]));
    const reply = { id: 3, result: [false, 'txn', { Port_Group: rows }] };
    const [frame] = framesOf(JSON.stringify(reply), 4096);
    const large = JSON.stringify(rows.u7).length;
    const parsed = parseFrame(frame!, large - 1) as { result: [boolean, string, { Port_Group: Record<string, unknown> }] };
    expect(parsed.result[2].Port_Group.u7).toBeInstanceOf(Deferred);
    expect(settle(parsed.result[2].Port_Group.u7)).toEqual(rows.u7);
    // A container that is most of its parent stays inline, however large.
    expect(parsed.result[2]).not.toBeInstanceOf(Deferred);
    expect(parsed.result[2].Port_Group).not.toBeInstanceOf(Deferred);
    expect(settleDeep(parsed)).toEqual(reply);
  });

  it('cannot be fooled by a placeholder-like object from the peer', () => {
    const forged = { result: { T: { u: { '\u0000': 0 }, v: { '\u0000abc': 1 } } }, pad: 'x'.repeat(300) };
    const [frame] = framesOf(JSON.stringify(forged), 64);
    expect(settleDeep(parseFrame(frame!, 1 << 20))).toEqual(forged);
    expect(settleDeep(parseFrame(frame!, 8))).toEqual(forged);
  });

  it('cuts out the rows of a value with multi-byte UTF-8 too, each decoded whole from the bytes', () => {
    const v = { result: { T: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`u${i}`, { initial: { name: `é${i}😀` } }])) } };
    const [frame] = framesOf(JSON.stringify(v), 7);
    const parsed = parseFrame(frame!, 64);
    expect(deferredDepths(parsed)).toHaveLength(20);
    expect(settleDeep(parsed)).toEqual(v);
  });
});
