/**
 * The OVSDB client: one live connection at a time to one of several remotes,
 * re-established with exponential backoff and jitter; the leader of a
 * clustered database found through `_Server`; a replicated cache kept by
 * monitor_cond_since (monitor_cond when the server lacks it); transactions.
 * A transaction in flight when the connection drops fails with
 * OvsdbDisconnectedError and is never resent: its outcome is unknown.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '../util/log.js';
import { DatabaseCache } from './cache.js';
import { captureSnapshot, seedCache, type CacheSnapshot } from './cache-snapshot.js';
import { requireTable, type Wire } from './codec.js';
import { OvsdbClosedError, OvsdbConnectionError, OvsdbError, OvsdbProtocolError } from './errors.js';
import { RpcConnection } from './jsonrpc.js';
import { decodeResults, encodeOperation } from './operations.js';
import { ResumePoints } from './resume-points.js';
import { parseSchema, type DatabaseSchema } from './schema.js';
import { ServerWatch, SERVER_MONITOR_ID } from './server-watch.js';
import { enqueue, newSession, type Session } from './session.js';
import { MONITOR_PREFIX, monitorTables } from './table-monitors.js';
import { openStream, parseRemotes, type Remote } from './transport.js';
import type { Operation, OperationResult } from './types.js';
import { errorCode, resolveOptions, type ClientEvents, type ConnectOptions, type MonitorTable, type ResolvedOptions } from './client-options.js';

export type { ClientEvents, ConnectOptions, LatencyObserver, MonitorTable } from './client-options.js';

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export class OvsdbClient extends EventEmitter<ClientEvents> {
  readonly database: string;
  private readonly remotes: Remote[];
  private readonly options: Omit<ConnectOptions, 'resume'>;
  private readonly opts: ResolvedOptions;
  private readonly log: Logger;
  private readonly monitorSpec: Map<string, MonitorTable>;
  private readonly serverWatch: ServerWatch;
  private schemaValue?: DatabaseSchema;
  private cacheValue?: DatabaseCache;
  private session?: Session;
  private ready = false;
  private closed = false;
  private readonly stop = new AbortController();
  private nextRemote = 0;
  /** Per monitor, the transaction its rows reflect: where monitor_cond_since resumes, what snapshot() names. */
  private readonly points = new ResumePoints();
  private sinceSupported = true;
  /** Where the first connection's cache starts (connect's `resume`), until it is used. */
  private resumeFrom?: CacheSnapshot;
  private lastError?: Error;
  private loopDone?: Promise<void>;
  private sendTail: Promise<void> = Promise.resolve();
  /** Callers waiting for a connection (any number: many transactions may wait at once). */
  private readonly waiters = new Set<(err?: Error) => void>();

  /** Use connect(). */
  constructor({ resume, ...options }: ConnectOptions) {
    super();
    // The snapshot's rows are held by the cache once loaded, not by the options.
    this.resumeFrom = resume;
    this.options = options;
    this.database = options.database;
    this.remotes = parseRemotes(options.remotes);
    this.log = (options.logger ?? silentLogger).child({ component: 'ovsdb', db: options.database });
    this.opts = resolveOptions(options);
    this.serverWatch = new ServerWatch(options.database, this.opts.leaderOnly);
    const m = options.monitor ?? [];
    this.monitorSpec = new Map(Array.isArray(m) ? m.map((t: string) => [t, {}]) : Object.entries(m as Record<string, MonitorTable>));
  }

  get schema(): DatabaseSchema {
    if (!this.schemaValue) throw new OvsdbConnectionError('not connected yet: no schema');
    return this.schemaValue;
  }

  /** The replicated tables (empty when nothing is monitored). */
  get cache(): DatabaseCache {
    if (!this.cacheValue) throw new OvsdbConnectionError('not connected yet: no cache');
    return this.cacheValue;
  }

  /**
   * The cache was loaded from connect's `resume`, the server confirmed,
   * table by table, that nothing had changed since, and no update has come
   * since then: the cache still holds exactly the snapshot's rows.
   */
  get resumedUnchanged(): boolean {
    return this.points.resumedUnchanged;
  }

  get isConnected(): boolean {
    return this.ready && !this.closed;
  }

  /** The remote of the live connection. */
  get remote(): string | undefined {
    return this.ready ? this.session?.remote.text : undefined;
  }

  /** @internal started by connect() */
  start(): Promise<void> {
    this.loopDone = this.loop();
    return this.waitReady(this.opts.initialConnectTimeoutMs);
  }

  /**
   * Runs `ops` as one transaction; see OvsdbTransactError for failures. It
   * resolves once the cache holds the transaction's own changes.
   * `timeoutMs` bounds the wait for the reply, `waitForConnectionMs` the wait
   * for a connection when there is none (defaults from the connect options).
   */
  async transact(ops: readonly Operation[], opts: { timeoutMs?: number; waitForConnectionMs?: number } = {}): Promise<OperationResult[]> {
    if (this.closed) throw new OvsdbClosedError('client is closed');
    if (!this.ready) await this.waitReady(opts.waitForConnectionMs ?? this.opts.waitForConnectionMs);
    const schema = this.schema;
    const s = this.session!;
    // Transactions are encoded and written one after another, letting the
    // event loop flush each to the kernel before the next is encoded: when
    // many are pipelined, the server works on one while we encode the next.
    const sent = this.sendTail.then(async () => {
      await s.rpc.writeTurn();
      const params: Wire[] = [this.database];
      for (let i = 0; i < ops.length; i++) params.push(encodeOperation(schema, ops[i]!, i));
      const t0 = performance.now();
      return { t0, reply: s.rpc.request('transact', params, opts.timeoutMs ?? this.opts.requestTimeoutMs) };
    });
    this.sendTail = sent.then(
      () => undefined,
      () => undefined,
    );
    const { t0, reply } = await sent;
    let code = 'ok';
    try {
      const result = await reply;
      // The server sends a transaction's updates before its reply; resolving once they are in the
      // cache lets the caller read its own writes (each table's update is a separate notification).
      await s.chain;
      try {
        return decodeResults(schema, ops, result);
      } catch (err) {
        if (err instanceof OvsdbProtocolError) s.rpc.close(err);
        throw err;
      }
    } catch (err) {
      code = errorCode(err);
      throw err;
    } finally {
      this.options.requestLatency?.observe({ db: this.database, method: 'transact', code }, performance.now() - t0);
    }
  }

  /** A JSON-RPC request on the live connection (waits for one like transact). */
  async request(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    if (this.closed) throw new OvsdbClosedError('client is closed');
    if (!this.ready) await this.waitReady(this.opts.waitForConnectionMs);
    const rpc = this.session!.rpc;
    return this.timed(method, () => rpc.request(method, params, timeoutMs ?? this.opts.requestTimeoutMs));
  }

  private async timed<R>(method: string, fn: () => Promise<R>): Promise<R> {
    const t0 = performance.now();
    let code = 'ok';
    try {
      return await fn();
    } catch (err) {
      code = errorCode(err);
      throw err;
    } finally {
      this.options.requestLatency?.observe({ db: this.database, method, code }, performance.now() - t0);
    }
  }

  /** Resolves when a connection is up and in sync, or fails after `timeoutMs`. */
  waitReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (this.closed) return Promise.reject(new OvsdbClosedError('client is closed'));
    return new Promise((resolve, reject) => {
      const waiter = (err?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        const last = this.lastError ? `: last error: ${this.lastError.message}` : '';
        waiter(new OvsdbConnectionError(`no usable connection to ${this.database} within ${timeoutMs} ms (remotes ${this.remotes.map((r) => r.text).join(',')})${last}`, undefined, { cause: this.lastError }));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Drops the current connection (the client reconnects). For tests and for operators. */
  disconnect(reason = 'disconnect requested'): void {
    this.session?.rpc.close(new OvsdbConnectionError(reason));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ready = false;
    this.stop.abort();
    for (const w of [...this.waiters]) w(new OvsdbClosedError('client is closed'));
    this.session?.rpc.close(new OvsdbClosedError('client is closed'));
    await this.loopDone;
  }

  /**
   * The cache as of the transactions it reflects, for `connect({ resume })`
   * in a later process; undefined when not connected, when the server kept
   * sending updates through several round trips, and where the server keeps
   * no transaction history (a standalone database), since resuming there
   * would fetch everything anyway. Rows are shared, not copied: they are
   * never changed in place. Take it after the last write, before close().
   * It waits for an echo with no update on the way: then every table
   * resumes from the last round received (resume-points.ts says why).
   */
  async snapshot(): Promise<CacheSnapshot | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = this.session;
      if (!this.ready || !s || !this.cacheValue || !this.schemaValue) return undefined;
      const received = this.points.received;
      // Bounded like the echo probe: a stopping process must not hang on a server that went silent.
      await this.request('echo', [], this.opts.echoTimeoutMs);
      await s.chain;
      if (this.points.received === received && this.session === s && this.ready) {
        return captureSnapshot(this.cacheValue, this.schemaValue, (table) => this.points.snapshotPoint(MONITOR_PREFIX + table));
      }
    }
    return undefined;
  }

  private async loop(): Promise<void> {
    let delay = this.opts.backoffInitialMs;
    while (!this.closed) {
      let roundOk = false;
      for (let i = 0; i < this.remotes.length && !this.closed; i++) {
        const idx = this.nextRemote;
        this.nextRemote = (idx + 1) % this.remotes.length;
        const remote = this.remotes[idx]!;
        const closedWith = await this.runSession(remote);
        if (closedWith.synced) {
          roundOk = true;
          // Stay on the next remote in order: the one we lost may be gone.
          break;
        }
      }
      if (this.closed) break;
      if (roundOk) {
        delay = this.opts.backoffInitialMs;
        continue;
      }
      const jittered = delay * (0.5 + Math.random());
      this.log.debug('backing off before the next round of remotes', { ms: Math.round(jittered) });
      await sleep(jittered, this.stop.signal);
      delay = Math.min(delay * 2, this.opts.backoffMaxMs);
    }
  }

  /** One connection from open to close; `synced` tells whether it got as far as a synced cache. */
  private async runSession(remote: Remote): Promise<{ synced: boolean }> {
    let sock;
    try {
      sock = await openStream(remote, this.opts.connectTimeoutMs, this.options.tls);
    } catch (err) {
      this.note(err as Error);
      return { synced: false };
    }
    if (this.closed) {
      sock.destroy();
      return { synced: false };
    }
    let closeReason!: Error;
    const closedP = new Promise<void>((resolve) => {
      const rpc = new RpcConnection(sock, {
        name: remote.text,
        inactivityProbeMs: this.opts.inactivityProbeMs,
        echoTimeoutMs: this.opts.echoTimeoutMs,
        onNotification: (method, params) => this.onNotification(s, method, params),
        onBadRequest: (err) => this.note(err),
        onClose: (err) => {
          closeReason = err;
          resolve();
        },
      });
      const s: Session = newSession(rpc, remote);
      this.session = s;
      // Rounds of an earlier connection say nothing about this one's monitors until it has set them all up.
      this.points.reconnected();
    });
    const s = this.session!;
    let synced = false;
    try {
      await this.setUp(s);
      if (s.rpc.isClosed) throw closeReason;
      synced = true;
      this.ready = true;
      this.log.info('connected', { remote: remote.text });
      for (const w of [...this.waiters]) w();
      this.emitSafely('connected', remote.text);
    } catch (err) {
      this.note(err as Error);
      s.rpc.close(err as Error);
    }
    await closedP;
    if (synced) {
      this.ready = false;
      if (!this.closed) {
        this.log.warn('connection lost', { remote: remote.text, err: closeReason });
        this.emitSafely('disconnected', closeReason);
      }
    }
    return { synced };
  }

  private note(err: Error): void {
    this.lastError = err;
    if (this.closed) return;
    this.log.warn('ovsdb problem', { err });
    this.emitSafely('warning', err);
  }

  /** Listeners' exceptions are logged: they must not tear down the connection loop. */
  private emitSafely<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ClientEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error('client event listener threw', { event, err });
    }
  }

  /**
   * A set-up request; monitor replies can take long to build, and the echo
   * probe covers a dead peer. Monitor replies stay lazy: the cache settles
   * their rows one by one as it decodes them.
   */
  private rpc(s: Session, method: string, params: unknown): Promise<unknown> {
    const monitor = method.startsWith('monitor');
    return this.timed(method, () => s.rpc.request(method, params, monitor ? 0 : this.opts.connectTimeoutMs, monitor));
  }

  private async setUp(s: Session): Promise<void> {
    await this.serverWatch.start(s, (method, params) => this.rpc(s, method, params));
    const schema = parseSchema(await this.rpc(s, 'get_schema', [this.database]));
    if (!this.schemaValue) {
      this.schemaValue = schema;
      const tables = new Map<string, string[]>();
      const intern = new Map<string, string[]>();
      for (const [name, m] of this.monitorSpec) {
        const ts = requireTable(schema, name);
        tables.set(name, m.columns ?? [...ts.columns.keys()]);
        if (m.intern) intern.set(name, m.intern);
      }
      this.cacheValue = new DatabaseCache(
        schema,
        tables,
        (err, ch) => this.note(new OvsdbError(`change listener failed on ${ch.kind} of ${ch.table} row ${ch.row._uuid}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })),
        intern,
      );
      if (this.resumeFrom) this.resume(this.resumeFrom, tables);
      this.resumeFrom = undefined;
    }
    if (this.monitorSpec.size > 0) {
      const send = (method: string, params: Wire[]) => this.rpc(s, method, params);
      const m = { session: s, database: this.database, schema, cache: this.cacheValue!, spec: this.monitorSpec, points: this.points, log: this.log, send };
      this.sinceSupported = await monitorTables(m, this.sinceSupported);
    }
    await s.chain;
  }

  /** Seeds the new cache from a snapshot, each table's monitor to resume after its last transaction. */
  private resume(snap: CacheSnapshot, tables: ReadonlyMap<string, readonly string[]>): void {
    const mismatch = seedCache(this.cacheValue!, snap, this.schemaValue!, tables);
    if (mismatch !== undefined) {
      this.log.warn('cache snapshot not used', { reason: mismatch });
      return;
    }
    const names = [...tables.keys()];
    this.points.seed(names.map((name) => [MONITOR_PREFIX + name, snap.tables[name]!.lastTxnId] as const));
    this.log.info('cache loaded from a snapshot', { tables: names.length, rows: names.reduce((n, name) => n + snap.tables[name]!.rows.length, 0) });
  }

  private onNotification(s: Session, method: string, params: unknown): void {
    if (s.rpc.isClosed) return;
    const p = Array.isArray(params) ? params : [];
    const id = typeof p[0] === 'string' ? p[0] : undefined;
    let work: (() => Promise<unknown>) | undefined;
    if ((method === 'update2' || method === 'update3') && Array.isArray(params)) {
      const update = method === 'update2' ? p[1] : p[2];
      if (method === 'update3' && typeof p[1] !== 'string') {
        s.rpc.close(new OvsdbProtocolError(`${s.remote.text}: update3 without a last-txn-id: ${JSON.stringify(p[1])?.slice(0, 80)}`));
        return;
      }
      if (id !== undefined && id.startsWith(MONITOR_PREFIX) && this.monitorSpec.has(id.slice(MONITOR_PREFIX.length))) {
        const cache = this.cacheValue!;
        this.points.arrived();
        const txn = method === 'update3' ? (p[1] as string) : undefined;
        work = () => cache.apply(update, false, txn === undefined ? undefined : () => this.points.applied(id, txn, this.ready && this.session === s));
      } else if (id === SERVER_MONITOR_ID && s.serverCache) {
        work = () => this.serverWatch.update(s, update);
      }
    } else if (method === 'monitor_canceled') {
      s.rpc.close(new OvsdbConnectionError(`${s.remote.text}: the server canceled monitor ${JSON.stringify(p[0])} (database changed): resyncing`));
      return;
    }
    if (!work) {
      // Unknown notifications are reported, not fatal: the connection stays useful.
      this.note(new OvsdbProtocolError(`${s.remote.text}: unexpected notification '${method}' with params ${JSON.stringify(params)?.slice(0, 80)}`));
      return;
    }
    const buf = id !== undefined ? s.buffered.get(id) : undefined;
    if (buf) buf.push(work);
    else enqueue(s, work);
  }
}

/**
 * Connects and, when tables are monitored, waits until the cache holds their
 * current content. Fails with OvsdbConnectionError if no remote is usable
 * within `initialConnectTimeoutMs`.
 */
export async function connect(options: ConnectOptions): Promise<OvsdbClient> {
  const client = new OvsdbClient(options);
  try {
    await client.start();
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}
