/**
 * Requests to the API server through @kubernetes/client-node's own stack:
 * KubeConfig authentication (applySecurityAuthentication: tokens, client
 * certificates, exec plugins, CA) and its HTTP library for requests, its
 * Watch class for watch streams. Lists go through here rather than the typed
 * clients because those deserialize every object into model classes, which
 * for 150k pods costs more than the list itself, and lack
 * resourceVersionMatch / allowWatchBookmarks.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    /** metav1.Status reason when the server sent one (NotFound, Conflict, Expired, ...). */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  /** The request fails with ApiError(0, 'Timeout') after this long (default 60 s). */
  timeoutMs?: number;
}

export type WatchCallback = (type: string, object: unknown) => void;

/** Load a kubeconfig file, or the in-cluster service account when no path is given. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export class KubeApi {
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly watcher: Watch;
  private pooled: { agent: HttpAgent; options: AgentOptions } | undefined;

  constructor(readonly kc: KubeConfig) {
    this.watcher = new Watch(kc);
  }

  get server(): string {
    const c = this.kc.getCurrentCluster();
    if (!c) throw new Error('kubeconfig: no current cluster');
    return c.server.replace(/\/+$/, '');
  }

  /** Sends a request; resolves with the parsed JSON body of a 2xx answer, else rejects with ApiError. */
  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    ctx.setHeaderParam('Accept', 'application/json');
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(opts.body));
    }
    await this.kc.applySecurityAuthentication(ctx);
    this.reuseConnections(ctx);
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(0, 'Timeout', `${method} ${path}: no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const resp = await Promise.race([this.http.send(ctx).toPromise(), timeout]);
      const text = await Promise.race([resp.body.text(), timeout]);
      if (resp.httpStatusCode < 200 || resp.httpStatusCode > 299) throw statusError(method, path, resp.httpStatusCode, text);
      return (text ? JSON.parse(text) : undefined) as T;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(0, 'Transport', `${method} ${path}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * client-node builds a fresh agent (so a fresh TCP/TLS connection) per
   * request. A plain http(s) agent is swapped for one keep-alive agent with
   * the same options, rebuilt when those change (rotated client
   * certificates); proxy agents are left alone.
   */
  private reuseConnections(ctx: RequestContext): void {
    const fresh = ctx.getAgent();
    if (!fresh || (fresh.constructor !== HttpAgent && fresh.constructor !== HttpsAgent)) return;
    const options = (fresh as HttpAgent & { options?: AgentOptions }).options ?? {};
    const same =
      this.pooled &&
      this.pooled.agent.constructor === fresh.constructor &&
      (['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const).every((k) => this.pooled!.options[k] === options[k]);
    if (!same) {
      this.pooled?.agent.destroy();
      const opts = { ...options, keepAlive: true, maxSockets: 32, noDelay: true };
      this.pooled = { agent: fresh instanceof HttpsAgent ? new HttpsAgent(opts) : new HttpAgent(opts), options };
    }
    fresh.destroy();
    ctx.setAgent(this.pooled!.agent);
  }

  /** Closes pooled connections (they also close by themselves when idle). */
  close(): void {
    this.pooled?.agent.destroy();
    this.pooled = undefined;
  }

  /**
   * Opens a watch stream (client-node's Watch). `done` is called once, with
   * the error or null when the stream closed; the returned function aborts it.
   */
  async watch(path: string, query: Query, onEvent: WatchCallback, done: (err: unknown) => void): Promise<() => void> {
    const q: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q[k] = v;
    const ctrl = await this.watcher.watch(path, q, (type, obj) => onEvent(type, obj), done);
    return () => ctrl.abort();
  }
}

function statusError(method: string, path: string, status: number, text: string): ApiError {
  let reason = '';
  let message = text.slice(0, 300);
  try {
    const s = JSON.parse(text) as { reason?: unknown; message?: unknown };
    if (typeof s.reason === 'string') reason = s.reason;
    if (typeof s.message === 'string') message = s.message;
  } catch {
    // Not a Status body: the raw text is the message.
  }
  return new ApiError(status, reason, `${method} ${path}: ${status} ${message}`);
}
