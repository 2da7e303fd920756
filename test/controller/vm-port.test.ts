import { describe, expect, it } from 'vitest';
import { desiredPods, podPortNameOf } from '../../src/controller/desired/pods.js';
import { Ipam, podOwner } from '../../src/controller/ipam/ipam.js';
import { parseSubnets } from '../../src/controller/subnet-spec.js';
import { DesiredState } from '../../src/nb/desired.js';
import { cfg, pod, subnet } from './fixtures.js';

const launcher = (name: string, node: string) =>
  pod('vms', name, node, { labels: { 'kubevirt.io': 'virt-launcher', 'vm.kubevirt.io/name': 'vm1' }, phase: 'Running' });

describe('KubeVirt VM ports', () => {
  it('source and target launcher pods share the VM port and address during a migration', () => {
    const subnets = [subnet('ovn-default', '10.16.0.0/16')];
    const ipam = new Ipam();
    ipam.setSubnets(subnets);
    const src = launcher('virt-launcher-vm1-abcde', 'node-a');
    const dst = launcher('virt-launcher-vm1-fghij', 'node-b');
    expect(podOwner(src)).toBe('vms/vm1');
    expect(podOwner(dst)).toBe(podOwner(src));
    expect(ipam.allocate(podOwner(src), 'ovn-default', { kind: 'Pod', namespace: 'vms', name: src.name }).ok).toBe(true);
    expect(podPortNameOf(dst)).toBe('vm1.vms');

    const byName = new Map(parseSubnets(subnets).subnets.map((s) => [s.name, s]));
    const out = desiredPods([src, dst], (p) => ipam.get(podOwner(p)), byName, cfg);
    expect(out.errors).toEqual([]);
    const state = new DesiredState();
    state.addAll(out.rows);
    expect(state.conflicts).toEqual([]);
    const ports = [...state.rows('Logical_Switch_Port').values()];
    expect(ports.map((r) => r.key)).toEqual(['vm1.vms']);
    expect(ports[0]!.row.external_ids).toMatchObject({ pod: 'vms/vm1' });
    expect(out.placement.onNode('node-a')).toEqual(['vm1.vms']);
    expect(out.placement.onNode('node-b')).toEqual(['vm1.vms']);
  });

  it('ordinary pods keep their own port and address', () => {
    const p = pod('default', 'web-1', 'node-a', { labels: { 'vm.kubevirt.io/name': 'not-a-launcher' } });
    expect(podPortNameOf(p)).toBe('web-1.default');
    expect(podOwner(p)).toBe('default/web-1');
  });
});
