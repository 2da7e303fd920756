/**
 * Splits the byte stream of an OVSDB connection into JSON values.
 * ovsdb-server writes JSON-RPC objects back to back with no delimiter, and a
 * monitor reply can be 100+ MB, so the splitter scans every byte exactly once
 * (its state survives across chunks) and only joins a small value's chunks
 * when the value is complete. It works on bytes: a multi-byte UTF-8 character
 * split between chunks is simply carried over with the rest of the value.
 *
 * For a large value the scan also records where its shallow containers start
 * and end (see Frame.spans), and the value stays bytes, in its chunks
 * (FrameBytes): lazy-json.ts decodes
 * each row of a monitor reply or update to text on its own, so a large value
 * never becomes one string. V8 keeps a string over ~128 KB in its
 * large-object space until a full collection: a cold sync's updates,
 * joined, were ~270 MB of such garbage at 150k pods.
 */
import { OvsdbProtocolError } from './errors.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Containers nested this deep or less are recorded (a row update sits at depth 4 or 5). */
export const SPAN_DEPTH = 5;
/** Values smaller than this are read as one text and parsed whole (below V8's large-object size). */
const SPAN_MIN_BYTES = 1 << 16;

/**
 * A large value's bytes, held in the chunks they arrived in: joined into one
 * buffer they would be copied once more, 100+ MB for one table's monitor
 * reply, alongside the chunks until a collection.
 */
export class FrameBytes {
  /** Byte offset of each piece in the value. */
  private readonly starts: number[] = [];
  /** The piece the last read began in: ranges are read mostly in order. */
  private at = 0;

  constructor(
    private readonly pieces: readonly Buffer[],
    readonly length: number,
  ) {
    let o = 0;
    for (const p of pieces) {
      this.starts.push(o);
      o += p.length;
    }
  }

  /** The UTF-8 text of bytes [start, end) (whole characters: callers cut at brackets and braces). */
  text(start: number, end: number): string {
    const i = this.pieceAt(start);
    const first = this.pieces[i]!;
    const base = this.starts[i]!;
    if (end - base <= first.length) return first.toString('utf8', start - base, end - base);
    const j = this.pieceAt(end - 1);
    const parts = [first.subarray(start - base), ...this.pieces.slice(i + 1, j), this.pieces[j]!.subarray(0, end - this.starts[j]!)];
    return Buffer.concat(parts, end - start).toString('utf8');
  }

  toString(): string {
    return this.text(0, this.length);
  }

  private pieceAt(pos: number): number {
    const { starts } = this;
    let k = this.at;
    if (starts[k]! > pos) k = 0;
    while (k + 1 < starts.length && starts[k + 1]! <= pos) k++;
    this.at = k;
    return k;
  }
}

/** One complete JSON value off the stream: a small one as text, a large one as bytes with spans. */
export interface Frame {
  /** Byte length of the value. */
  bytes: number;
  /** A small value's text; '' for a value only delimited (see textMaxBytes). Absent for a large value. */
  text?: string;
  /** A large value's bytes. */
  data?: FrameBytes;
  /**
   * With data: [start, end, depth] per container at depth <= SPAN_DEPTH
   * (the value itself is depth 1), in document order, as byte offsets into data.
   */
  spans?: Int32Array;
}

/** A frame's whole text (a large one decoded in one piece). */
export function frameText(f: Frame): string {
  return f.text ?? f.data!.toString();
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export class JsonSplitter {
  private depth = 0;
  private inString = false;
  private escape = false;
  /** The chunks of the value being read (views of the socket's buffers, not copies). */
  private pieces: Buffer[] = [];
  private partBytes = 0;
  private spans = new Int32Array(3 * 1024);
  private nSpans = 0;
  /** Per depth, the index of the span still open there. */
  private readonly openSpan = new Int32Array(SPAN_DEPTH + 1);

  /**
   * @param maxValueBytes a value larger than this is a protocol error (a
   *   peer streaming an endless value must not exhaust memory).
   * @param spanMinBytes values at least this large come as bytes with spans.
   * @param textMaxBytes values larger than this are only delimited: their
   *   frame's text is '' (never a JSON value). For a reader that times the
   *   bytes and must not pay for keeping them (`bench`'s raw floors).
   */
  constructor(
    private readonly maxValueBytes = 1 << 30,
    private readonly spanMinBytes = SPAN_MIN_BYTES,
    private readonly textMaxBytes = Infinity,
  ) {}

  /** Feeds one chunk; returns the JSON texts of the values it completed. */
  push(chunk: Buffer): string[] {
    return this.frames(chunk).map(frameText);
  }

  /** Feeds one chunk; returns the values it completed, the large ones as bytes with spans. */
  frames(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    const n = chunk.length;
    if (n === 0) return out;
    let start = this.depth > 0 ? 0 : -1;
    let depth = this.depth;
    let inString = this.inString;
    let i = 0;
    if (inString && this.escape) i = 1; // the escaped byte ended the last chunk's backslash
    this.escape = false;
    while (i < n) {
      if (inString) {
        // Jump to the next quote (memchr); it closes the string unless an odd run of backslashes precedes it.
        const q = chunk.indexOf(QUOTE, i);
        if (q < 0) {
          let k = n - 1;
          while (k >= i && chunk[k] === BACKSLASH) k--;
          this.escape = (n - 1 - k) % 2 === 1;
          i = n;
          break;
        }
        let k = q - 1;
        while (k >= i && chunk[k] === BACKSLASH) k--;
        i = q + 1;
        if ((q - 1 - k) % 2 === 0) inString = false;
        continue;
      }
      const b = chunk[i]!;
      if (depth === 0) {
        if (!isSpace(b)) {
          if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
            this.reset();
            throw new OvsdbProtocolError(
              `framing: expected '{' or '[' to start a JSON-RPC message, got ${JSON.stringify(String.fromCharCode(b))} (byte ${b})`,
            );
          }
          start = i;
          depth = 1;
          this.openAt(0, 1);
        }
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++depth <= SPAN_DEPTH) this.openAt(this.partBytes + i - start, depth);
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (depth <= SPAN_DEPTH) this.spans[3 * this.openSpan[depth]! + 1] = this.partBytes + i + 1 - start;
        if (--depth === 0) {
          out.push(this.take(chunk.subarray(start, i + 1)));
          start = -1;
        }
      }
      i++;
    }
    this.depth = depth;
    this.inString = inString;
    if (depth > 0 && start >= 0) {
      const tail = chunk.subarray(start);
      this.partBytes += tail.length;
      if (this.partBytes > this.maxValueBytes) {
        this.reset();
        throw new OvsdbProtocolError(`framing: a JSON value exceeds ${this.maxValueBytes} bytes`);
      }
      if (this.partBytes <= this.textMaxBytes) this.pieces.push(tail);
    }
    return out;
  }

  /** Bytes held for an unfinished value (a truncated message if the stream ends here). */
  get pendingBytes(): number {
    return this.partBytes;
  }

  reset(): void {
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.pieces = [];
    this.partBytes = 0;
    this.nSpans = 0;
  }

  private openAt(offset: number, depth: number): void {
    const k = this.nSpans++;
    if (3 * k + 3 > this.spans.length) {
      const grown = new Int32Array(this.spans.length * 2);
      grown.set(this.spans);
      this.spans = grown;
    }
    this.spans[3 * k] = offset;
    this.spans[3 * k + 2] = depth;
    this.openSpan[depth] = k;
  }

  private take(last: Buffer): Frame {
    const bytes = this.partBytes + last.length;
    const pieces = this.pieces;
    this.pieces = [];
    this.partBytes = 0;
    const n = this.nSpans;
    this.nSpans = 0;
    if (bytes > this.textMaxBytes) return { text: '', bytes };
    pieces.push(last);
    if (bytes < this.spanMinBytes) return { text: (pieces.length === 1 ? last : Buffer.concat(pieces, bytes)).toString('utf8'), bytes };
    return { data: new FrameBytes(pieces, bytes), spans: this.spans.slice(0, 3 * n), bytes };
  }
}
