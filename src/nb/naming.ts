/**
 * Kube-OVN-compatible NB names, priorities and external_ids keys. ovnscale
 * adopts rows kube-ovn-controller wrote, so every string here must match what
 * Kube-OVN writes (pkg/util/const.go, pkg/ovs/*.go, pkg/controller/*.go).
 */
import { flat } from '../util/flat-string.js';

/** external_ids keys. */
export const VENDOR_KEY = 'vendor';
export const LS_KEY = 'ls';
export const LR_KEY = 'lr';
export const POD_KEY = 'pod';
export const NODE_KEY = 'node';
export const SUBNET_KEY = 'subnet';
export const NP_KEY = 'np';
export const ACL_PARENT_KEY = 'parent';
export const ADDRESS_FAMILY_KEY = 'address-family';

/** Logical_Router_Policy priorities. */
export const SUBNET_ROUTER_POLICY_PRIORITY = 31000;
export const NODE_ROUTER_POLICY_PRIORITY = 30000;
export const GATEWAY_ROUTER_POLICY_PRIORITY = 29000;

/** ACL priorities (NetworkPolicy). */
export const DEFAULT_DROP_PRIORITY = 2000;
export const ALLOW_PRIORITY = 2001;

/** ACL priorities of a private subnet's switch. */
export const SUBNET_DEFAULT_DROP_PRIORITY = 1000;
export const SUBNET_ALLOW_PRIORITY = 1001;
export const NODE_ALLOW_PRIORITY = 3000;

/** OVN limits ACL.name to 63 characters; Kube-OVN cuts to 60 and appends '...'. */
export function aclName(name: string): string {
  return name.length > 63 ? name.slice(0, 60) + '...' : name;
}

/**
 * '-' → '.', as one flat string: `replaceAll` returns a tree of its pieces
 * (7 deep for `subnet-1.kube-ovn-worker-12`), kept as long as the name is
 * (~200k node × subnet port groups at 2000 nodes × 100 subnets). A name
 * without '-' comes back from join as it went in, hence flat().
 */
const dots = (s: string): string => flat(s.split('-').join('.'));

/** LSP of a pod on the default provider: `<pod>.<namespace>`. */
export function podPortName(pod: string, namespace: string): string {
  return flat(`${pod}.${namespace}`);
}

/** Router side of a switch link: LRP `<router>-<switch>`. */
export function routerPortName(router: string, sw: string): string {
  return `${router}-${sw}`;
}

/** Switch side of a switch link: LSP `<switch>-<router>`. */
export function switchRouterPortName(router: string, sw: string): string {
  return `${sw}-${router}`;
}

/** Join-switch port of a node: `node-<node>`. */
export function nodePortName(node: string): string {
  return `node-${node}`;
}

/** Port group of a node's pods: `node.<node>` with '-' → '.'. */
export function nodePortGroupName(node: string): string {
  return dots(nodePortName(node));
}

/** Port group of a distributed subnet's pods on one node: `<subnet>.<node>` with '-' → '.'. */
export function subnetNodePortGroupName(subnet: string, node: string): string {
  return dots(`${subnet}.${node}`);
}

/** The address set OVN derives from a port group's IPv4 addresses. */
export function portGroupIPv4Set(pg: string): string {
  return `${pg}_ip4`;
}

/** Kube-OVN prefixes policy names that do not start with a letter with 'np'. */
export function policyName(name: string): string {
  return /^\p{L}/u.test(name) ? name : `np${name}`;
}

/** Port group of a NetworkPolicy: `<np>.<namespace>` with '-' → '.'. */
export function policyPortGroupName(namespace: string, name: string): string {
  return dots(`${policyName(name)}.${namespace}`);
}

export type Direction = 'ingress' | 'egress';

/** Address set of one rule: `<np>.<ns>.<dir>.<allow|except>.IPv4.<idx|all>`. */
export function policyAddressSetName(
  namespace: string,
  name: string,
  dir: Direction,
  kind: 'allow' | 'except',
  idx: number | 'all',
): string {
  // idx holds no '-' (a count or 'all'): one pass over the whole name keeps it flat.
  return dots(`${policyName(name)}.${namespace}.${dir}.${kind}.IPv4.${idx}`);
}

/** ACL.name of a rule's allow ACLs (before the 63-character cut). */
export function policyRuleAclName(namespace: string, name: string, dir: Direction, idx: number | 'all', ipBlock = false): string {
  return `np/${policyName(name)}.${namespace}/${dir}/IPv4/${idx}${ipBlock ? '/ipBlock' : ''}`;
}

/** external_ids np value of a policy's address sets. */
export function policyAddressSetKey(namespace: string, name: string, dir: Direction): string {
  return `${namespace}/${policyName(name)}/${dir}`;
}

/** Cluster load balancers, per protocol; the session ones hold ClientIP-affinity Services. */
export function clusterLoadBalancerName(protocol: 'TCP' | 'UDP' | 'SCTP', session = false): string {
  return `cluster-${protocol.toLowerCase()}-${session ? 'session-' : ''}loadbalancer`;
}

/** Kube-OVN's affinity timeout of the session load balancers (seconds). */
export const SESSION_AFFINITY_TIMEOUT = '10800';

/** ACL direction of a policy direction. */
export function aclDirection(dir: Direction): 'to-lport' | 'from-lport' {
  return dir === 'ingress' ? 'to-lport' : 'from-lport';
}
