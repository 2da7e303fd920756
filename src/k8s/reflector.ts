/**
 * A reflector/informer over one resource: paged list, then watch from the
 * list's resourceVersion with bookmarks, keeping a store of compact records
 * and emitting add/update/delete with the old and new record. Unlike
 * client-node's informer it never stops on errors: 410 Gone → relist (emitting
 * deletes for objects that vanished meanwhile); any other error or a closed
 * stream → reconnect with exponential backoff. Bad objects are counted and
 * logged (RecordError names the object and field); the store keeps the last
 * good record of an object whose new version is invalid.
 */
import { silentLogger, type Logger } from '../util/log.js';
import { RecordError } from './fields.js';
import type { ObjectRecord } from './records.js';
import { recordKey, resourcePath, type ResourceType } from './resources.js';
import { trimmedPages, workerTrimmedPages } from './list-pages.js';
import { rawKey, rawRv } from './raw-meta.js';
import { ApiError, type KubeApi } from './transport.js';

export type RecordEvent<R> =
  | { type: 'add'; record: R }
  | { type: 'update'; old: R; record: R }
  | { type: 'delete'; old: R };

export interface ReflectorOptions {
  /** Only this namespace (namespaced kinds); all when empty. */
  namespace?: string;
  labelSelector?: string;
  /** e.g. `metadata.name=node-1` (a node agent's own Node) or `spec.nodeName=node-1` (its pods). */
  fieldSelector?: string;
  /** List page size (default 500, as kubectl and client-go). */
  pageSize?: number;
  /** Parse and trim list pages in a worker thread (a large resource: the pods). */
  listInWorker?: boolean;
  /** Reconnect backoff: doubles from initial to max (defaults 200 ms .. 30 s), with jitter. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Server-side watch timeout; the watch is then resumed from the last resourceVersion (default 300 s). */
  watchTimeoutSeconds?: number;
  logger?: Logger;
}

export interface ReflectorStats {
  lists: number;
  relists: number;
  watches: number;
  reconnects: number;
  bookmarks: number;
  events: number;
  /** Objects rejected by trimming (RecordError). */
  invalid: number;
  lastError?: string;
}

type Listener<R> = (e: RecordEvent<R>) => void;

/** A reflector's store as of a resourceVersion: what a restarted process resumes from. */
export interface ReflectorSnapshot<R> {
  resourceVersion: string;
  records: readonly R[];
}

const sleep = (ms: number, signal: { wake?: () => void }): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.wake = () => {
      clearTimeout(t);
      resolve();
    };
  });

export class Reflector<R extends ObjectRecord> {
  private readonly items = new Map<string, R>();
  private readonly listeners = new Set<Listener<R>>();
  private rv = '';
  private synced = false;
  private syncWaiters: { done: () => void; fail: (err: Error) => void }[] = [];
  private running = false;
  private abortWatch: (() => void) | undefined;
  private readonly sleeper: { wake?: () => void } = {};
  private loop: Promise<void> | undefined;
  private readonly log: Logger;
  readonly stats: ReflectorStats = { lists: 0, relists: 0, watches: 0, reconnects: 0, bookmarks: 0, events: 0, invalid: 0 };

  constructor(
    private readonly api: KubeApi,
    readonly type: ResourceType<R>,
    private readonly opts: ReflectorOptions = {},
  ) {
    this.log = (opts.logger ?? silentLogger).child({ resource: type.plural });
  }

  /** The store: records by "ns/name" (or "name" for cluster-scoped kinds). Do not mutate records. */
  get store(): ReadonlyMap<string, R> {
    return this.items;
  }

  get(key: string): R | undefined {
    return this.items.get(key);
  }

  /** resourceVersion the store reflects (last list, event or bookmark). */
  get resourceVersion(): string {
    return this.rv;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first complete list; rejects after `timeoutMs` if given, or when stopped before it. */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = {
        done: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.syncWaiters.push(waiter);
      if (timeoutMs !== undefined)
        timer = setTimeout(() => {
          this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
          reject(new Error(`${this.type.plural}: not synced within ${timeoutMs} ms${this.stats.lastError ? ` (last error: ${this.stats.lastError})` : ''}`));
        }, timeoutMs);
    });
  }

  /** Subscribes to events; returns the unsubscribe function. Listener errors are logged, never propagated. */
  on(listener: Listener<R>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The store and the resourceVersion it reflects; undefined before the first list. */
  snapshot(): ReflectorSnapshot<R> | undefined {
    return this.synced ? { resourceVersion: this.rv, records: [...this.items.values()] } : undefined;
  }

  /**
   * Before start(): begin from an earlier process's snapshot instead of a
   * list. The watch resumes from its resourceVersion; a version the server
   * no longer has (410) brings a full list, diffed against these records.
   * No events are emitted for them: they are where the store starts from.
   */
  resume(snap: ReflectorSnapshot<R>): void {
    if (this.running || this.synced) throw new Error(`${this.type.plural}: resume() must come before start() and any list`);
    for (const rec of snap.records) this.items.set(recordKey(rec), rec);
    this.rv = snap.resourceVersion;
    this.synced = true;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const w of this.syncWaiters.splice(0)) w.fail(new Error(`${this.type.plural}: stopped before the first list completed`));
    this.abortWatch?.();
    this.sleeper.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const initial = this.opts.backoffInitialMs ?? 200;
    const max = this.opts.backoffMaxMs ?? 30_000;
    let backoff = initial;
    let needList = !this.synced;
    while (this.running) {
      try {
        if (needList) {
          await this.list();
          needList = false;
        }
        const started = Date.now();
        const got = await this.watchOnce();
        if (got === 'gone') {
          needList = true;
          this.stats.relists++;
          continue;
        }
        // A clean close (server timeout, restart): resume at once, unless streams keep closing immediately.
        if (Date.now() - started > 1000 || got === 'progress') {
          backoff = initial;
          continue;
        }
      } catch (err) {
        if (err instanceof ApiError && (err.status === 410 || err.reason === 'Expired' || err.reason === 'Gone')) {
          needList = true;
          this.stats.relists++;
          continue;
        }
        this.stats.lastError = (err as Error).message;
        this.log.warn('list/watch failed; retrying', { err: (err as Error).message, backoffMs: backoff });
      }
      if (!this.running) break;
      this.stats.reconnects++;
      await sleep(backoff * (0.8 + Math.random() * 0.4), this.sleeper);
      backoff = Math.min(max, backoff * 2);
    }
  }

  /** Paged list into a fresh map, then one diff against the store (deletes for vanished objects). */
  private async list(): Promise<void> {
    const fresh = new Map<string, R>();
    let rv = '';
    const req = {
      path: resourcePath(this.type, this.opts.namespace),
      query: { limit: this.opts.pageSize ?? 500, labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector },
    };
    const pages = this.opts.listInWorker ? workerTrimmedPages(this.api, this.type, req) : trimmedPages(this.api, this.type, req);
    for await (const page of pages) {
      if (!this.running) break;
      rv = page.resourceVersion || rv;
      for (const rec of page.records) fresh.set(recordKey(rec), rec);
      for (const bad of page.invalid) {
        this.invalid(bad.object, bad.field, bad.message);
        // The last good record of an object whose new version is invalid stays.
        const kept = bad.key ? this.items.get(bad.key) : undefined;
        if (kept) fresh.set(bad.key!, kept);
      }
    }
    if (!this.running) return;
    this.stats.lists++;
    for (const [key, old] of this.items) if (!fresh.has(key)) this.apply(key, undefined, old);
    for (const [key, rec] of fresh) {
      const old = this.items.get(key);
      if (!old || old.resourceVersion !== rec.resourceVersion || old.uid !== rec.uid) this.apply(key, rec, old);
    }
    this.rv = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.done();
    }
  }

  /** One watch stream: 'gone' on 410, 'progress' if events arrived, 'closed' otherwise; throws on errors. */
  private watchOnce(): Promise<'gone' | 'progress' | 'closed'> {
    this.stats.watches++;
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300;
    return new Promise((resolve, reject) => {
      let result: 'gone' | 'progress' | 'closed' = 'closed';
      let finished = false;
      // The server ends a watch after timeoutSeconds; one still open well past that is a dead connection.
      const watchdog = setTimeout(() => {
        this.log.warn('watch outlived its timeout; reconnecting', { timeoutSeconds });
        this.abortWatch?.();
        finish(null);
      }, (timeoutSeconds + 30) * 1000);
      const finish = (err: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(watchdog);
        this.abortWatch = undefined;
        if (result === 'gone') return resolve('gone');
        const status = (err as { statusCode?: unknown } | null)?.statusCode;
        if (status === 410) return resolve('gone');
        if (err && this.running && (err as Error).name !== 'AbortError') {
          reject(new ApiError(typeof status === 'number' ? status : 0, '', `watch ${this.type.plural}: ${(err as Error).message}`));
        } else resolve(result);
      };
      const onEvent = (type: string, obj: unknown) => {
        if (finished) return;
        if (type === 'ERROR') {
          const code = (obj as { code?: unknown } | null)?.code;
          if (code === 410) result = 'gone';
          else this.stats.lastError = `watch ${this.type.plural}: ${JSON.stringify(obj).slice(0, 200)}`;
          this.abortWatch?.();
          finish(code === 410 ? null : new Error(this.stats.lastError));
          return;
        }
        const rv = rawRv(obj);
        if (type === 'BOOKMARK') {
          this.stats.bookmarks++;
          if (rv) this.rv = rv;
          return;
        }
        this.stats.events++;
        result = 'progress';
        this.onWatchEvent(type, obj);
        if (rv) this.rv = rv;
      };
      this.api
        .watch(
          resourcePath(this.type, this.opts.namespace),
          {
            resourceVersion: this.rv,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          },
          onEvent,
          finish,
        )
        .then((abort) => {
          if (finished) return;
          this.abortWatch = abort;
          if (!this.running) abort();
        }, finish);
    });
  }

  private onWatchEvent(type: string, raw: unknown): void {
    if (type === 'DELETED') {
      const key = rawKey(raw);
      const old = key ? this.items.get(key) : undefined;
      if (key && old) this.apply(key, undefined, old);
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED') return;
    const rec = this.trim(raw);
    if (!rec) return;
    const key = recordKey(rec);
    this.apply(key, rec, this.items.get(key));
  }

  private trim(raw: unknown): R | undefined {
    try {
      return this.type.trim(raw);
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      this.invalid(err.object, err.field, err.message);
      return undefined;
    }
  }

  private invalid(object: string, field: string, message: string): void {
    this.stats.invalid++;
    this.log.warn('invalid object skipped', { object, field, err: message });
  }

  private apply(key: string, rec: R | undefined, old: R | undefined): void {
    let e: RecordEvent<R>;
    if (rec) {
      this.items.set(key, rec);
      e = old ? { type: 'update', old, record: rec } : { type: 'add', record: rec };
    } else {
      this.items.delete(key);
      e = { type: 'delete', old: old! };
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error('event listener failed', { err });
      }
    }
  }
}
