import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { trimEndpointSlice, trimNetworkPolicy, trimPod, trimService, trimSubnet, trimVmi } from '../../src/k8s/index.js';
import { clusterSpec, generateCluster } from '../../src/sim/gen/cluster.js';
import { ipToInt } from '../../src/sim/gen/ipam.js';
import type { K8sObject } from '../../src/sim/gen/objects.js';

const gen = (p: Parameters<typeof clusterSpec>[0]): K8sObject[] => [...generateCluster(clusterSpec(p))];
const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const digest = (objs: K8sObject[]) => createHash('sha256').update(JSON.stringify(objs)).digest('hex');

const inCidr = (ip: string, cidr: string): boolean => {
  const [base, len] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  const b = ipToInt(base!);
  return ipToInt(ip) >= b && ipToInt(ip) < b + size;
};

describe('synthetic cluster generator', () => {
  const spec = { seed: 7, nodes: 20, subnets: 6, pods: 3000, namespaces: 25, policies: 90, services: 60, kubevirt: true, vmShare: 0.02 };
  const objs = gen(spec);

  it('is deterministic per seed and differs across seeds', () => {
    expect(digest(gen(spec))).toBe(digest(objs));
    expect(digest(gen({ ...spec, seed: 8 }))).not.toBe(digest(objs));
  });

  it('produces the requested counts, every object a valid record', () => {
    expect(byKind(objs, 'Node')).toHaveLength(20);
    expect(byKind(objs, 'Subnet')).toHaveLength(6);
    expect(byKind(objs, 'Namespace')).toHaveLength(26);
    expect(byKind(objs, 'Pod')).toHaveLength(3002);
    expect(byKind(objs, 'NetworkPolicy')).toHaveLength(90);
    expect(byKind(objs, 'Service')).toHaveLength(61);
    expect(byKind(objs, 'VirtualMachineInstance')).toHaveLength(60);
    for (const o of byKind(objs, 'Pod')) trimPod(o);
    for (const o of byKind(objs, 'NetworkPolicy')) trimNetworkPolicy(o);
    for (const o of byKind(objs, 'Service')) trimService(o);
    for (const o of byKind(objs, 'VirtualMachineInstance')) trimVmi(o);
  });

  it('lays out non-overlapping subnets big enough for their pods, every namespace on one', () => {
    const subnets = byKind(objs, 'Subnet').map(trimSubnet);
    const ranges = subnets.map((s) => {
      const [b, l] = s.cidrBlock.split('/');
      return [ipToInt(b!), ipToInt(b!) + 2 ** (32 - Number(l))] as const;
    });
    for (let i = 0; i < ranges.length; i++)
      for (let j = i + 1; j < ranges.length; j++) expect(ranges[i]![1] <= ranges[j]![0] || ranges[j]![1] <= ranges[i]![0]).toBe(true);
    const nsToSubnet = new Map(subnets.flatMap((s) => s.namespaces.map((n) => [n, s] as const)));
    expect(nsToSubnet.size).toBe(26);
    expect(subnets.filter((s) => s.isDefault).map((s) => s.name)).toEqual(['ovn-default']);
    expect(subnets.some((s) => s.gatewayType === 'distributed')).toBe(true);

    const pods = byKind(objs, 'Pod').map(trimPod);
    const ips = new Set<string>();
    for (const p of pods) {
      const s = nsToSubnet.get(p.namespace)!;
      const ip = p.annotations['ovn.kubernetes.io/ip_address']!;
      expect(p.podIPs).toEqual([ip]);
      expect(inCidr(ip, s.cidrBlock)).toBe(true);
      expect(p.annotations['ovn.kubernetes.io/logical_switch']).toBe(s.name);
      expect(s.excludeIps).not.toContain(ip);
      expect(ip).not.toBe(s.gateway);
      ips.add(ip);
    }
    expect(ips.size).toBe(pods.length);
    expect(new Set(pods.map((p) => p.annotations['ovn.kubernetes.io/mac_address'])).size).toBe(pods.length);
  });

  it('skews apps (Zipf) and labels pods with app/tier/team/env/version', () => {
    const pods = byKind(objs, 'Pod').map(trimPod).filter((p) => p.labels.app);
    for (const k of ['app', 'tier', 'team', 'env', 'version']) expect(pods.every((p) => p.labels[k])).toBe(true);
    const sizes = new Map<string, number>();
    for (const p of pods) sizes.set(`${p.namespace}/${p.labels.app}`, (sizes.get(`${p.namespace}/${p.labels.app}`) ?? 0) + 1);
    const sorted = [...sizes.values()].sort((a, b) => b - a);
    expect(sorted[0]!).toBeGreaterThan(5 * sorted[Math.floor(sorted.length / 2)]!);
  });

  it('keeps EndpointSlices consistent with the pods their Service selects', () => {
    const pods = byKind(objs, 'Pod').map(trimPod);
    const slices = byKind(objs, 'EndpointSlice').map(trimEndpointSlice);
    for (const svc of byKind(objs, 'Service').map(trimService)) {
      const selected = pods.filter((p) => p.namespace === svc.namespace && Object.entries(svc.selector!).every(([k, v]) => p.labels[k] === v));
      const addresses = slices.filter((s) => s.namespace === svc.namespace && s.serviceName === svc.name).flatMap((s) => s.endpoints.flatMap((e) => e.addresses));
      expect(addresses.sort()).toEqual(selected.flatMap((p) => p.podIPs).sort());
    }
  });

  it('generates the common NetworkPolicy kinds', () => {
    const nps = byKind(objs, 'NetworkPolicy').map(trimNetworkPolicy);
    const has = (f: (n: (typeof nps)[number]) => boolean) => nps.some(f);
    expect(has((n) => n.ingress.length === 0 && n.policyTypes.includes('Ingress') && !n.podSelector.matchLabels)).toBe(true);
    expect(has((n) => n.ingress.some((r) => r.peers.some((p) => p.namespaceSelector)))).toBe(true);
    expect(has((n) => n.ingress.some((r) => r.peers.some((p) => (p.ipBlock?.except.length ?? 0) > 0)))).toBe(true);
    expect(has((n) => n.ingress.some((r) => r.ports.some((p) => p.endPort !== undefined)))).toBe(true);
    expect(has((n) => n.ingress.some((r) => r.ports.some((p) => typeof p.port === 'string')))).toBe(true);
    expect(has((n) => n.egress.some((r) => r.ports.some((p) => p.port === 53 && p.protocol === 'UDP')))).toBe(true);
  });

  it('pairs each VMI with a virt-launcher pod on its node', () => {
    const pods = byKind(objs, 'Pod').map(trimPod);
    for (const vmi of byKind(objs, 'VirtualMachineInstance').map(trimVmi)) {
      const launcher = pods.find((p) => p.namespace === vmi.namespace && p.labels['vm.kubevirt.io/name'] === vmi.name)!;
      expect(launcher.labels['kubevirt.io']).toBe('virt-launcher');
      expect(launcher.nodeName).toBe(vmi.nodeName);
      expect(launcher.annotations['kubevirt.io/domain']).toBe(vmi.name);
    }
  });

  it('greenfield: no pod IPs and empty EndpointSlices', () => {
    const g = gen({ ...spec, greenfield: true });
    expect(byKind(g, 'Pod').map(trimPod).every((p) => p.podIPs.length === 0 && !p.annotations['ovn.kubernetes.io/ip_address'] && p.phase === 'Pending')).toBe(true);
    expect(byKind(g, 'EndpointSlice').map(trimEndpointSlice).every((s) => s.endpoints.length === 0)).toBe(true);
  });
});
