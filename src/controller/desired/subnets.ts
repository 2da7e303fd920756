/**
 * Cluster router, subnets and the join switch: Logical_Switch per subnet, the
 * router link (LSP `<S>-<router>` type router + LRP `<router>-<S>` with
 * networks gateway/prefix) and the 31000 `ip4.dst == <cidr>` allow policy.
 * Subnet switches (not join) carry the cluster load balancers.
 */
import type { DesiredRow } from '../../nb/desired.js';
import type { RowData } from '../../ovsdb/types.js';
import { aclKey, policyKey } from '../../nb/identity.js';
import {
  ACL_PARENT_KEY,
  aclName,
  clusterLoadBalancerName,
  NODE_ALLOW_PRIORITY,
  routerPortName,
  SUBNET_ALLOW_PRIORITY,
  SUBNET_DEFAULT_DROP_PRIORITY,
  SUBNET_KEY,
  SUBNET_ROUTER_POLICY_PRIORITY,
  switchRouterPortName,
} from '../../nb/naming.js';
import { parseCidr4 } from '../ipam/ipv4.js';
import type { ParsedSubnet } from '../subnet-spec.js';
import { invalid, type ValidationError } from '../validation.js';
import { type ClusterConfig, type DesiredOutput, lrpIds, lspIds, routerPortMac, vendorIds } from './common.js';

export const CLUSTER_LOAD_BALANCERS = [false, true].flatMap((session) => (['TCP', 'UDP', 'SCTP'] as const).map((p) => clusterLoadBalancerName(p, session)));

/** Subnets that hang off the cluster router (the default VPC). */
export function onClusterRouter(s: ParsedSubnet, cfg: ClusterConfig): boolean {
  return s.record.vpc === '' || s.record.vpc === cfg.clusterRouter;
}

export function desiredClusterRouter(cfg: ClusterConfig): DesiredRow {
  return { table: 'Logical_Router', key: cfg.clusterRouter, row: { name: cfg.clusterRouter, external_ids: vendorIds(cfg) } };
}

/**
 * A private subnet's switch ACLs (Kube-OVN SetLogicalSwitchPrivate): drop
 * 1000 `ip` (logged), allow 1001 within the subnet and to/from each of
 * allowSubnets, allow 3000 from the join subnet.
 */
function privateSubnetAcls(s: ParsedSubnet, joinCidr: string | undefined, cfg: ClusterConfig, errors: ValidationError[]): DesiredRow[] {
  const rows: DesiredRow[] = [];
  const ls = s.name;
  const cidr = s.cidr.text;
  const acl = (priority: number, match: string, action: 'drop' | 'allow-related', extra: RowData = {}) =>
    rows.push({
      table: 'ACL',
      key: aclKey('Logical_Switch', ls, 'to-lport', priority, match),
      row: { priority, direction: 'to-lport', match, action, external_ids: vendorIds(cfg, { [ACL_PARENT_KEY]: ls }), ...extra },
      parent: { table: 'Logical_Switch', key: ls, column: 'acls' },
    });
  acl(SUBNET_DEFAULT_DROP_PRIORITY, 'ip', 'drop', { name: [aclName(ls)], log: true, severity: ['warning'] });
  acl(SUBNET_ALLOW_PRIORITY, `ip4.src == ${cidr} && ip4.dst == ${cidr}`, 'allow-related');
  if (joinCidr) acl(NODE_ALLOW_PRIORITY, `ip4.src == ${joinCidr}`, 'allow-related');
  s.record.allowSubnets.forEach((raw, i) => {
    const a = raw.trim();
    if (a === '' || a.includes(':')) return;
    const c = parseCidr4(a);
    if (!c) {
      errors.push(invalid('Subnet', s.record, `spec.allowSubnets[${i}]`, 'invalid-cidr', `'${a.slice(0, 80)}' is not an IPv4 CIDR`));
      return;
    }
    acl(SUBNET_ALLOW_PRIORITY, `(ip4.src == ${cidr} && ip4.dst == ${c.text}) || (ip4.src == ${c.text} && ip4.dst == ${cidr})`, 'allow-related');
  });
  return rows;
}

export function desiredSubnets(subnets: readonly ParsedSubnet[], cfg: ClusterConfig): DesiredOutput {
  const rows: DesiredRow[] = [desiredClusterRouter(cfg)];
  const errors: ValidationError[] = [];
  const joinCidr = subnets.find((s) => s.name === cfg.nodeSwitch)?.cidr.text;
  const lr = cfg.clusterRouter;
  for (const s of subnets) {
    if (!onClusterRouter(s, cfg)) continue;
    const ls = s.name;
    const isJoin = ls === cfg.nodeSwitch;
    rows.push({
      table: 'Logical_Switch',
      key: ls,
      row: { name: ls, external_ids: vendorIds(cfg) },
      ...(isJoin ? {} : { refs: { load_balancer: { table: 'Load_Balancer', keys: CLUSTER_LOAD_BALANCERS, mode: 'include' } } }),
    });
    const lrp = routerPortName(lr, ls);
    const lsp = switchRouterPortName(lr, ls);
    rows.push({
      table: 'Logical_Switch_Port',
      key: lsp,
      row: { name: lsp, type: 'router', addresses: ['router'], options: { 'router-port': lrp }, external_ids: lspIds(cfg, ls) },
      parent: { table: 'Logical_Switch', key: ls, column: 'ports' },
    });
    rows.push({
      table: 'Logical_Router_Port',
      key: lrp,
      row: { name: lrp, networks: [`${s.gatewayText}/${s.cidr.prefix}`], external_ids: lrpIds(cfg, lr) },
      insertOnly: { mac: routerPortMac(lrp) },
      parent: { table: 'Logical_Router', key: lr, column: 'ports' },
    });
    const match = `ip4.dst == ${s.cidr.text}`;
    rows.push({
      table: 'Logical_Router_Policy',
      key: policyKey(lr, SUBNET_ROUTER_POLICY_PRIORITY, match),
      row: { priority: SUBNET_ROUTER_POLICY_PRIORITY, match, action: 'allow', nexthops: [], external_ids: vendorIds(cfg, { [SUBNET_KEY]: ls }) },
      parent: { table: 'Logical_Router', key: lr, column: 'policies' },
    });
    if (s.record.private && !isJoin) rows.push(...privateSubnetAcls(s, joinCidr, cfg, errors));
  }
  return { rows, errors };
}
