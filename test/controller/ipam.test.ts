import { describe, expect, it } from 'vitest';
import { allocationAnnotations, annotationMergePatch, ANN } from '../../src/controller/ipam/annotations.js';
import { Ipam, podOwner } from '../../src/controller/ipam/ipam.js';
import { pod, subnet } from './fixtures.js';

const who = (name: string) => ({ kind: 'Pod', namespace: 'ns', name });

describe('IPAM', () => {
  it('allocates in order, skipping network, gateway, excludeIps (single and a..b) and broadcast', () => {
    const ipam = new Ipam();
    expect(ipam.setSubnets([subnet('s', '10.0.0.0/29', { excludeIps: ['10.0.0.2', '10.0.0.4..10.0.0.5'] })]).errors).toEqual([]);
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = ipam.allocate(`ns/p${i}`, 's', who(`p${i}`));
      if (r.ok) got.push(r.allocation.ip);
    }
    // .0 network, .1 gateway, .2 .4 .5 excluded, .7 broadcast
    expect(got).toEqual(['10.0.0.3', '10.0.0.6']);
  });

  it('reports exhaustion with the pod and field', () => {
    const ipam = new Ipam();
    ipam.setSubnets([subnet('s', '10.0.0.0/30')]);
    expect(ipam.allocate('ns/a', 's', who('a')).ok).toBe(true);
    const r = ipam.allocate('ns/b', 's', who('b'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'Pod', namespace: 'ns', name: 'b', reason: 'subnet-exhausted', field: `metadata.annotations[${ANN.ipAddress}]` });
  });

  it('reuses freed addresses and never hands one address to two owners', () => {
    const ipam = new Ipam();
    ipam.setSubnets([subnet('s', '10.1.0.0/24')]);
    const seen = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 253; i++) {
        const owner = `ns/p${round}-${i}`;
        const r = ipam.allocate(owner, 's', who(owner));
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(seen.has(r.allocation.ip)).toBe(false);
          seen.set(r.allocation.ip, owner);
        }
      }
      for (const [ip, owner] of seen) {
        ipam.release(owner);
        seen.delete(ip);
      }
    }
  });

  it('gives the same allocation back to an owner that asks twice', () => {
    const ipam = new Ipam();
    ipam.setSubnets([subnet('s', '10.1.0.0/24')]);
    const a = ipam.allocate('ns/a', 's', who('a'));
    const b = ipam.allocate('ns/a', 's', who('a'));
    expect(a).toEqual(b);
  });

  it('hands out unique MACs in 00:00:00:xx:xx:xx', () => {
    const ipam = new Ipam();
    ipam.setSubnets([subnet('s', '10.2.0.0/16')]);
    const macs = new Set<string>();
    for (let i = 0; i < 20000; i++) {
      const r = ipam.allocate(`ns/p${i}`, 's', who(`p${i}`));
      if (!r.ok) throw new Error(r.error.message);
      expect(r.allocation.mac).toMatch(/^00:00:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
      macs.add(r.allocation.mac);
    }
    expect(macs.size).toBe(20000);
  });

  it('recovers allocations from pod annotations after a restart', () => {
    const subnets = [subnet('s', '10.3.0.0/24')];
    const before = new Ipam();
    before.setSubnets(subnets);
    const pods = ['a', 'b', 'c'].map((n) => pod('ns', n, 'node1'));
    const annotated = pods.map((p) => {
      const r = before.allocate(podOwner(p), 's', who(p.name));
      if (!r.ok) throw new Error(r.error.message);
      return { ...p, annotations: allocationAnnotations(r.allocation, { routed: true }) };
    });
    const after = new Ipam();
    after.setSubnets(subnets);
    expect(after.recoverPods(annotated)).toEqual([]);
    for (const p of annotated) expect(after.get(podOwner(p))).toEqual(before.get(podOwner(p)));
    // A new pod does not get a recovered address.
    const n = after.allocate('ns/new', 's', who('new'));
    expect(n.ok && annotated.every((p) => p.annotations[ANN.ipAddress] !== n.allocation.ip)).toBe(true);
  });

  it('rejects an annotation claiming an address another pod holds, or outside its subnet', () => {
    const ipam = new Ipam();
    ipam.setSubnets([subnet('s', '10.4.0.0/24')]);
    const ann = (ip: string, mac: string) => ({ [ANN.allocated]: 'true', [ANN.ipAddress]: ip, [ANN.macAddress]: mac, [ANN.logicalSwitch]: 's' });
    const errors = ipam.recoverPods([
      pod('ns', 'first', 'n', { annotations: ann('10.4.0.10', '00:00:00:00:00:10') }),
      pod('ns', 'second', 'n', { annotations: ann('10.4.0.10', '00:00:00:00:00:11') }),
      pod('ns', 'third', 'n', { annotations: ann('10.5.0.10', '00:00:00:00:00:12') }),
      pod('ns', 'fourth', 'n', { annotations: ann('10.4.0.11', '00:00:00:00:00:10') }),
      pod('ns', 'fifth', 'n', { annotations: ann('10.4.0.1', '00:00:00:00:00:13') }),
    ]);
    const by = Object.fromEntries(errors.map((e) => [e.name, e]));
    expect(by['second']).toMatchObject({ reason: 'duplicate-ip', field: `metadata.annotations[${ANN.ipAddress}]` });
    expect(by['second']!.message).toContain('ns/first');
    expect(by['third']).toMatchObject({ reason: 'ip-outside-subnet' });
    expect(by['fourth']).toMatchObject({ reason: 'duplicate-mac', field: `metadata.annotations[${ANN.macAddress}]` });
    expect(by['fifth']).toMatchObject({ reason: 'ip-reserved' });
    expect(by['first']).toBeUndefined();
    expect(ipam.get('ns/first')?.ip).toBe('10.4.0.10');
  });

  it('serves pods asking at once one after the other, without duplicates', async () => {
    const ipam = new Ipam();
    ipam.setSubnets([subnet('s', '10.6.0.0/22')]);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => Promise.resolve().then(() => ipam.allocate(`ns/p${i}`, 's', who(`p${i}`)))),
    );
    const ips = results.map((r) => (r.ok ? r.allocation.ip : 'fail'));
    expect(new Set(ips).size).toBe(500);
  });

  it('evicts allocations that no longer fit when a subnet changes', () => {
    const ipam = new Ipam();
    ipam.setSubnets([subnet('s', '10.7.0.0/24')]);
    ipam.allocate('ns/a', 's', who('a'));
    const { evicted } = ipam.setSubnets([subnet('s', '10.8.0.0/24')]);
    expect(evicted).toEqual(['ns/a']);
    expect(ipam.get('ns/a')).toBeUndefined();
  });

  it('produces the annotation patch, empty once the pod carries it', () => {
    const ipam = new Ipam();
    ipam.setSubnets([subnet('s', '10.9.0.0/24', { gateway: '10.9.0.254' })]);
    const r = ipam.allocate('ns/a', 's', who('a'));
    if (!r.ok) throw new Error(r.error.message);
    const patch = allocationAnnotations(r.allocation, { routed: false });
    expect(patch).toEqual({
      [ANN.allocated]: 'true',
      [ANN.ipAddress]: '10.9.0.1',
      [ANN.macAddress]: r.allocation.mac,
      [ANN.cidr]: '10.9.0.0/24',
      [ANN.gateway]: '10.9.0.254',
      [ANN.logicalSwitch]: 's',
    });
    expect(annotationMergePatch(allocationAnnotations(r.allocation, { routed: true }, patch))).toEqual({ metadata: { annotations: { [ANN.routed]: 'true' } } });
    expect(annotationMergePatch(allocationAnnotations(r.allocation, { routed: false }, patch))).toBeUndefined();
  });
});

describe('subnet validation', () => {
  it('names the Subnet and field for an invalid CIDR, gateway outside, overlap and a bad exclude', () => {
    const ipam = new Ipam();
    const { errors } = ipam.setSubnets([
      subnet('a', '10.0.0.0/16'),
      subnet('b', '10.0.1.0/24'),
      subnet('c', '10.300.0.0/16'),
      subnet('d', '10.1.0.0/24', { gateway: '10.2.0.1' }),
      subnet('e', '10.3.0.0/24', { excludeIps: ['10.3.0.9..10.3.0.2'] }),
    ]);
    const by = Object.fromEntries(errors.map((e) => [e.name, e]));
    expect(by['b']).toMatchObject({ kind: 'Subnet', field: 'spec.cidrBlock', reason: 'overlapping-subnets' });
    expect(by['c']).toMatchObject({ field: 'spec.cidrBlock', reason: 'invalid-cidr' });
    expect(by['d']).toMatchObject({ field: 'spec.gateway', reason: 'gateway-outside-cidr' });
    expect(by['e']).toMatchObject({ field: 'spec.excludeIps[0]', reason: 'invalid-ip' });
    expect(by['a']).toBeUndefined();
    expect(ipam.subnet('a')).toBeDefined();
    expect(ipam.allocate('ns/x', 'b', who('x')).ok).toBe(false);
  });
});
