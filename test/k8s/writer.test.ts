import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, isServed, KubeWriter, Pods, Vmis, Vmims, Subnets, trimPod } from '../../src/k8s/index.js';
import { simResources } from '../../src/sim/catalog.js';
import { startSim, type SimHandle } from '../support/sim.js';

const podsRes = simResources.find((r) => r.plural === 'pods')!;

let s: SimHandle;
beforeAll(async () => {
  s = await startSim({ cluster: { pods: 5, nodes: 1, namespaces: 1, greenfield: true } });
});
afterAll(async () => {
  await s?.stop();
});

describe('KubeWriter', () => {
  it('writes IPAM results as pod annotations (merge patch) and removes them with null', async () => {
    const w = new KubeWriter(s.api());
    const [key] = [...s.server!.store.table(podsRes).keys()];
    const [ns, name] = key!.split('/');
    const rec = await w.patchPodAnnotations(ns!, name!, { 'ovn.kubernetes.io/ip_address': '10.128.0.7', 'ovn.kubernetes.io/allocated': 'true' });
    expect(rec.annotations).toMatchObject({ 'ovn.kubernetes.io/ip_address': '10.128.0.7', 'ovn.kubernetes.io/allocated': 'true' });
    const after = await w.patchPodAnnotations(ns!, name!, { 'ovn.kubernetes.io/allocated': null });
    expect(after.annotations['ovn.kubernetes.io/allocated']).toBeUndefined();
    const stored = trimPod(JSON.parse(s.server!.store.get(podsRes, ns!, name!)!.json));
    expect(stored.annotations['ovn.kubernetes.io/ip_address']).toBe('10.128.0.7');
  });

  it('creates Events on objects', async () => {
    const w = new KubeWriter(s.api());
    await w.createEvent({ apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'ns-0000', uid: 'u1' }, { type: 'Warning', reason: 'AllocateFailed', message: 'subnet full', component: 'ovnscale' });
    await w.createEvent({ apiVersion: 'kubeovn.io/v1', kind: 'Subnet', name: 'ovn-default', namespace: '', uid: 'u2' }, { type: 'Normal', reason: 'Synced', message: 'ok', component: 'ovnscale' });
    const list = await s.api().request<{ items: { reason: string; involvedObject: { name: string } }[] }>('GET', '/api/v1/events');
    expect(list.items.map((e) => `${e.reason}:${e.involvedObject.name}`).sort()).toEqual(['AllocateFailed:p', 'Synced:ovn-default']);
  });

  it('creates, renews and contends for a Lease with 409 conflicts', async () => {
    const a = new KubeWriter(s.api());
    const b = new KubeWriter(s.api());
    expect(await a.getLease('kube-system', 'ovnscale')).toBeUndefined();
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 };
    const mine = await a.createLease('kube-system', 'ovnscale', spec);
    expect(mine.holderIdentity).toBe('a');
    await expect(b.createLease('kube-system', 'ovnscale', { ...spec, holderIdentity: 'b' })).rejects.toBeInstanceOf(ConflictError);
    const seenByB = (await b.getLease('kube-system', 'ovnscale'))!;
    const renewed = await a.updateLease(mine, spec);
    expect(Number(renewed.resourceVersion)).toBeGreaterThan(Number(mine.resourceVersion));
    // b acts on a stale read: the compare-and-swap fails.
    await expect(b.updateLease(seenByB, { ...spec, holderIdentity: 'b', leaseTransitions: 1 })).rejects.toBeInstanceOf(ConflictError);
    expect((await a.getLease('kube-system', 'ovnscale'))!.holderIdentity).toBe('a');
  });
});

describe('KubeApi', () => {
  it('reuses connections across requests (client-node makes a new agent per request)', async () => {
    const api = s.api();
    const before = s.server!.stats.connections;
    for (let i = 0; i < 20; i++) await api.request('GET', '/api/v1/namespaces');
    expect(s.server!.stats.connections - before).toBeLessThanOrEqual(2);
    api.close();
  });
});

describe('discovery', () => {
  it('reports KubeVirt resources only when the server serves them', async () => {
    expect(await isServed(s.api(), Subnets)).toBe(true);
    expect(await isServed(s.api(), Pods)).toBe(true);
    expect(await isServed(s.api(), Vmis)).toBe(false);
    const kv = await startSim({ kubevirt: true });
    try {
      expect(await isServed(kv.api(), Vmis)).toBe(true);
      expect(await isServed(kv.api(), Vmims)).toBe(true);
    } finally {
      await kv.stop();
    }
  });
});

