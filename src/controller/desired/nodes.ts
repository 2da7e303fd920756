/**
 * Nodes: join port `node-<N>` ("<mac> <joinIP>"), port group node.<N> with the
 * node's pods, policy 30000 `ip4.dst == <nodeIP>` reroute → join IP; and per
 * distributed subnet S: port group <S>.<N> with S's pods on N and policy 29000
 * `ip4.src == $<S>.<N>_ip4` reroute → N's join IP.
 */
import type { NodeRecord } from '../../k8s/records.js';
import type { DesiredRow, ParentRef } from '../../nb/desired.js';
import { aclKey, policyKey } from '../../nb/identity.js';
import {
  ACL_PARENT_KEY,
  ADDRESS_FAMILY_KEY,
  GATEWAY_ROUTER_POLICY_PRIORITY,
  NODE_ALLOW_PRIORITY,
  NODE_KEY,
  NODE_ROUTER_POLICY_PRIORITY,
  nodePortGroupName,
  nodePortName,
  NP_KEY,
  portGroupIPv4Set,
  SUBNET_KEY,
  subnetNodePortGroupName,
  VENDOR_KEY,
} from '../../nb/naming.js';
import { flat } from '../../util/flat-string.js';
import type { Allocation } from '../ipam/annotations.js';
import { parseIPv4 } from '../ipam/ipv4.js';
import type { ParsedSubnet } from '../subnet-spec.js';
import { invalid, type ValidationError } from '../validation.js';
import { type ClusterConfig, type DesiredOutput, lspIds, vendorIds } from './common.js';
import type { PodPlacement } from './pods.js';
import { onClusterRouter } from './subnets.js';

/**
 * While any NetworkPolicy exists, Kube-OVN lets each node reach its own pods
 * (kubelet probes) past the policies: ACLs 3000 on node.<N>,
 * `ip4.src == <nodeIP> && ip4.dst == $node.<N>_ip4` to-lport and the mirror
 * from-lport (apply-after-lb), allow-related.
 */
function nodeAcls(pg: string, nodeIP: string, cfg: ClusterConfig): DesiredRow[] {
  const set = portGroupIPv4Set(pg);
  const acl = (direction: 'to-lport' | 'from-lport', match: string): DesiredRow => ({
    table: 'ACL',
    key: aclKey('Port_Group', pg, direction, NODE_ALLOW_PRIORITY, match),
    row: {
      priority: NODE_ALLOW_PRIORITY,
      direction,
      match,
      action: 'allow-related',
      external_ids: vendorIds(cfg, { [ACL_PARENT_KEY]: pg }),
      ...(direction === 'from-lport' ? { options: { 'apply-after-lb': 'true' } } : {}),
    },
    parent: { table: 'Port_Group', key: pg, column: 'acls' },
  });
  return [acl('to-lport', `ip4.src == ${nodeIP} && ip4.dst == $${set}`), acl('from-lport', `ip4.dst == ${nodeIP} && ip4.src == $${set}`)];
}

/** Subnets on the cluster router with a distributed gateway (the join switch aside): a port group and a policy per node each. */
export function distributedSubnets(subnets: readonly ParsedSubnet[], cfg: ClusterConfig): ParsedSubnet[] {
  return subnets.filter((s) => onClusterRouter(s, cfg) && s.name !== cfg.nodeSwitch && s.record.gatewayType === 'distributed');
}

export function desiredNodes(
  nodes: readonly NodeRecord[],
  joinAllocationOf: (node: NodeRecord) => Allocation | undefined,
  subnets: readonly ParsedSubnet[],
  placement: PodPlacement,
  cfg: ClusterConfig,
  opts: { networkPolicies: boolean } = { networkPolicies: false },
): DesiredOutput {
  const rows: DesiredRow[] = [];
  const errors: ValidationError[] = [];
  const lr = cfg.clusterRouter;
  const policiesOfRouter: ParentRef = { table: 'Logical_Router', key: lr, column: 'policies' };
  const distributed = distributedSubnets(subnets, cfg);
  for (const n of nodes) {
    if (n.deleting) continue;
    const a = joinAllocationOf(n);
    if (!a) continue;
    const bad = n.internalIPs.find((ip) => ip.includes('.') && parseIPv4(ip) === undefined);
    if (bad !== undefined) {
      errors.push(invalid('Node', n, 'status.addresses[InternalIP]', 'invalid-ip', `'${bad.slice(0, 80)}' is not an IPv4 address`));
      continue;
    }
    const port = nodePortName(n.name);
    rows.push({
      table: 'Logical_Switch_Port',
      key: port,
      row: { name: port, addresses: [`${a.mac} ${a.ip}`], external_ids: lspIds(cfg, cfg.nodeSwitch) },
      parent: { table: 'Logical_Switch', key: cfg.nodeSwitch, column: 'ports' },
    });
    const pg = nodePortGroupName(n.name);
    rows.push({
      table: 'Port_Group',
      key: pg,
      row: { name: pg, external_ids: vendorIds(cfg, { [NODE_KEY]: n.name, [NP_KEY]: `node/${n.name}` }) },
      refs: { ports: { table: 'Logical_Switch_Port', keys: placement.onNode(n.name), mode: 'exact' } },
    });
    // Kube-OVN uses the join IP where a node has no IPv4 InternalIP.
    const nodeIP = n.internalIPs.find((ip) => parseIPv4(ip) !== undefined) ?? a.ip;
    if (opts.networkPolicies) rows.push(...nodeAcls(pg, nodeIP, cfg));
    const match = `ip4.dst == ${nodeIP}`;
    rows.push({
      table: 'Logical_Router_Policy',
      key: policyKey(lr, NODE_ROUTER_POLICY_PRIORITY, match),
      row: {
        priority: NODE_ROUTER_POLICY_PRIORITY,
        match,
        action: 'reroute',
        nexthops: [a.ip],
        external_ids: vendorIds(cfg, { [NODE_KEY]: n.name, [ADDRESS_FAMILY_KEY]: '4' }),
      },
      parent: policiesOfRouter,
    });
    // ~90 of each per node: the ids written out rather than through vendorIds' copy, one nexthops list and parent shared (never mutated).
    const nexthops = [a.ip];
    for (const s of distributed) {
      const spg = subnetNodePortGroupName(s.name, n.name);
      rows.push({
        table: 'Port_Group',
        key: spg,
        row: { name: spg, external_ids: { [SUBNET_KEY]: s.name, [NODE_KEY]: n.name, [NP_KEY]: flat(`${s.name}/${n.name}`), [VENDOR_KEY]: cfg.vendor } },
        refs: { ports: { table: 'Logical_Switch_Port', keys: placement.inSubnetOnNode(s.name, n.name), mode: 'exact' } },
      });
      const m = flat(`ip4.src == $${portGroupIPv4Set(spg)}`);
      rows.push({
        table: 'Logical_Router_Policy',
        key: policyKey(lr, GATEWAY_ROUTER_POLICY_PRIORITY, m),
        row: {
          priority: GATEWAY_ROUTER_POLICY_PRIORITY,
          match: m,
          action: 'reroute',
          nexthops,
          external_ids: { [SUBNET_KEY]: s.name, [NODE_KEY]: n.name, [VENDOR_KEY]: cfg.vendor },
        },
        parent: policiesOfRouter,
      });
    }
  }
  return { rows, errors };
}

/**
 * Centralized subnets (Kube-OVN active-backup): policy 29000
 * `ip4.src == <cidr>` reroute → the active gateway node's join IP, with
 * external_ids {vendor, subnet, <node>: <joinIP>}. The active gateway is
 * `preferred(subnet)` (the one in use, e.g. read back from the NB) while it is
 * a ready gateway node, else the first ready node of spec.gatewayNode
 * ("n1,n2" or "n1:ip,n2:ip"). No ready gateway node: no policy.
 */
export function desiredCentralizedGateways(
  subnets: readonly ParsedSubnet[],
  nodes: readonly NodeRecord[],
  joinAllocationOf: (node: NodeRecord) => Allocation | undefined,
  cfg: ClusterConfig,
  preferred: (subnet: string) => string | undefined = () => undefined,
): DesiredOutput {
  const rows: DesiredRow[] = [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const s of subnets) {
    if (!onClusterRouter(s, cfg) || s.name === cfg.nodeSwitch || s.record.gatewayType !== 'centralized') continue;
    const candidates = s.record.gatewayNode
      .split(',')
      .map((g) => g.split(':')[0]!.trim())
      .filter((g) => g !== '');
    const usable = (name: string | undefined): { node: NodeRecord; ip: string } | undefined => {
      const n = name === undefined ? undefined : byName.get(name);
      const a = n && n.ready && !n.deleting ? joinAllocationOf(n) : undefined;
      return n && a ? { node: n, ip: a.ip } : undefined;
    };
    const pref = preferred(s.name);
    const active = (pref !== undefined && candidates.includes(pref) ? usable(pref) : undefined) ?? candidates.map(usable).find((x) => x !== undefined);
    if (!active) continue;
    const match = `ip4.src == ${s.cidr.text}`;
    rows.push({
      table: 'Logical_Router_Policy',
      key: policyKey(cfg.clusterRouter, GATEWAY_ROUTER_POLICY_PRIORITY, match),
      row: {
        priority: GATEWAY_ROUTER_POLICY_PRIORITY,
        match,
        action: 'reroute',
        nexthops: [active.ip],
        external_ids: vendorIds(cfg, { [SUBNET_KEY]: s.name, [active.node.name]: active.ip }),
      },
      parent: { table: 'Logical_Router', key: cfg.clusterRouter, column: 'policies' },
    });
  }
  return { rows, errors: [] };
}
