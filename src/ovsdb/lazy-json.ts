/**
 * Parses a large JSON-RPC message with its small shallow containers left as
 * text (Deferred), parsed one at a time by the consumer just before it
 * decodes them. A 100+ MB monitor reply parsed whole becomes one tree of
 * millions of objects that is alive at once, survives young-generation
 * collections (each copies it) and is promoted before the decoder drops it;
 * parsed row by row, each row's tree dies young and the reply's peak is its
 * bytes and rows' texts plus the decoded rows.
 *
 * How: every container at depth <= SPAN_DEPTH that is small (under
 * DEFER_MAX_BYTES, or a small share of its parent: one of a table's many
 * rows) and whose ancestors are not (the "frontier": in a monitor reply, the
 * row updates) is decoded from the frame's bytes on its own, and replaced in
 * the rest of the text by a placeholder object;
 * the rest, the skeleton, is parsed by JSON.parse, so keys, scalars and
 * escapes keep their exact meaning. Placeholders are then swapped for
 * Deferred instances down to SPAN_DEPTH. The placeholder's key holds a
 * random nonce, so the peer cannot forge one.
 */
import { randomBytes } from 'node:crypto';
import { SPAN_DEPTH, type Frame } from './framing.js';

/** Containers smaller than this are cut out. */
const DEFER_MAX_BYTES = 8192;
/**
 * A larger one is cut out when its parent is this many times its size: a
 * port group with thousands of ports among a table's rows is parsed when it
 * is decoded, not with the skeleton, where each of its uuids would be a
 * ["uuid", "…"] array alive until the whole table is decoded.
 */
const SHARE_OF_PARENT = 64;
const MARK = `\u0000${randomBytes(6).toString('hex')}`;
const MARK_JSON = JSON.stringify(MARK);

/** A JSON value not parsed yet; parse() returns a fresh tree each call. */
export class Deferred {
  constructor(readonly text: string) {}

  parse(): unknown {
    return JSON.parse(this.text) as unknown;
  }

  toJSON(): unknown {
    return this.parse();
  }
}

/** The value, parsed if it was deferred. */
export function settle(v: unknown): unknown {
  return v instanceof Deferred ? v.parse() : v;
}

/** The value with every deferred part parsed (for consumers that do not expect them). */
export function settleDeep(v: unknown): unknown {
  if (v instanceof Deferred) return v.parse();
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = settleDeep(v[i]);
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    for (const k in o) o[k] = settleDeep(o[k]);
  }
  return v;
}

/** Parses one frame: a small one whole, a large one (bytes with spans) as a skeleton with its small containers deferred. */
export function parseFrame(f: Frame, deferMaxBytes = DEFER_MAX_BYTES): unknown {
  const { data, spans } = f;
  if (!data || !spans) return JSON.parse(f.text ?? '') as unknown;
  // Spans start and end on brackets and braces: every cut falls between whole UTF-8 characters.
  const parts: string[] = [];
  const cut: string[] = [];
  let cursor = 0;
  // Size of the last container seen at each depth: the parent of the next one a level deeper.
  const sizeAt = new Int32Array(SPAN_DEPTH + 1);
  sizeAt[1] = data.length;
  // The first span is the value itself, which is never cut out.
  for (let k = 3; k < spans.length; k += 3) {
    const start = spans[k]!;
    const end = spans[k + 1]!;
    const depth = spans[k + 2]!;
    const size = end - start;
    sizeAt[depth] = size;
    if (start < cursor || (size >= deferMaxBytes && size * SHARE_OF_PARENT > sizeAt[depth - 1]!)) continue;
    parts.push(data.text(cursor, start), `{${MARK_JSON}:${cut.length}}`);
    cut.push(data.text(start, end));
    cursor = end;
  }
  parts.push(data.text(cursor, data.length));
  const root = JSON.parse(parts.join('')) as unknown;
  if (cut.length > 0) swapMarks(root, 1, cut);
  return root;
}

/** Replaces the placeholders among the children of `v` (at `depth`) and deeper, down to SPAN_DEPTH. */
function swapMarks(v: unknown, depth: number, cut: readonly string[]): void {
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const child = o[k];
    if (typeof child !== 'object' || child === null) continue;
    const mark = (child as Record<string, unknown>)[MARK];
    if (typeof mark === 'number' && !Array.isArray(child)) o[k] = new Deferred(cut[mark]!);
    else if (depth + 1 < SPAN_DEPTH) swapMarks(child, depth + 1, cut);
  }
}
