import { describe, expect, it } from 'vitest';
import {
  desiredCentralizedGateways,
  desiredNodes,
  desiredPods,
  desiredPolicy,
  desiredServices,
  desiredSubnets,
  type ResolvedPolicy,
} from '../../src/controller/desired/index.js';
import type { Allocation } from '../../src/controller/ipam/annotations.js';
import { parseSubnets } from '../../src/controller/subnet-spec.js';
import type { DesiredRow } from '../../src/nb/desired.js';
import { activeGatewaysInNb } from '../../src/nb/read.js';
import type { NetworkPolicyRecord } from '../../src/k8s/records.js';
import { cfg, node, pod, policy, service, slice, subnet } from './fixtures.js';

const parsed = parseSubnets([
  subnet('join', '100.64.0.0/16', { gatewayType: 'centralized' }),
  subnet('ovn-default', '10.16.0.0/16', { gateway: '10.16.0.1' }),
  subnet('central', '10.17.0.0/16', { gatewayType: 'centralized' }),
]).subnets;
const byName = new Map(parsed.map((s) => [s.name, s]));
const find = (rows: DesiredRow[], table: string, pred: (r: DesiredRow) => boolean = () => true) => rows.filter((r) => r.table === table && pred(r));
const alloc = (ip: string, ls: string, mac = '00:00:00:11:22:33'): Allocation => ({ owner: '', ip, mac, cidr: '', gateway: '', logicalSwitch: ls });

describe('desiredSubnets', () => {
  const { rows } = desiredSubnets(parsed, cfg);
  it('writes the cluster router, a switch and a router link per subnet', () => {
    expect(find(rows, 'Logical_Router')[0]!.row).toEqual({ name: 'ovn-cluster', external_ids: { vendor: 'kube-ovn' } });
    const lsp = find(rows, 'Logical_Switch_Port', (r) => r.key === 'ovn-default-ovn-cluster')[0]!;
    expect(lsp.row).toEqual({
      name: 'ovn-default-ovn-cluster',
      type: 'router',
      addresses: ['router'],
      options: { 'router-port': 'ovn-cluster-ovn-default' },
      external_ids: { ls: 'ovn-default', vendor: 'kube-ovn' },
    });
    expect(lsp.parent).toEqual({ table: 'Logical_Switch', key: 'ovn-default', column: 'ports' });
    const lrp = find(rows, 'Logical_Router_Port', (r) => r.key === 'ovn-cluster-ovn-default')[0]!;
    expect(lrp.row['networks']).toEqual(['10.16.0.1/16']);
    expect(lrp.row['external_ids']).toEqual({ lr: 'ovn-cluster', vendor: 'kube-ovn' });
    expect(lrp.insertOnly?.['mac']).toMatch(/^00:00:00:/);
    expect(find(rows, 'Logical_Router_Port', (r) => r.key === 'ovn-cluster-join')[0]!.row['networks']).toEqual(['100.64.0.1/16']);
  });
  it('writes the 31000 allow policy per subnet', () => {
    const p = find(rows, 'Logical_Router_Policy', (r) => r.row['match'] === 'ip4.dst == 10.16.0.0/16')[0]!;
    expect(p.row).toMatchObject({ priority: 31000, action: 'allow', external_ids: { vendor: 'kube-ovn', subnet: 'ovn-default' } });
    expect(p.key).toBe('ovn-cluster|31000|ip4.dst == 10.16.0.0/16');
  });
  it('attaches the cluster load balancers to subnet switches, not to join', () => {
    expect(find(rows, 'Logical_Switch', (r) => r.key === 'ovn-default')[0]!.refs?.['load_balancer']?.keys).toContain('cluster-tcp-loadbalancer');
    expect(find(rows, 'Logical_Switch', (r) => r.key === 'join')[0]!.refs).toBeUndefined();
  });
});

describe('centralized subnets', () => {
  const subs = parseSubnets([subnet('join', '100.64.0.0/16'), subnet('c', '10.20.0.0/16', { gatewayType: 'centralized', gatewayNode: 'gw-1, gw-2:172.18.0.9' })]).subnets;
  const nodes = [node('gw-1', '172.18.0.8', { ready: false }), node('gw-2', '172.18.0.9'), node('gw-3', '172.18.0.10')];
  const join = (n: { name: string }) => alloc(`100.64.0.${n.name.slice(3)}`, 'join');
  it('reroutes the subnet to the first ready gateway node, keeping a preferred one while it is usable', () => {
    const one = desiredCentralizedGateways(subs, nodes, join, cfg).rows;
    expect(one.map((r) => r.row)).toEqual([
      { priority: 29000, match: 'ip4.src == 10.20.0.0/16', action: 'reroute', nexthops: ['100.64.0.2'], external_ids: { subnet: 'c', 'gw-2': '100.64.0.2', vendor: 'kube-ovn' } },
    ]);
    expect(desiredCentralizedGateways(subs, nodes, join, cfg, () => 'gw-1').rows[0]!.row['nexthops']).toEqual(['100.64.0.2']);
    expect(desiredCentralizedGateways(subs, nodes, join, cfg, () => 'gw-3').rows[0]!.row['nexthops']).toEqual(['100.64.0.2']);
    const bothReady = nodes.map((n) => ({ ...n, ready: true }));
    expect(desiredCentralizedGateways(subs, bothReady, join, cfg, () => 'gw-2').rows[0]!.row['nexthops']).toEqual(['100.64.0.2']);
    expect(desiredCentralizedGateways(subs, bothReady, join, cfg).rows[0]!.row['nexthops']).toEqual(['100.64.0.1']);
    expect(desiredCentralizedGateways(subs, [], join, cfg).rows).toEqual([]);
  });
  it('reads the active gateway back from the NB policy', () => {
    const row = { _uuid: 'u', ...desiredCentralizedGateways(subs, nodes, join, cfg).rows[0]!.row } as never;
    expect(activeGatewaysInNb([row])).toEqual(new Map([['c', 'gw-2']]));
  });
});

describe('private subnets', () => {
  it('writes Kube-OVN’s switch ACLs: logged drop 1000, allow 1001 inside and to allowSubnets, allow 3000 from join', () => {
    const subs = parseSubnets([
      subnet('join', '100.64.0.0/16'),
      subnet('secret', '10.18.0.0/16', { private: true, allowSubnets: ['10.16.0.0/16', 'bogus'] }),
    ]).subnets;
    const { rows, errors } = desiredSubnets(subs, cfg);
    const acls = find(rows, 'ACL').map((a) => [a.row['priority'], a.row['match'], a.row['action']]);
    expect(acls).toEqual([
      [1000, 'ip', 'drop'],
      [1001, 'ip4.src == 10.18.0.0/16 && ip4.dst == 10.18.0.0/16', 'allow-related'],
      [3000, 'ip4.src == 100.64.0.0/16', 'allow-related'],
      [1001, '(ip4.src == 10.18.0.0/16 && ip4.dst == 10.16.0.0/16) || (ip4.src == 10.16.0.0/16 && ip4.dst == 10.18.0.0/16)', 'allow-related'],
    ]);
    expect(find(rows, 'ACL')[0]!.row).toMatchObject({ name: ['secret'], log: true, severity: ['warning'], direction: 'to-lport', external_ids: { parent: 'secret', vendor: 'kube-ovn' } });
    expect(find(rows, 'ACL').every((a) => a.parent?.table === 'Logical_Switch' && a.parent.key === 'secret' && a.parent.column === 'acls')).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ kind: 'Subnet', name: 'secret', field: 'spec.allowSubnets[1]', reason: 'invalid-cidr' })]);
  });
});

describe('desiredPods and desiredNodes', () => {
  const pods = [
    pod('default', 'web-0', 'node-1'),
    pod('default', 'host', 'node-1', { hostNetwork: true }),
    pod('default', 'done', 'node-1', { phase: 'Succeeded' }),
    pod('other', 'c-0', 'node-1'),
  ];
  const allocs: Record<string, Allocation> = {
    'default/web-0': alloc('10.16.0.5', 'ovn-default'),
    'default/host': alloc('10.16.0.6', 'ovn-default'),
    'default/done': alloc('10.16.0.7', 'ovn-default'),
    'other/c-0': alloc('10.17.0.5', 'central', '00:00:00:11:22:44'),
  };
  const out = desiredPods(pods, (p) => allocs[`${p.namespace}/${p.name}`], byName, cfg);
  it('writes one LSP per pod with a port, with Kube-OVN external_ids', () => {
    const lsps = find(out.rows, 'Logical_Switch_Port');
    expect(lsps.map((r) => r.key).sort()).toEqual(['c-0.other', 'web-0.default']);
    expect(lsps.find((r) => r.key === 'web-0.default')!.row).toEqual({
      name: 'web-0.default',
      addresses: ['00:00:00:11:22:33 10.16.0.5'],
      external_ids: { pod: 'default/web-0', ls: 'ovn-default', vendor: 'kube-ovn' },
    });
  });
  it('places pods in node.N and, for distributed subnets only, S.N', () => {
    expect(out.placement.onNode('node-1').sort()).toEqual(['c-0.other', 'web-0.default']);
    expect(out.placement.inSubnetOnNode('ovn-default', 'node-1')).toEqual(['web-0.default']);
    expect(out.placement.inSubnetOnNode('central', 'node-1')).toEqual([]);
  });
  it('writes join port, node port groups and the 30000 / 29000 reroutes', () => {
    const nodes = [node('node-1', '172.18.0.2')];
    const { rows } = desiredNodes(nodes, () => alloc('100.64.0.2', 'join', '00:00:00:aa:aa:aa'), parsed, out.placement, cfg);
    expect(find(rows, 'Logical_Switch_Port')[0]!).toMatchObject({
      key: 'node-node-1',
      row: { addresses: ['00:00:00:aa:aa:aa 100.64.0.2'], external_ids: { ls: 'join', vendor: 'kube-ovn' } },
      parent: { table: 'Logical_Switch', key: 'join' },
    });
    const pgs = find(rows, 'Port_Group');
    expect(pgs.map((p) => p.key)).toEqual(['node.node.1', 'ovn.default.node.1']);
    expect(pgs[0]!.row['external_ids']).toEqual({ node: 'node-1', np: 'node/node-1', vendor: 'kube-ovn' });
    expect(pgs[1]!.row['external_ids']).toEqual({ subnet: 'ovn-default', node: 'node-1', np: 'ovn-default/node-1', vendor: 'kube-ovn' });
    expect(pgs[1]!.refs!['ports']!.keys).toEqual(['web-0.default']);
    const pols = find(rows, 'Logical_Router_Policy');
    expect(pols.map((p) => [p.row['priority'], p.row['match'], p.row['nexthops']])).toEqual([
      [30000, 'ip4.dst == 172.18.0.2', ['100.64.0.2']],
      [29000, 'ip4.src == $ovn.default.node.1_ip4', ['100.64.0.2']],
    ]);
    expect(pols[0]!.row['external_ids']).toEqual({ node: 'node-1', 'address-family': '4', vendor: 'kube-ovn' });
    expect(pols[1]!.row['external_ids']).toEqual({ subnet: 'ovn-default', node: 'node-1', vendor: 'kube-ovn' });
  });
  it('lets each node reach its pods past NetworkPolicies while any exists (ACLs 3000 on node.N)', () => {
    const nodes = [node('node-1', '172.18.0.2')];
    const join = () => alloc('100.64.0.2', 'join');
    expect(find(desiredNodes(nodes, join, parsed, out.placement, cfg).rows, 'ACL')).toEqual([]);
    const acls = find(desiredNodes(nodes, join, parsed, out.placement, cfg, { networkPolicies: true }).rows, 'ACL');
    expect(acls.map((a) => [a.row['direction'], a.row['priority'], a.row['match'], a.row['action'], a.row['options']])).toEqual([
      ['to-lport', 3000, 'ip4.src == 172.18.0.2 && ip4.dst == $node.node.1_ip4', 'allow-related', undefined],
      ['from-lport', 3000, 'ip4.dst == 172.18.0.2 && ip4.src == $node.node.1_ip4', 'allow-related', { 'apply-after-lb': 'true' }],
    ]);
    expect(acls[0]!.parent).toEqual({ table: 'Port_Group', key: 'node.node.1', column: 'acls' });
    expect(acls[0]!.row['external_ids']).toEqual({ parent: 'node.node.1', vendor: 'kube-ovn' });
  });
  it('skips a pod with a 64k-character label and names it', () => {
    const bad = pod('default', 'bad', 'node-1', { labels: { app: 'x'.repeat(65536) } });
    const o = desiredPods([bad], () => alloc('10.16.0.9', 'ovn-default'), byName, cfg);
    expect(o.rows).toEqual([]);
    expect(o.errors[0]).toMatchObject({ kind: 'Pod', namespace: 'default', name: 'bad', field: 'metadata.labels[app]', reason: 'label-too-long-or-invalid' });
  });
  it('rejects an allocation outside the pod subnet', () => {
    const o = desiredPods([pod('default', 'x', 'node-1')], () => alloc('10.99.0.9', 'ovn-default'), byName, cfg);
    expect(o.errors[0]).toMatchObject({ kind: 'Pod', name: 'x', reason: 'ip-outside-subnet' });
  });
});

function resolved(np: NetworkPolicyRecord, more: Partial<ResolvedPolicy> = {}): ResolvedPolicy {
  const empty = (rules: NetworkPolicyRecord['ingress']) => rules.map((r) => ({ peers: r.peers.map(() => ({ podIPs: [], serviceIPs: [] })), peerContainerPorts: [] }));
  return { policy: np, selectedPorts: ['a.ns'], selectedContainerPorts: [], ingress: empty(np.ingress), egress: empty(np.egress), ...more };
}

describe('desiredPolicy', () => {
  it('writes a port group with the selected ports, default drop and per-rule allow ACLs and address sets', () => {
    const np = policy('my-ns', 'allow-web', {
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ peers: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'UDP', port: 5000, endPort: 5010 }] }],
      egress: [{ peers: [], ports: [] }],
    });
    const r = resolved(np, {
      ingress: [{ peers: [{ podIPs: ['10.16.0.9', '10.16.0.8'], serviceIPs: ['10.96.0.10'] }], peerContainerPorts: [] }],
    });
    const { rows, errors } = desiredPolicy(r, cfg);
    expect(errors).toEqual([]);
    const pg = find(rows, 'Port_Group')[0]!;
    expect(pg).toMatchObject({ key: 'allow.web.my.ns', row: { external_ids: { np: 'my-ns/allow-web', vendor: 'kube-ovn' } } });
    expect(pg.refs!['ports']).toEqual({ table: 'Logical_Switch_Port', keys: ['a.ns'], mode: 'exact' });
    const sets = Object.fromEntries(find(rows, 'Address_Set').map((s) => [s.key, s.row['addresses']]));
    expect(sets).toEqual({
      'allow.web.my.ns.ingress.allow.IPv4.0': ['10.16.0.8', '10.16.0.9', '10.96.0.10'],
      'allow.web.my.ns.ingress.except.IPv4.0': [],
      'allow.web.my.ns.egress.allow.IPv4.0': ['0.0.0.0/0'],
      'allow.web.my.ns.egress.except.IPv4.0': [],
    });
    expect(find(rows, 'Address_Set')[0]!.row['external_ids']).toEqual({ np: 'my-ns/allow-web/ingress', vendor: 'kube-ovn' });
    const acls = find(rows, 'ACL').map((a) => [a.row['direction'], a.row['priority'], a.row['action'], a.row['match'], a.row['options'], a.row['name']]);
    expect(acls).toEqual([
      ['to-lport', 2000, 'drop', 'outport == @allow.web.my.ns && ip', undefined, ['my-ns/allow-web']],
      ['to-lport', 2001, 'allow-related', 'outport == @allow.web.my.ns && ip && ip4.src == $allow.web.my.ns.ingress.allow.IPv4.0 && ip4.src != $allow.web.my.ns.ingress.except.IPv4.0 && tcp.dst == 80', undefined, ['np/allow-web.my-ns/ingress/IPv4/0']],
      ['to-lport', 2001, 'allow-related', 'outport == @allow.web.my.ns && ip && ip4.src == $allow.web.my.ns.ingress.allow.IPv4.0 && ip4.src != $allow.web.my.ns.ingress.except.IPv4.0 && 5000 <= udp.dst <= 5010', undefined, ['np/allow-web.my-ns/ingress/IPv4/0']],
      ['from-lport', 2000, 'drop', 'inport == @allow.web.my.ns && ip', { 'apply-after-lb': 'true' }, ['my-ns/allow-web']],
      ['from-lport', 2001, 'allow-related', 'inport == @allow.web.my.ns && ip && ip4.dst == $allow.web.my.ns.egress.allow.IPv4.0 && ip4.dst != $allow.web.my.ns.egress.except.IPv4.0', { 'apply-after-lb': 'true' }, ['np/allow-web.my-ns/egress/IPv4/0']],
    ]);
    expect(find(rows, 'ACL')[0]!.row['external_ids']).toEqual({ parent: 'allow.web.my.ns', vendor: 'kube-ovn' });
    expect(find(rows, 'ACL').every((a) => a.parent?.key === 'allow.web.my.ns' && a.parent.column === 'acls')).toBe(true);
  });

  it('scopes ipBlock except to its own CIDR in a separate ACL', () => {
    const np = policy('ns', 'blk', {
      ingress: [{ peers: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.0.0/16'] } }, { ipBlock: { cidr: '192.168.0.0/16', except: [] } }], ports: [] }],
    });
    const { rows } = desiredPolicy(resolved(np), cfg);
    const allow = find(rows, 'ACL', (a) => a.row['priority'] === 2001);
    expect(allow.map((a) => a.row['match'])).toEqual([
      'outport == @blk.ns && ip && ((ip4.src == 10.0.0.0/8 && ip4.src != {10.1.0.0/16, 10.2.0.0/16}) || ip4.src == 192.168.0.0/16)',
    ]);
    expect(allow[0]!.row['name']).toEqual(['np/blk.ns/ingress/IPv4/0/ipBlock']);
    expect(find(rows, 'Address_Set', (s) => s.key === 'blk.ns.ingress.allow.IPv4.0')[0]!.row['addresses']).toEqual([]);
  });

  it('denies everything for an Ingress policy without rules (Kube-OVN .all sets)', () => {
    const { rows } = desiredPolicy(resolved(policy('ns', 'deny')), cfg);
    expect(find(rows, 'Address_Set').map((s) => s.key)).toEqual(['deny.ns.ingress.allow.IPv4.all', 'deny.ns.ingress.except.IPv4.all']);
    expect(find(rows, 'ACL').map((a) => a.row['priority'])).toEqual([2000, 2001]);
  });

  it('writes only the port group while no pod is selected', () => {
    const { rows } = desiredPolicy(resolved(policy('ns', 'p'), { selectedPorts: [] }), cfg);
    expect(rows.map((r) => r.table)).toEqual(['Port_Group']);
  });

  it('resolves named ports from the selected pods (ingress) and peer pods (egress); a missing one is an error without an allow', () => {
    const np = policy('ns', 'named', {
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ peers: [], ports: [{ protocol: 'TCP', port: 'http' }, { protocol: 'TCP', port: 'nope' }] }],
      egress: [{ peers: [], ports: [{ protocol: 'TCP', port: 'db' }] }],
    });
    const r = resolved(np, {
      selectedContainerPorts: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      egress: [{ peers: [], peerContainerPorts: [{ name: 'db', containerPort: 5432, protocol: 'TCP' }] }],
    });
    const { rows, errors } = desiredPolicy(r, cfg);
    const matches = find(rows, 'ACL', (a) => a.row['priority'] === 2001).map((a) => String(a.row['match']).split(' && ').pop());
    expect(matches).toEqual(['tcp.dst == 8080', 'tcp.dst == 5432']);
    expect(errors).toEqual([expect.objectContaining({ kind: 'NetworkPolicy', namespace: 'ns', name: 'named', field: 'spec.ingress[0].ports[1].port', reason: 'missing-port' })]);
  });

  it('skips a policy with an unknown selector operator and names the field', () => {
    const np = policy('ns', 'bad', { ingress: [{ peers: [{ podSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } }], ports: [] }] });
    const { rows, errors } = desiredPolicy(resolved(np), cfg);
    expect(rows).toEqual([]);
    expect(errors[0]).toMatchObject({ kind: 'NetworkPolicy', field: 'spec.ingress[0].from[0].podSelector.matchExpressions[0].operator', reason: 'unknown-operator' });
  });
});

describe('desiredServices', () => {
  it('maps ClusterIP:port to ready endpoints by port name, per protocol', () => {
    const svcs = [
      service('ns', 'web', { clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'dns', protocol: 'UDP', port: 53 }] }),
      service('ns', 'headless', { clusterIPs: ['None'], ports: [{ protocol: 'TCP', port: 80 }] }),
    ];
    const slices = [
      slice('ns', 'web-abc', 'web', {
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }],
        endpoints: [
          { addresses: ['10.16.0.6'], ready: true },
          { addresses: ['10.16.0.5'], ready: true },
          { addresses: ['10.16.0.7'], ready: false },
        ],
      }),
    ];
    const { rows } = desiredServices(svcs, slices, cfg);
    expect(rows.map((r) => [r.key, r.row['protocol'], r.row['vips']])).toEqual([
      ['cluster-tcp-loadbalancer', ['tcp'], { '10.96.0.10:80': '10.16.0.5:8080,10.16.0.6:8080' }],
      ['cluster-udp-loadbalancer', ['udp'], { '10.96.0.10:53': '10.16.0.5:5353,10.16.0.6:5353' }],
      ['cluster-sctp-loadbalancer', ['sctp'], {}],
      ['cluster-tcp-session-loadbalancer', ['tcp'], {}],
      ['cluster-udp-session-loadbalancer', ['udp'], {}],
      ['cluster-sctp-session-loadbalancer', ['sctp'], {}],
    ]);
  });

  it('puts ClientIP-affinity Services in the session load balancers, created with source-IP selection', () => {
    const svc = service('ns', 'sticky', { clusterIPs: ['10.96.0.11'], sessionAffinity: 'ClientIP', ports: [{ protocol: 'TCP', port: 443 }] });
    const eps = slice('ns', 'sticky-1', 'sticky', { ports: [{ port: 8443, protocol: 'TCP' }], endpoints: [{ addresses: ['10.16.0.9'], ready: true }] });
    const { rows } = desiredServices([svc], [eps], cfg);
    const session = rows.find((r) => r.key === 'cluster-tcp-session-loadbalancer')!;
    expect(session.row['vips']).toEqual({ '10.96.0.11:443': '10.16.0.9:8443' });
    expect(session.insertOnly).toEqual({ selection_fields: ['ip_src'], options: { affinity_timeout: '10800' } });
    expect(rows.find((r) => r.key === 'cluster-tcp-loadbalancer')!.row['vips']).toEqual({});
  });
});
