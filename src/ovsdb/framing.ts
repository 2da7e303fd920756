/**
 * Splits the byte stream of an OVSDB connection into JSON values.
 * ovsdb-server writes JSON-RPC objects back to back with no delimiter, and a
 * monitor reply can be 100+ MB, so the splitter scans every byte exactly once
 * (its state survives across chunks) and only joins a value's chunks when
 * the value is complete. It works on bytes: a multi-byte UTF-8 character split
 * between chunks is simply carried over with the rest of the value.
 */
import { OvsdbProtocolError } from './errors.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export class JsonSplitter {
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Chunks (or chunk tails) of the value being read. */
  private parts: Buffer[] = [];
  private partBytes = 0;

  /**
   * @param maxValueBytes a value larger than this is a protocol error (a
   *   peer streaming an endless value must not exhaust memory).
   */
  constructor(private readonly maxValueBytes = 1 << 30) {}

  /** Feeds one chunk; returns the JSON texts of the values it completed. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    const n = chunk.length;
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escape) escape = false;
        else if (b === BACKSLASH) escape = true;
        else if (b === QUOTE) inString = false;
        continue;
      }
      if (depth === 0) {
        if (isSpace(b)) continue;
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          this.reset();
          throw new OvsdbProtocolError(
            `framing: expected '{' or '[' to start a JSON-RPC message, got ${JSON.stringify(String.fromCharCode(b))} (byte ${b})`,
          );
        }
        start = i;
        depth = 1;
        continue;
      }
      if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--depth === 0) {
          out.push(this.take(chunk.subarray(start, i + 1)));
          start = -1;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
    if (depth > 0 && start >= 0) {
      const tail = chunk.subarray(start);
      this.parts.push(tail);
      this.partBytes += tail.length;
      if (this.partBytes > this.maxValueBytes) {
        this.reset();
        throw new OvsdbProtocolError(`framing: a JSON value exceeds ${this.maxValueBytes} bytes`);
      }
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
    this.parts = [];
    this.partBytes = 0;
  }

  private take(last: Buffer): string {
    if (this.parts.length === 0) return last.toString('utf8');
    this.parts.push(last);
    const text = Buffer.concat(this.parts, this.partBytes + last.length).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    return text;
  }
}
