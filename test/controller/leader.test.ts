import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector, type LeaseApi } from '../../src/controller/leader.js';
import { KubeApi, KubeWriter } from '../../src/k8s/index.js';
import { SimServer } from '../../src/sim/server.js';
import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '../../src/util/log.js';

let sim: SimServer;
let writer: KubeWriter;

beforeAll(async () => {
  sim = new SimServer();
  await sim.start();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: sim.url, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'sim', user: 'u' }],
    currentContext: 'c',
  });
  writer = new KubeWriter(new KubeApi(kc));
});
afterAll(async () => {
  await sim?.stop();
});

/** The real writer, behind a switch that cuts this candidate off the API server. */
function partitionable(api: LeaseApi): LeaseApi & { cut: boolean } {
  const fail = () => Promise.reject(new Error('connection refused (partitioned)'));
  const p = {
    cut: false,
    getLease: (ns: string, n: string) => (p.cut ? fail() : api.getLease(ns, n)),
    createLease: (...a: Parameters<LeaseApi['createLease']>) => (p.cut ? fail() : api.createLease(...a)),
    updateLease: (...a: Parameters<LeaseApi['updateLease']>) => (p.cut ? fail() : api.updateLease(...a)),
  } as LeaseApi & { cut: boolean };
  return p;
}

const elector = (identity: string, api: LeaseApi, events: string[], leaseDurationMs = 1500) =>
  new LeaderElector({
    api,
    namespace: 'kube-system',
    name: `ovnscale-test-${identity.length}`,
    identity,
    leaseDurationMs,
    renewDeadlineMs: leaseDurationMs - 500,
    retryPeriodMs: 100,
    log: silentLogger,
    onStartedLeading: () => events.push(`${identity}:start`),
    onStoppedLeading: () => events.push(`${identity}:stop`),
  });

async function sampleUntil(a: LeaderElector, b: LeaderElector, cond: () => boolean, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let both = 0;
  while (performance.now() < end && !cond()) {
    if (a.isLeader() && b.isLeader()) both++;
    await new Promise((r) => setTimeout(r, 5));
  }
  return both;
}

describe('leader election over a real Lease', () => {
  it('one leader at a time; a partitioned leader steps down before the other takes over', async () => {
    const events: string[] = [];
    const apiA = partitionable(writer);
    const a = elector('a', apiA, events);
    const b = elector('b', writer, events);
    a.start();
    await sampleUntil(a, b, () => a.isLeader(), 3000);
    b.start();
    expect(await sampleUntil(a, b, () => false, 600)).toBe(0);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);

    apiA.cut = true;
    const both = await sampleUntil(a, b, () => b.isLeader(), 5000);
    expect(both).toBe(0);
    expect(b.isLeader()).toBe(true);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(['a:start', 'a:stop', 'b:start']);
    const lease = await writer.getLease('kube-system', 'ovnscale-test-1');
    expect(lease?.holderIdentity).toBe('b');
    expect(lease?.leaseTransitions).toBe(1);
    await a.stop();
    await b.stop();
  });

  it('renewals keep the time the holder acquired the lease', async () => {
    const a = elector('acq', writer, []);
    a.start();
    try {
      await sampleUntil(a, a, () => a.isLeader(), 3000);
      const first = (await writer.getLease('kube-system', 'ovnscale-test-3'))!;
      await new Promise((r) => setTimeout(r, 350));
      const later = (await writer.getLease('kube-system', 'ovnscale-test-3'))!;
      expect(later.renewTime).not.toBe(first.renewTime);
      expect(later.acquireTime).toBe(first.acquireTime);
      expect(later.acquireTime).not.toBe('');
    } finally {
      await a.stop();
    }
  });

  it('releases the lease on stop so a successor takes over at once', async () => {
    const events: string[] = [];
    // A lease far longer than the takeover we expect: a successor waiting for expiry would fail this.
    const a = elector('aa', writer, events, 20_000);
    const b = elector('bb', writer, events, 20_000);
    a.start();
    await sampleUntil(a, b, () => a.isLeader(), 3000);
    b.start();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await a.stop();
    await sampleUntil(a, b, () => b.isLeader(), 6000);
    expect(b.isLeader()).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
    await b.stop();
  });
});
