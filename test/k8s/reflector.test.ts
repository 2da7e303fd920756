import { afterEach, describe, expect, it } from 'vitest';
import { Namespaces, Nodes, Pods, Reflector, type PodRecord, type RecordEvent, type ReflectorOptions, type ReflectorSnapshot, type ResourceType, type ObjectRecord } from '../../src/k8s/index.js';
import { simResources } from '../../src/sim/catalog.js';
import { createLogger } from '../../src/util/log.js';
import { startSim, type SimHandle } from '../support/sim.js';

const pods = simResources.find((r) => r.plural === 'pods')!;
const namespaces = simResources.find((r) => r.plural === 'namespaces')!;

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function sim(opts: Parameters<typeof startSim>[0]): Promise<SimHandle> {
  const s = await startSim(opts);
  cleanup.push(() => s.stop());
  return s;
}

/** A started reflector and the events it emits; `from`: resumed from that snapshot instead of a list. */
function reflect<R extends ObjectRecord>(s: SimHandle, type: ResourceType<R>, opts: ReflectorOptions = {}, from?: ReflectorSnapshot<R>) {
  const r = new Reflector(s.api(), type, { backoffInitialMs: 50, backoffMaxMs: 200, ...opts });
  if (from) r.resume(from);
  const events: RecordEvent<R>[] = [];
  r.on((e) => events.push(e));
  r.start();
  cleanup.push(() => r.stop());
  return { r, events };
}

const podKeys = (s: SimHandle): string[] => [...s.server!.store.table(pods).keys()].sort();

describe('Reflector against the simulator', () => {
  it('lists in pages, then streams add/update/delete with old and new records', async () => {
    const s = await sim({ cluster: { pods: 300, nodes: 5, namespaces: 4 } });
    const { r, events } = reflect(s, Pods, { pageSize: 50 });
    await r.waitForSync(10_000);
    expect([...r.store.keys()].sort()).toEqual(podKeys(s));
    expect(r.store.size).toBe(302);
    expect(s.server!.stats.lists).toBe(Math.ceil(302 / 50));
    expect(events.filter((e) => e.type === 'add')).toHaveLength(302);

    const api = s.api();
    await api.request('POST', '/api/v1/namespaces/ns-0000/pods', { body: { metadata: { name: 'new-pod' }, spec: { nodeName: 'node-0001', containers: [{ name: 'c', image: 'i' }] } } });
    await until(() => r.get('ns-0000/new-pod') !== undefined, 'add');
    await api.request('PATCH', '/api/v1/namespaces/ns-0000/pods/new-pod', {
      body: { metadata: { annotations: { 'ovn.kubernetes.io/ip_address': '10.128.0.99', 'unrelated/note': 'x' } } },
      contentType: 'application/merge-patch+json',
    });
    await until(() => r.get('ns-0000/new-pod')?.annotations['ovn.kubernetes.io/ip_address'] === '10.128.0.99', 'update');
    const upd = events.find((e) => e.type === 'update') as Extract<RecordEvent<PodRecord>, { type: 'update' }>;
    expect(upd.old.annotations).toEqual({});
    expect(upd.record.annotations).toEqual({ 'ovn.kubernetes.io/ip_address': '10.128.0.99' });
    await api.request('DELETE', '/api/v1/namespaces/ns-0000/pods/new-pod');
    await until(() => events.some((e) => e.type === 'delete'), 'delete');
    const del = events.find((e) => e.type === 'delete') as Extract<RecordEvent<PodRecord>, { type: 'delete' }>;
    expect(del.old.name).toBe('new-pod');
    expect(r.get('ns-0000/new-pod')).toBeUndefined();
  });

  it('scopes list and watch with field and label selectors, and sees objects leave the selector', async () => {
    const s = await sim({ cluster: { pods: 200, nodes: 4, namespaces: 3 } });
    const node = reflect(s, Nodes, { fieldSelector: 'metadata.name=node-0001' }).r;
    const mine = reflect(s, Pods, { fieldSelector: 'spec.nodeName=node-0002' });
    await Promise.all([node.waitForSync(5000), mine.r.waitForSync(5000)]);
    expect([...node.store.keys()]).toEqual(['node-0001']);
    const expected = [...s.server!.store.table(pods).values()].filter((p) => p.meta.nodeName === 'node-0002').map((p) => `${p.meta.namespace}/${p.meta.name}`);
    expect(expected.length).toBeGreaterThan(10);
    expect([...mine.r.store.keys()].sort()).toEqual(expected.sort());
    expect([...mine.r.store.values()].every((p) => p.nodeName === 'node-0002')).toBe(true);

    const sample = [...s.server!.store.table(pods).values()].find((p) => p.meta.labels.app)!;
    const byApp = reflect(s, Pods, { labelSelector: `app=${sample.meta.labels.app},tier in (frontend,backend,cache,db,worker)`, namespace: sample.meta.namespace });
    await byApp.r.waitForSync(5000);
    expect(byApp.r.store.has(`${sample.meta.namespace}/${sample.meta.name}`)).toBe(true);
    expect([...byApp.r.store.values()].every((p) => p.labels.app === sample.meta.labels.app)).toBe(true);

    // Relabel one pod out of the selector: the watch turns it into a delete.
    await s.api().request('PATCH', `/api/v1/namespaces/${sample.meta.namespace}/pods/${sample.meta.name}`, {
      body: { metadata: { labels: { app: 'moved-away' } } },
      contentType: 'application/merge-patch+json',
    });
    await until(() => byApp.events.some((e) => e.type === 'delete'), 'selector exit');
    expect(byApp.r.store.has(`${sample.meta.namespace}/${sample.meta.name}`)).toBe(false);
    // Other nodes' events never reach the node-scoped reflector.
    const others = mine.events.length;
    await s.api().request('POST', '/api/v1/namespaces/ns-0000/pods', { body: { metadata: { name: 'elsewhere' }, spec: { nodeName: 'node-0003', containers: [] } } });
    await s.api().request('POST', '/api/v1/namespaces/ns-0000/pods', { body: { metadata: { name: 'here' }, spec: { nodeName: 'node-0002', containers: [] } } });
    await until(() => mine.r.store.has('ns-0000/here'), 'own pod');
    expect(mine.events.length).toBe(others + 1);
  });

  it('advances its resourceVersion from bookmarks without events of its own', async () => {
    const s = await sim({ cluster: { pods: 10, nodes: 2, namespaces: 1 }, bookmarkIntervalMs: 50 });
    const { r, events } = reflect(s, Pods);
    await r.waitForSync(5000);
    const before = Number(r.resourceVersion);
    const n = events.length;
    for (let i = 0; i < 5; i++) s.server!.store.create(namespaces, '', { metadata: { name: `extra-${i}` } });
    await until(() => Number(r.resourceVersion) >= before + 5, 'bookmark');
    expect(r.stats.bookmarks).toBeGreaterThan(0);
    expect(events.length).toBe(n);
  });

  it('relists after 410 Gone and emits deletes for objects that vanished meanwhile', async () => {
    const s = await sim({ cluster: { pods: 40, nodes: 2, namespaces: 2 }, historySize: 10 });
    const { r, events } = reflect(s, Pods);
    await r.waitForSync(5000);
    const store = s.server!.store;
    s.server!.setAvailable(false);
    s.server!.closeWatches();
    await until(() => r.stats.reconnects > 0, 'disconnect');
    const gone = podKeys(s).slice(0, 3);
    for (const k of gone) {
      const [ns, name] = k.split('/');
      store.delete(pods, ns!, name!);
    }
    store.create(pods, 'ns-0000', { metadata: { name: 'fresh-1' }, spec: {} });
    store.create(pods, 'ns-0000', { metadata: { name: 'fresh-2' }, spec: {} });
    for (let i = 0; i < 20; i++) store.create(namespaces, '', { metadata: { name: `churn-${i}` } });
    events.length = 0;
    s.server!.setAvailable(true);
    await until(() => r.stats.relists > 0 && r.store.has('ns-0000/fresh-2'), 'relist');
    expect([...r.store.keys()].sort()).toEqual(podKeys(s));
    expect(events.filter((e) => e.type === 'delete').map((e) => e.type === 'delete' && `${e.old.namespace}/${e.old.name}`).sort()).toEqual([...gone].sort());
    expect(events.filter((e) => e.type === 'add')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'update')).toHaveLength(0);
  });

  it('resumes from a snapshot without a list: the watch brings only what changed since; a version too old brings a diffed list', async () => {
    const s = await sim({ cluster: { pods: 40, nodes: 2, namespaces: 2 }, historySize: 10 });
    const first = reflect(s, Pods).r;
    await first.waitForSync(5000);
    const snap = first.snapshot()!;
    await first.stop();
    expect(snap.records).toHaveLength(42);
    const store = s.server!.store;
    const [ns, name] = podKeys(s)[0]!.split('/');
    store.delete(pods, ns!, name!);
    store.create(pods, 'ns-0000', { metadata: { name: 'while-down' }, spec: {} });

    const lists = s.server!.stats.lists;
    const { r, events } = reflect(s, Pods, {}, snap);
    await r.waitForSync(1000);
    await until(() => r.store.has('ns-0000/while-down') && !r.store.has(`${ns}/${name}`), 'the changes since the snapshot');
    expect(s.server!.stats.lists).toBe(lists);
    expect(events.map((e) => e.type).sort()).toEqual(['add', 'delete']);
    expect([...r.store.keys()].sort()).toEqual(podKeys(s));

    // More changes than the server's history holds: 410, then one list diffed against the snapshot.
    for (let i = 0; i < 20; i++) store.create(namespaces, '', { metadata: { name: `churn-${i}` } });
    store.create(pods, 'ns-0000', { metadata: { name: 'after-churn' }, spec: {} });
    const { r: old, events: oldEvents } = reflect(s, Pods, {}, snap);
    await until(() => old.stats.relists > 0 && old.store.has('ns-0000/after-churn'), 'the relist');
    expect([...old.store.keys()].sort()).toEqual(podKeys(s));
    expect(oldEvents.map((e) => e.type).sort()).toEqual(['add', 'add', 'delete']);
    expect(() => old.resume(snap)).toThrow(/before start/);
  });

  it('reconnects after the API server restarts on the same port, converging on its contents', async () => {
    const a = await startSim({ cluster: { pods: 30, nodes: 2, namespaces: 2, seed: 1 } });
    const { r, events } = reflect(a, Pods);
    await r.waitForSync(5000);
    const before = new Set(r.store.keys());
    await a.stop();
    await until(() => r.stats.reconnects >= 2, 'reconnect attempts');
    // B writes more objects than A did: its resourceVersions must still not be mistaken for A's.
    const b = await sim({ cluster: { pods: 90, nodes: 2, namespaces: 2, seed: 2 }, port: a.port });
    await until(() => r.store.size === 92 && [...r.store.keys()].every((k) => b.server!.store.table(pods).has(k)), 'convergence');
    expect(r.stats.relists).toBeGreaterThan(0);
    const deleted = events.filter((e) => e.type === 'delete').length;
    expect(deleted).toBe([...before].filter((k) => !r.store.has(k)).length);
    expect(deleted).toBeGreaterThan(0);
  });

  it('counts and logs an invalid object naming its field, and keeps watching', async () => {
    const s = await sim({ cluster: { pods: 5, nodes: 1, namespaces: 1 } });
    const lines: string[] = [];
    const { r } = reflect(s, Pods, { logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }) });
    await r.waitForSync(5000);
    const api = s.api();
    await api.request('POST', '/api/v1/namespaces/ns-0000/pods', { body: { metadata: { name: 'bad' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 'http' }] }] } } });
    await api.request('POST', '/api/v1/namespaces/ns-0000/pods', { body: { metadata: { name: 'good' }, spec: {} } });
    await until(() => r.store.has('ns-0000/good'), 'later event');
    expect(r.store.has('ns-0000/bad')).toBe(false);
    expect(r.stats.invalid).toBe(1);
    const logged = lines.map((l) => JSON.parse(l) as { object?: string; field?: string }).find((l) => l.object);
    expect(logged).toMatchObject({ object: 'Pod ns-0000/bad', field: 'spec.containers[0].ports[0].containerPort' });
  });

  it('lists in a worker thread to the same records as on its own thread, naming invalid objects, then watches', async () => {
    const s = await sim({ cluster: { pods: 300, nodes: 5, namespaces: 4 } });
    const api = s.api();
    await api.request('POST', '/api/v1/namespaces/ns-0000/pods', { body: { metadata: { name: 'bad' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 'http' }] }] } } });
    const lines: string[] = [];
    const inWorker = reflect(s, Pods, { pageSize: 50, listInWorker: true, logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }) });
    const here = reflect(s, Pods, { pageSize: 50 });
    await inWorker.r.waitForSync(10_000);
    await here.r.waitForSync(10_000);
    expect(inWorker.r.store.size).toBe(302);
    expect([...inWorker.r.store.entries()].sort(([a], [b]) => (a < b ? -1 : 1))).toEqual([...here.r.store.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(inWorker.r.stats.invalid).toBe(1);
    const logged = lines.map((l) => JSON.parse(l) as { object?: string; field?: string }).find((l) => l.object);
    expect(logged).toMatchObject({ object: 'Pod ns-0000/bad', field: 'spec.containers[0].ports[0].containerPort' });
    await api.request('POST', '/api/v1/namespaces/ns-0000/pods', { body: { metadata: { name: 'later' }, spec: {} } });
    await until(() => inWorker.r.store.has('ns-0000/later'), 'a watch event after the worker list');
  });

  it('stops a list running in a worker thread', async () => {
    const s = await sim({ cluster: { pods: 2000, nodes: 5, namespaces: 4 } });
    const r = new Reflector(s.api(), Pods, { pageSize: 10, listInWorker: true });
    r.start();
    await new Promise((res) => setTimeout(res, 50));
    await r.stop();
    expect(r.hasSynced()).toBe(false);
  });

  it('works for cluster-scoped kinds keyed by name', async () => {
    const s = await sim({ cluster: { pods: 5, nodes: 1, namespaces: 3 } });
    const { r } = reflect(s, Namespaces, { pageSize: 2 });
    await r.waitForSync(5000);
    expect([...r.store.keys()].sort()).toEqual(['kube-system', 'ns-0000', 'ns-0001', 'ns-0002']);
  });
});
