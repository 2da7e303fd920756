/** Facts the controller reads back from the NB (the state in use, to keep it stable). */
import type { Value } from '../ovsdb/types.js';
import { GATEWAY_ROUTER_POLICY_PRIORITY, SUBNET_KEY, VENDOR_KEY } from './naming.js';

/**
 * Active gateway node per centralized subnet, from the 29000
 * `ip4.src == <cidr>` policies (external_ids {subnet: S, <node>: <ip>}).
 */
export function activeGatewaysInNb(routerPolicies: Iterable<Readonly<Record<string, Value | undefined>>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of routerPolicies) {
    if (r['priority'] !== GATEWAY_ROUTER_POLICY_PRIORITY || !String(r['match']).startsWith('ip4.src == ') || String(r['match']).includes('$')) continue;
    const ids = r['external_ids'];
    if (!ids || typeof ids !== 'object' || Array.isArray(ids)) continue;
    const subnet = ids[SUBNET_KEY];
    const node = Object.keys(ids).find((k) => k !== SUBNET_KEY && k !== VENDOR_KEY);
    if (typeof subnet === 'string' && node !== undefined) out.set(subnet, node);
  }
  return out;
}
