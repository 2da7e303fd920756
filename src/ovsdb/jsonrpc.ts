/**
 * JSON-RPC 1.0 over one OVSDB stream: numbered requests and their replies,
 * notifications, the server's `echo` answered at once, and our own echo after
 * a period of silence so that a dead peer is detected in bounded time.
 * Any protocol breach closes the connection; the owner reconnects.
 */
import type net from 'node:net';
import { OvsdbConnectionError, OvsdbDisconnectedError, OvsdbProtocolError, OvsdbRpcError, OvsdbTimeoutError } from './errors.js';
import { JsonSplitter, type Frame } from './framing.js';
import { parseFrame, settle, settleDeep } from './lazy-json.js';

export interface RpcOptions {
  /** Label used in errors, e.g. the remote text. */
  name: string;
  /** Silence (ms) after which we send an echo; 0 disables probing. */
  inactivityProbeMs: number;
  /** How long (ms) the echo may stay unanswered before the peer is declared dead. */
  echoTimeoutMs: number;
  /** Params may hold Deferred parts (lazy-json.ts) when the message was large. */
  onNotification: (method: string, params: unknown) => void;
  /** A request from the server with a method we do not know (answered with an error). */
  onBadRequest: (err: OvsdbProtocolError) => void;
  onClose: (err: Error) => void;
}

/** Characters per write of a large request (well below V8's large-object size). */
const WRITE_PIECE = 1 << 15;

interface Pending {
  method: string;
  /** The caller settles Deferred parts of the result itself (see request). */
  lazy: boolean;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

export class RpcConnection {
  private readonly splitter = new JsonSplitter();
  private readonly pending = new Map<number, Pending>();
  /** Requests that timed out: their late replies are dropped, not a protocol error. */
  private readonly abandoned = new Set<number>();
  private nextId = 1;
  private lastRx = Date.now();
  private probe?: NodeJS.Timeout;
  private echoSent = 0;
  private closed = false;

  constructor(
    private readonly sock: net.Socket,
    private readonly opts: RpcOptions,
  ) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (err) => this.close(new OvsdbConnectionError(`${opts.name}: ${err.message}`, opts.name, { cause: err })));
    sock.on('close', () => {
      const partial = this.splitter.pendingBytes;
      this.close(
        partial > 0
          ? new OvsdbProtocolError(`${opts.name}: connection closed inside a JSON value (${partial} bytes of a truncated message)`)
          : new OvsdbConnectionError(`${opts.name}: connection closed by peer`, opts.name),
      );
    });
    if (opts.inactivityProbeMs > 0) {
      const tick = Math.max(10, Math.min(opts.inactivityProbeMs, opts.echoTimeoutMs) / 2);
      this.probe = setInterval(() => this.checkAlive(), tick);
      this.probe.unref();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * With `lazy`, a large result may hold Deferred parts (lazy-json.ts) for
   * the caller to settle; otherwise it is fully parsed.
   */
  request(method: string, params: unknown, timeoutMs = 0, lazy = false): Promise<unknown> {
    if (this.closed) return Promise.reject(new OvsdbDisconnectedError(`${this.opts.name}: connection is closed`, this.opts.name));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { method, lazy, resolve, reject };
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          this.abandoned.add(id);
          reject(new OvsdbTimeoutError(`${method}: no reply from ${this.opts.name} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(id, p);
      this.send({ method, params, id });
    });
  }

  /**
   * Paces pipelined writers. With nothing buffered, resolves at once. With
   * some output still in our socket buffer, yields one event-loop turn so it
   * is flushed to the kernel before the next request is encoded (the server
   * keeps working meanwhile); beyond `maxBufferedBytes`, waits for 'drain'.
   */
  writeTurn(maxBufferedBytes = 8 << 20): Promise<void> {
    const buffered = this.sock.writableLength;
    if (this.closed || buffered === 0) return Promise.resolve();
    if (buffered < maxBufferedBytes) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const done = () => {
        this.sock.off('drain', done);
        this.sock.off('close', done);
        resolve();
      };
      this.sock.once('drain', done);
      this.sock.once('close', done);
    });
  }

  close(err: Error = new OvsdbConnectionError(`${this.opts.name}: closed`, this.opts.name)): void {
    if (this.closed) return;
    this.closed = true;
    if (this.probe) clearInterval(this.probe);
    this.sock.destroy();
    this.splitter.reset();
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(
        err instanceof OvsdbProtocolError
          ? err
          : new OvsdbDisconnectedError(`${p.method}: connection to ${this.opts.name} lost before the reply (${err.message})`, this.opts.name, { cause: err }),
      );
    }
    this.pending.clear();
    this.opts.onClose(err);
  }

  /**
   * A request with many params (a transaction's operations) goes out in
   * pieces of about WRITE_PIECE characters, corked into one write: a 1000-operation
   * transaction as one string would sit in V8's large-object space until a full collection.
   */
  private send(msg: { method?: string; params?: unknown; id: unknown; result?: unknown; error?: unknown }): void {
    const { params } = msg;
    if (!Array.isArray(params) || params.length < 2) {
      this.sock.write(JSON.stringify(msg));
      return;
    }
    this.sock.cork();
    let piece = `{"method":${JSON.stringify(msg.method)},"id":${JSON.stringify(msg.id)},"params":[`;
    for (let i = 0; i < params.length; i++) {
      piece += (i === 0 ? '' : ',') + (JSON.stringify(params[i]) ?? 'null');
      if (piece.length >= WRITE_PIECE) {
        this.sock.write(piece);
        piece = '';
      }
    }
    this.sock.write(piece + ']}');
    this.sock.uncork();
  }

  private checkAlive(): void {
    const now = Date.now();
    if (this.echoSent > 0) {
      if (now - this.echoSent > this.opts.echoTimeoutMs && this.lastRx < this.echoSent) {
        this.close(new OvsdbConnectionError(`${this.opts.name}: no reply to echo within ${this.opts.echoTimeoutMs} ms: peer is dead`, this.opts.name));
      }
      return;
    }
    if (now - this.lastRx >= this.opts.inactivityProbeMs) {
      this.echoSent = now;
      this.request('echo', []).then(
        () => (this.echoSent = 0),
        () => undefined,
      );
    }
  }

  private onData(chunk: Buffer): void {
    this.lastRx = Date.now();
    let frames: Frame[];
    try {
      frames = this.splitter.frames(chunk);
    } catch (err) {
      this.close(err as Error);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      let msg: unknown;
      try {
        msg = parseFrame(frame);
      } catch (err) {
        this.close(new OvsdbProtocolError(`${this.opts.name}: invalid JSON from server: ${(err as Error).message}`));
        return;
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.close(new OvsdbProtocolError(`${this.opts.name}: expected a JSON-RPC object, got ${Array.isArray(msg) ? 'an array' : typeof msg}`));
      return;
    }
    const m = msg as Record<string, unknown>;
    if (typeof m.method === 'string') {
      const isRequest = m.id !== null && m.id !== undefined;
      if (m.method === 'echo' && isRequest) {
        this.send({ id: m.id, result: settleDeep(m.params) ?? [], error: null });
        return;
      }
      if (isRequest) {
        this.send({ id: m.id, result: null, error: 'unknown method' });
        this.opts.onBadRequest(new OvsdbProtocolError(`${this.opts.name}: server sent a request with unknown method '${m.method}'`));
        return;
      }
      this.opts.onNotification(m.method, settle(m.params));
      return;
    }
    if (m.method !== undefined) {
      this.close(new OvsdbProtocolError(`${this.opts.name}: message has a non-string method: ${JSON.stringify(m.method)}`));
      return;
    }
    if (typeof m.id !== 'number') {
      this.close(new OvsdbProtocolError(`${this.opts.name}: reply has no numeric id: ${JSON.stringify(m.id)}`));
      return;
    }
    const p = this.pending.get(m.id);
    if (!p && this.abandoned.delete(m.id)) return;
    if (!p) {
      this.close(new OvsdbProtocolError(`${this.opts.name}: reply to unknown request id ${m.id}`));
      return;
    }
    this.pending.delete(m.id);
    if (p.timer) clearTimeout(p.timer);
    if (m.error !== null && m.error !== undefined) p.reject(new OvsdbRpcError(p.method, settleDeep(m.error)));
    else if (!('result' in m)) p.reject(new OvsdbProtocolError(`${this.opts.name}: reply to ${p.method} has neither result nor error`));
    else p.resolve(p.lazy ? m.result : settleDeep(m.result));
  }
}
