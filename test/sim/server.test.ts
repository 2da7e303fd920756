import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../support/sim.js';

/** Decoded JSON, read by assertions. */
type J = Record<string, any>;

let s: SimHandle;
beforeAll(async () => {
  s = await startSim({ cluster: { pods: 120, nodes: 3, namespaces: 2 }, historySize: 50, bookmarkIntervalMs: 50 });
});
afterAll(async () => {
  await s?.stop();
});

const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
  const r = await fetch(s.url + path, { method, headers: body === undefined ? {} : { 'Content-Type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as J };
};

/** Reads a watch stream until `n` lines or `ms` pass. */
async function watchLines(path: string, n: number, ms = 3000): Promise<{ type: string; object: J }[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), ms);
  const out: { type: string; object: J }[] = [];
  try {
    const r = await fetch(s.url + path, { signal: ctrl.signal });
    const reader = r.body!.getReader();
    let buf = '';
    while (out.length < n) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        out.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return out;
}

describe('simulated API server', () => {
  it('serves discovery, KubeVirt only when enabled', async () => {
    expect((await call('GET', '/api')).body.versions).toEqual(['v1']);
    const groups = (await call('GET', '/apis')).body.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['discovery.k8s.io', 'networking.k8s.io', 'coordination.k8s.io', 'kubeovn.io']));
    expect(groups).not.toContain('kubevirt.io');
    expect((await call('GET', '/apis/kubevirt.io/v1')).status).toBe(404);
    const core = (await call('GET', '/api/v1')).body.resources.map((r: { name: string }) => r.name);
    expect(core).toEqual(expect.arrayContaining(['nodes', 'namespaces', 'pods', 'services', 'events']));
  });

  it('pages a consistent snapshot with limit/continue', async () => {
    const first = await call('GET', '/api/v1/pods?limit=50');
    expect(first.body.items).toHaveLength(50);
    const rv = first.body.metadata.resourceVersion;
    await call('POST', '/api/v1/namespaces/ns-0000/pods', { metadata: { name: 'late' }, spec: {} });
    const names = first.body.items.map((p: { metadata: { name: string } }) => p.metadata.name);
    let token = first.body.metadata.continue;
    while (token) {
      const page = await call('GET', `/api/v1/pods?limit=50&continue=${token}`);
      expect(page.body.metadata.resourceVersion).toBe(rv);
      names.push(...page.body.items.map((p: { metadata: { name: string } }) => p.metadata.name));
      token = page.body.metadata.continue;
    }
    expect(names).toHaveLength(122);
    expect(names).not.toContain('late');
    expect(new Set(names).size).toBe(122);
    expect((await call('GET', '/api/v1/pods?limit=5&continue=bm9wZQ')).status).toBe(410);
  });

  it('filters lists by label and field selectors and rejects bad ones', async () => {
    const byNode = await call('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-0001');
    expect(byNode.body.items.length).toBeGreaterThan(0);
    expect(byNode.body.items.every((p: { spec: { nodeName: string } }) => p.spec.nodeName === 'node-0001')).toBe(true);
    const ns = await call('GET', '/api/v1/namespaces/ns-0001/pods?labelSelector=tier%20notin%20(db),!nothere');
    expect(ns.body.items.every((p: { metadata: { namespace: string; labels: { tier: string } } }) => p.metadata.namespace === 'ns-0001' && p.metadata.labels.tier !== 'db')).toBe(true);
    expect((await call('GET', '/api/v1/nodes?fieldSelector=metadata.name%3Dnode-0002')).body.items).toHaveLength(1);
    expect((await call('GET', '/api/v1/nodes?fieldSelector=spec.nodeName%3Dx')).status).toBe(400);
    expect((await call('GET', '/api/v1/pods?labelSelector=a%20in%20(b')).status).toBe(400);
  });

  it('versions every write; stale updates get 409, duplicates 409, missing 404', async () => {
    const created = await call('POST', '/api/v1/namespaces/ns-0000/services', { metadata: { name: 'svc-a' }, spec: { ports: [{ port: 80 }] } });
    expect(created.status).toBe(201);
    const rv = Number(created.body.metadata.resourceVersion);
    expect((await call('POST', '/api/v1/namespaces/ns-0000/services', { metadata: { name: 'svc-a' } })).body.reason).toBe('AlreadyExists');
    const upd = await call('PUT', '/api/v1/namespaces/ns-0000/services/svc-a', { ...created.body, spec: { ports: [{ port: 81 }] } });
    expect(upd.status).toBe(200);
    expect(Number(upd.body.metadata.resourceVersion)).toBeGreaterThan(rv);
    const stale = await call('PUT', '/api/v1/namespaces/ns-0000/services/svc-a', created.body);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect((await call('GET', '/api/v1/namespaces/ns-0000/services/nope')).status).toBe(404);
  });

  it('applies merge and strategic merge patches, refusing other patch types', async () => {
    await call('POST', '/api/v1/namespaces/ns-0000/pods', { metadata: { name: 'patched', labels: { a: '1', b: '2' } }, spec: {} });
    const merge = await call('PATCH', '/api/v1/namespaces/ns-0000/pods/patched', { metadata: { labels: { a: null, c: '3' } } }, 'application/merge-patch+json');
    expect(merge.body.metadata.labels).toEqual({ b: '2', c: '3' });
    const smp = await call('PATCH', '/api/v1/namespaces/ns-0000/pods/patched', { metadata: { annotations: { x: 'y' }, $setElementOrder: [] } }, 'application/strategic-merge-patch+json');
    expect(smp.body.metadata.annotations).toEqual({ x: 'y' });
    expect(smp.body.metadata.$setElementOrder).toBeUndefined();
    expect((await call('PATCH', '/api/v1/namespaces/ns-0000/pods/patched', [{ op: 'remove', path: '/metadata/labels' }], 'application/json-patch+json')).status).toBe(415);
    const stale = await call('PATCH', '/api/v1/namespaces/ns-0000/pods/patched', { metadata: { resourceVersion: '1', labels: { d: '4' } } }, 'application/merge-patch+json');
    expect(stale.status).toBe(409);
  });

  it('watches from a resourceVersion with bookmarks, and answers 410 Gone past its history', async () => {
    const rv = (await call('GET', '/api/v1/namespaces?limit=1')).body.metadata.resourceVersion;
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'watched' } });
    const lines = await watchLines(`/api/v1/namespaces?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, 2);
    expect(lines[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'watched' } } });
    expect(lines[1]!.type).toBe('BOOKMARK');
    expect(Number(lines[1]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    for (let i = 0; i < 60; i++) await call('POST', '/api/v1/namespaces', { metadata: { name: `churn-${i}` } });
    const gone = await watchLines(`/api/v1/namespaces?watch=true&resourceVersion=${rv}`, 1);
    expect(gone[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('watch turns selector exits into DELETED and entries into ADDED', async () => {
    await call('POST', '/api/v1/namespaces/ns-0000/pods', { metadata: { name: 'mover', labels: { role: 'a' } }, spec: {} });
    const rv = (await call('GET', '/api/v1/namespaces/ns-0000/pods/mover')).body.metadata.resourceVersion;
    await call('PATCH', '/api/v1/namespaces/ns-0000/pods/mover', { metadata: { labels: { role: 'b' } } }, 'application/merge-patch+json');
    await call('PATCH', '/api/v1/namespaces/ns-0000/pods/mover', { metadata: { labels: { role: 'a' } } }, 'application/merge-patch+json');
    const lines = await watchLines(`/api/v1/pods?watch=true&resourceVersion=${rv}&labelSelector=role%3Da`, 2);
    expect(lines.map((l) => l.type)).toEqual(['DELETED', 'ADDED']);
  });
});
