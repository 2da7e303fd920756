/**
 * The pages of a paged list, trimmed to records: on this thread, or in a
 * worker thread (listing 150k pods is seconds of JSON.parse and trimming;
 * a worker does them on another core and only the compact records cross
 * over). Both fetch the next page while the current one is trimmed.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { workerPath } from '../util/paths.js';
import { RecordError } from './fields.js';
import type { ObjectRecord } from './records.js';
import { rawKey } from './raw-meta.js';
import { RESOURCE_TYPES, type ResourceType } from './resources.js';
import { ApiError, type KubeApi, type Query } from './transport.js';

/** An object of the page that could not be trimmed; `key` (ns/name) when its metadata had one. */
export interface InvalidItem {
  key: string | undefined;
  object: string;
  field: string;
  message: string;
}

export interface TrimmedPage<R> {
  records: R[];
  invalid: InvalidItem[];
  resourceVersion: string;
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

export interface ListRequest {
  path: string;
  query: Query;
}

/** Pages of `req` trimmed on this thread. */
export async function* trimmedPages<R extends ObjectRecord>(api: KubeApi, type: ResourceType<R>, req: ListRequest): AsyncGenerator<TrimmedPage<R>> {
  const fetchPage = (token: string) => api.request<ListPage>('GET', req.path, { query: { ...req.query, continue: token } });
  let pending: Promise<ListPage> | undefined = fetchPage('');
  while (pending) {
    const page: ListPage = await pending;
    // The next page is on its way while this one is trimmed (and handled if the caller stops here).
    const token = page.metadata?.continue ?? '';
    pending = token ? fetchPage(token) : undefined;
    pending?.catch(() => {});
    yield trimPage(type, page);
  }
}

function trimPage<R extends ObjectRecord>(type: ResourceType<R>, page: ListPage): TrimmedPage<R> {
  const records: R[] = [];
  const invalid: InvalidItem[] = [];
  for (const raw of page.items ?? []) {
    try {
      records.push(type.trim(raw));
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      invalid.push({ key: rawKey(raw), object: err.object, field: err.field, message: err.message });
    }
  }
  return { records, invalid, resourceVersion: page.metadata?.resourceVersion ?? '' };
}

/** What the list worker is started with. */
export interface ListWorkerData {
  /** The kubeconfig, exported (KubeConfig.exportConfig). */
  kubeconfig: string;
  kind: string;
  req: ListRequest;
}

export type ListWorkerMessage = { page: TrimmedPage<ObjectRecord> } | { done: true } | { error: { status: number; reason: string; message: string } };

/** The worker's side: every page posted as it is trimmed, then done (or the error). */
export async function postTrimmedPages(api: KubeApi, d: ListWorkerData, post: (m: ListWorkerMessage) => void): Promise<void> {
  try {
    const type = RESOURCE_TYPES.find((t) => t.kind === d.kind);
    if (!type) throw new Error(`list worker: unknown kind '${d.kind}'`);
    for await (const page of trimmedPages(api, type, d.req)) post({ page });
    post({ done: true });
  } catch (err) {
    const e = err instanceof ApiError ? err : undefined;
    post({ error: { status: e?.status ?? 0, reason: e?.reason ?? '', message: (err as Error).message } });
  }
}

/** Pages of `req` trimmed in a worker thread; stopping the iteration early terminates it. */
export async function* workerTrimmedPages<R extends ObjectRecord>(api: KubeApi, type: ResourceType<R>, req: ListRequest): AsyncGenerator<TrimmedPage<R>> {
  const filename = workerPath('list-worker');
  if (!existsSync(filename)) throw new Error(`list worker ${filename} is not built (npx tsc -p tsconfig.json)`);
  const workerData: ListWorkerData = { kubeconfig: api.kc.exportConfig(), kind: type.kind, req };
  const worker = new Worker(filename, { workerData });
  const queue: ListWorkerMessage[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const arrived = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: ListWorkerMessage) => {
    queue.push(m);
    arrived();
  });
  worker.on('error', (err) => {
    failure = err;
    arrived();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`list worker for ${type.plural} exited (code ${code}) before the list ended`);
    arrived();
  });
  try {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if ('done' in m) return;
      if ('error' in m) throw new ApiError(m.error.status, m.error.reason, m.error.message);
      yield m.page as TrimmedPage<R>;
    }
  } finally {
    await worker.terminate();
  }
}
