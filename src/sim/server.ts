import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../util/log.js';
import { apiVersionOf, findByKind, simResources, type SimResource } from './catalog.js';
import { discovery } from './discovery.js';
import { MERGE_PATCH, STRATEGIC_PATCH, type Json } from './patch.js';
import { parseFieldSelector, parseLabelSelector, SelectorError, type ObjectMeta } from './selectors.js';
import { SimStore, StatusError, type Stored } from './store.js';
import { serveWatch } from './watch.js';

export interface SimServerOptions {
  /** 0 (default): any free port. Always bound to 127.0.0.1. */
  port?: number;
  /** Serve kubevirt.io/v1 VirtualMachineInstances and migrations. */
  kubevirt?: boolean;
  historySize?: number;
  bookmarkIntervalMs?: number;
  /** Continue tokens older than this are answered 410 Expired. */
  continueTtlMs?: number;
  logger?: Logger;
}

interface Snapshot {
  items: Stored[];
  rv: number;
  expires: number;
}

interface Route {
  res: SimResource;
  namespace: string;
  name: string;
}

const MAX_BODY = 16 * 1024 * 1024;
const PAGE_WRITE = 1000;

/**
 * A Kubernetes API server for tests, the demo and benchmarks: discovery,
 * get/list/watch/create/update/patch/delete over an in-memory SimStore.
 */
export class SimServer {
  readonly store: SimStore;
  private readonly served: SimResource[];
  private readonly server: Server;
  private readonly watches = new Set<() => void>();
  private readonly snapshots = new Map<number, Snapshot>();
  private snapshotId = 0;
  private available = true;
  private readonly log: Logger;
  private boundPort = 0;
  /** Requests served, by kind: what tests and benchmarks check about client behaviour. */
  readonly stats = { requests: 0, lists: 0, watches: 0, connections: 0 };

  constructor(private readonly opts: SimServerOptions = {}) {
    this.store = new SimStore({ historySize: opts.historySize ?? 10_000 });
    this.served = simResources.filter((r) => !r.kubevirt || opts.kubevirt === true);
    this.log = opts.logger ?? silentLogger;
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', () => this.stats.connections++);
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  async start(port = this.opts.port ?? 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Ends every open watch stream (clients see a closed stream and reconnect). */
  closeWatches(): void {
    for (const end of [...this.watches]) end();
  }

  /** While false, every request is answered 503: an outage as clients see it. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  /** Stores generated objects (keeping their uids), by apiVersion and kind. */
  load(objects: Iterable<Json>): number {
    let n = 0;
    for (const o of objects) {
      const obj = o as { apiVersion?: string; kind?: string; metadata?: { namespace?: string } };
      const res = findByKind(obj.apiVersion ?? '', obj.kind ?? '');
      if (!res || !this.served.includes(res)) throw new Error(`load: ${obj.apiVersion}/${obj.kind} is not served`);
      this.store.create(res, res.namespaced ? (obj.metadata?.namespace ?? '') : '', o, true);
      n++;
    }
    return n;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.dispatch(req, res).catch((err: unknown) => {
      const status = err instanceof StatusError ? err : new StatusError(500, 'InternalError', String(err));
      if (status.code >= 500) this.log.warn('sim request failed', { method: req.method, url: req.url, err });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status.code, { 'Content-Type': 'application/json' });
      res.end(status.body());
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    if (!this.available) throw new StatusError(503, 'ServiceUnavailable', 'the simulated API server is unavailable');
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      const doc = discovery(path, this.served, `127.0.0.1:${this.boundPort}`);
      if (doc !== undefined) return json(res, 200, JSON.stringify(doc));
    }
    const route = this.route(path);
    if (!route) throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${method} ${path})`);
    const { res: r, namespace, name } = route;
    const q = url.searchParams;
    switch (method) {
      case 'GET':
        if (name) {
          const s = this.store.get(r, namespace, name);
          if (!s) throw new StatusError(404, 'NotFound', `${r.group ? `${r.plural}.${r.group}` : r.plural} "${name}" not found`, { name, kind: r.plural });
          return json(res, 200, s.json);
        }
        if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(res, route, q);
        return this.list(res, route, q);
      case 'POST':
        if (name) throw new StatusError(405, 'MethodNotAllowed', 'POST to a named object is not allowed');
        return json(res, 201, this.store.create(r, namespace, await readJson(req)).json);
      case 'PUT':
        if (!name) throw new StatusError(405, 'MethodNotAllowed', 'PUT needs an object name');
        return json(res, 200, this.store.update(r, namespace, name, await readJson(req)).json);
      case 'PATCH': {
        if (!name) throw new StatusError(405, 'MethodNotAllowed', 'PATCH needs an object name');
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        if (type !== MERGE_PATCH && type !== STRATEGIC_PATCH)
          throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${MERGE_PATCH}, ${STRATEGIC_PATCH}`);
        return json(res, 200, this.store.patch(r, namespace, name, await readJson(req), type === STRATEGIC_PATCH).json);
      }
      case 'DELETE':
        if (!name) throw new StatusError(405, 'MethodNotAllowed', 'delete collection is not supported by the simulator');
        return json(res, 200, this.store.delete(r, namespace, name).json);
      default:
        throw new StatusError(405, 'MethodNotAllowed', `method ${method} is not allowed`);
    }
  }

  /** /api/v1[/namespaces/NS]/PLURAL[/NAME[/status]] and /apis/G/V/... */
  private route(path: string): Route | undefined {
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(path);
    if (!m) return undefined;
    const apiVersion = m[1] ?? `${m[2]}/${m[3]}`;
    const segs = m[4]!.split('/').map(decodeURIComponent);
    let namespace = '';
    if (segs[0] === 'namespaces' && segs.length >= 3) {
      namespace = segs[1]!;
      segs.splice(0, 2);
    }
    const [plural, name = '', sub] = segs;
    const res = this.served.find((r) => apiVersionOf(r) === apiVersion && r.plural === plural);
    if (!res || segs.length > 3 || (sub !== undefined && sub !== 'status')) return undefined;
    if (res.namespaced !== (namespace !== '') && (name !== '' || !res.namespaced)) return undefined;
    return { res, namespace, name };
  }

  private filter(route: Route, q: URLSearchParams): (meta: ObjectMeta) => boolean {
    try {
      const labels = parseLabelSelector(q.get('labelSelector') ?? '');
      const fields = parseFieldSelector(q.get('fieldSelector') ?? '', route.res.fields);
      const ns = route.namespace;
      return (m) => (ns === '' || m.namespace === ns) && labels(m.labels) && fields(m);
    } catch (err) {
      if (err instanceof SelectorError) throw new StatusError(400, 'BadRequest', err.message);
      throw err;
    }
  }

  private watch(res: ServerResponse, route: Route, q: URLSearchParams): void {
    this.stats.watches++;
    const end = serveWatch(this.store, res, {
      res: route.res,
      filter: this.filter(route, q),
      resourceVersion: q.get('resourceVersion') ?? '',
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      bookmarkIntervalMs: this.opts.bookmarkIntervalMs ?? 5_000,
      timeoutSeconds: Number(q.get('timeoutSeconds') ?? '0') || 0,
    });
    this.watches.add(end);
    res.on('close', () => this.watches.delete(end));
  }

  /**
   * Lists with limit/continue from a snapshot taken by the first page, so the
   * pages of one list are consistent (as etcd's would be) at the first page's
   * resourceVersion.
   */
  private async list(res: ServerResponse, route: Route, q: URLSearchParams): Promise<void> {
    this.stats.lists++;
    const filter = this.filter(route, q);
    const limit = Number(q.get('limit') ?? '0') || 0;
    const token = q.get('continue') ?? '';
    const now = Date.now();
    for (const [id, s] of this.snapshots) if (s.expires < now) this.snapshots.delete(id);
    let snap: Snapshot;
    let id: number;
    let offset = 0;
    if (token) {
      const parsed = /^(\d+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
      const found = parsed ? this.snapshots.get(Number(parsed[1])) : undefined;
      if (!parsed || !found)
        throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      snap = found;
      id = Number(parsed[1]);
      offset = Number(parsed[2]);
    } else {
      snap = { items: [...this.store.table(route.res).values()], rv: this.store.resourceVersion, expires: 0 };
      id = ++this.snapshotId;
    }
    const page: string[] = [];
    let i = offset;
    for (; i < snap.items.length && (limit === 0 || page.length < limit); i++) if (filter(snap.items[i]!.meta)) page.push(snap.items[i]!.json);
    let more = false;
    for (let j = i; j < snap.items.length; j++) if (filter(snap.items[j]!.meta)) { more = true; break; }
    const md: Record<string, unknown> = { resourceVersion: String(snap.rv) };
    if (more) {
      snap.expires = now + (this.opts.continueTtlMs ?? 300_000);
      this.snapshots.set(id, snap);
      md.continue = Buffer.from(`${id}:${i}`).toString('base64url');
    } else this.snapshots.delete(id);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(`{"kind":"${route.res.kind}List","apiVersion":"${apiVersionOf(route.res)}","metadata":${JSON.stringify(md)},"items":[`);
    for (let k = 0; k < page.length; k += PAGE_WRITE) {
      const ok = res.write((k > 0 ? ',' : '') + page.slice(k, k + PAGE_WRITE).join(','));
      if (!ok) await new Promise<void>((resolve) => res.once('drain', resolve));
    }
    res.end(']}');
  }
}

function json(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new StatusError(413, 'RequestEntityTooLarge', 'request body too large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
  } catch (err) {
    throw new StatusError(400, 'BadRequest', `the request body is not JSON: ${(err as Error).message}`);
  }
}
