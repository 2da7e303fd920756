import type { ServerResponse } from 'node:http';
import { apiVersionOf, resourceId, type SimResource } from './catalog.js';
import type { ObjectMeta } from './selectors.js';
import { StatusError, type SimStore, type StoreEvent } from './store.js';

export interface WatchParams {
  res: SimResource;
  filter: (meta: ObjectMeta) => boolean;
  /** '' or '0': start with the current state as ADDED events. */
  resourceVersion: string;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutSeconds: number;
}

/** A watch stream buffering more than this is a stuck client: it is closed, as the API server does. */
const MAX_BUFFERED = 64 * 1024 * 1024;

/**
 * Streams watch events for one request until the client goes, the timeout
 * passes, or `close` is called. Events of the resource are filtered per
 * watcher; an object that stops matching the selectors is sent as DELETED and
 * one that starts matching as ADDED, as the API server's watch cache does.
 * Returns a function that ends the stream.
 */
export function serveWatch(store: SimStore, out: ServerResponse, p: WatchParams): () => void {
  const id = resourceId(p.res);
  const bookmarkObj = (rv: number) =>
    `{"type":"BOOKMARK","object":{"kind":"${p.res.kind}","apiVersion":"${apiVersionOf(p.res)}","metadata":{"resourceVersion":"${rv}"}}}\n`;
  let ended = false;
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = (): void => {};

  const end = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    out.end();
  };
  const write = (line: string): void => {
    if (ended) return;
    out.write(line);
    if (out.writableLength > MAX_BUFFERED) end();
  };
  const send = (type: string, json: string): void => write(`{"type":"${type}","object":${json}}\n`);
  const deliver = (e: StoreEvent): void => {
    if (e.resource !== id) return;
    const now = p.filter(e.meta);
    const before = e.oldMeta ? p.filter(e.oldMeta) : false;
    if (e.type === 'ADDED') {
      if (now) send('ADDED', e.json);
    } else if (e.type === 'DELETED') {
      if (now) send('DELETED', e.json);
    } else if (now) send(before ? 'MODIFIED' : 'ADDED', e.json);
    else if (before) send('DELETED', e.json);
  };

  out.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  out.flushHeaders();
  out.on('close', end);

  if (p.resourceVersion === '' || p.resourceVersion === '0') {
    for (const s of store.table(p.res).values()) if (p.filter(s.meta)) send('ADDED', s.json);
  } else {
    const rv = /^\d+$/.test(p.resourceVersion) ? Number(p.resourceVersion) : -1;
    const backlog = rv < 0 ? 'gone' : store.eventsSince(rv);
    if (backlog === 'gone') {
      send('ERROR', new StatusError(410, 'Expired', `too old resource version: ${p.resourceVersion} (${store.resourceVersion})`).body());
      end();
      return end;
    }
    for (const e of backlog) deliver(e);
  }
  unsubscribe = store.subscribe(deliver);

  if (p.bookmarks) {
    const tick = (): void => {
      write(bookmarkObj(store.resourceVersion));
      timers[0] = setTimeout(tick, p.bookmarkIntervalMs);
    };
    timers[0] = setTimeout(tick, p.bookmarkIntervalMs);
  }
  if (p.timeoutSeconds > 0) {
    timers[1] = setTimeout(() => {
      if (p.bookmarks) write(bookmarkObj(store.resourceVersion));
      end();
    }, p.timeoutSeconds * 1000);
  }
  return end;
}
