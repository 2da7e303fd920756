/**
 * Cluster router, subnets and the join switch: Logical_Switch per subnet, the
 * router link (LSP `<S>-<router>` type router + LRP `<router>-<S>` with
 * networks gateway/prefix) and the 31000 `ip4.dst == <cidr>` allow policy.
 * Subnet switches (not join) carry the cluster load balancers.
 */
import type { DesiredRow } from '../../nb/desired.js';
import { policyKey } from '../../nb/identity.js';
import {
  clusterLoadBalancerName,
  routerPortName,
  SUBNET_KEY,
  SUBNET_ROUTER_POLICY_PRIORITY,
  switchRouterPortName,
} from '../../nb/naming.js';
import { formatIPv4 } from '../ipam/ipv4.js';
import type { ParsedSubnet } from '../subnet-spec.js';
import { type ClusterConfig, type DesiredOutput, lrpIds, lspIds, routerPortMac, vendorIds } from './common.js';

export const CLUSTER_LOAD_BALANCERS = (['TCP', 'UDP', 'SCTP'] as const).map(clusterLoadBalancerName);

/** Subnets that hang off the cluster router (the default VPC). */
export function onClusterRouter(s: ParsedSubnet, cfg: ClusterConfig): boolean {
  return s.record.vpc === '' || s.record.vpc === cfg.clusterRouter;
}

export function desiredClusterRouter(cfg: ClusterConfig): DesiredRow {
  return { table: 'Logical_Router', key: cfg.clusterRouter, row: { name: cfg.clusterRouter, external_ids: vendorIds(cfg) } };
}

export function desiredSubnets(subnets: readonly ParsedSubnet[], cfg: ClusterConfig): DesiredOutput {
  const rows: DesiredRow[] = [desiredClusterRouter(cfg)];
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
      row: { name: lrp, networks: [`${formatIPv4(s.gateway)}/${s.cidr.prefix}`], external_ids: lrpIds(cfg, lr) },
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
  }
  return { rows, errors: [] };
}
