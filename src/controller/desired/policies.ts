/**
 * NetworkPolicies in Kube-OVN's layout (pkg/controller/network_policy.go,
 * pkg/ovs/ovn-nb-acl.go): port group `<np>.<ns>` with the selected pods;
 * per direction and rule `idx` the address sets `…<dir>.allow.IPv4.<idx>`
 * (selector peers' pod IPs, plus ClusterIPs of Services whose pods the peer
 * selects) and `…<dir>.except.IPv4.<idx>` (kept empty: ipBlock excepts are
 * scoped to their own CIDR in a separate ipBlock ACL, as Kube-OVN does since
 * #6419); ACLs default drop 2000 and allow-related 2001, egress ones with
 * options:apply-after-lb=true. Selector matching is done by the caller: this
 * function takes the resolved relation (ResolvedPolicy).
 */
import type { ContainerPort, NetworkPolicyRecord, PolicyPort, PolicyRule } from '../../k8s/records.js';
import type { DesiredRow, ParentRef } from '../../nb/desired.js';
import { aclKey } from '../../nb/identity.js';
import {
  ACL_PARENT_KEY,
  aclDirection,
  aclName,
  ALLOW_PRIORITY,
  DEFAULT_DROP_PRIORITY,
  type Direction,
  NP_KEY,
  policyAddressSetKey,
  policyAddressSetName,
  policyName,
  policyPortGroupName,
  policyRuleAclName,
} from '../../nb/naming.js';
import { flat } from '../../util/flat-string.js';
import { cidrContains, parseCidr4 } from '../ipam/ipv4.js';
import { invalid, validateLabels, validateSelector, type ValidationError } from '../validation.js';
import { type ClusterConfig, type DesiredOutput, vendorIds } from './common.js';

/** One peer of a rule, resolved by the caller; aligned with rule.peers. */
export interface ResolvedPeer {
  /** IPv4 addresses of the pods the peer's selectors match (empty for an ipBlock peer), sorted, each once. */
  podIPs: string[];
  /** Well-formed IPv4 ClusterIPs of Services in the peer's namespaces whose selector matches one of those pods, sorted, each once. */
  serviceIPs: string[];
}

export interface ResolvedRule {
  /** Same length and order as PolicyRule.peers. */
  peers: ResolvedPeer[];
  /** Container ports of the rule's peer pods: egress named ports resolve here. */
  peerContainerPorts: ContainerPort[];
}

export interface ResolvedPolicy {
  policy: NetworkPolicyRecord;
  /** LSP names of the pods the podSelector selects (with a port: allocated, not host-network). */
  selectedPorts: string[];
  /** Container ports of those pods: ingress named ports resolve here. */
  selectedContainerPorts: ContainerPort[];
  /** Same length and order as policy.ingress / policy.egress. */
  ingress: ResolvedRule[];
  egress: ResolvedRule[];
}

function validatePolicy(np: NetworkPolicyRecord): ValidationError[] {
  const errors = [...validateLabels('NetworkPolicy', np), ...validateSelector('NetworkPolicy', np, np.podSelector, 'spec.podSelector')];
  for (const dir of ['ingress', 'egress'] as const) {
    np[dir].forEach((rule, i) => {
      const f = `spec.${dir}[${i}]`;
      rule.peers.forEach((peer, j) => {
        const pf = `${f}.${dir === 'ingress' ? 'from' : 'to'}[${j}]`;
        errors.push(...validateSelector('NetworkPolicy', np, peer.podSelector, `${pf}.podSelector`));
        errors.push(...validateSelector('NetworkPolicy', np, peer.namespaceSelector, `${pf}.namespaceSelector`));
        if (peer.ipBlock) {
          const c = peer.ipBlock.cidr.includes(':') ? undefined : parseCidr4(peer.ipBlock.cidr);
          if (!peer.ipBlock.cidr.includes(':') && !c) errors.push(invalid('NetworkPolicy', np, `${pf}.ipBlock.cidr`, 'invalid-cidr', `'${peer.ipBlock.cidr.slice(0, 80)}' is not a CIDR`));
          peer.ipBlock.except.forEach((e, k) => {
            if (e.includes(':')) return;
            const ec = parseCidr4(e);
            if (!ec) errors.push(invalid('NetworkPolicy', np, `${pf}.ipBlock.except[${k}]`, 'invalid-cidr', `'${e.slice(0, 80)}' is not a CIDR`));
            else if (c && !(cidrContains(c, ec.base) && ec.prefix >= c.prefix)) errors.push(invalid('NetworkPolicy', np, `${pf}.ipBlock.except[${k}]`, 'invalid-cidr', `${e} is not inside ${c.text}`));
          });
        }
      });
      rule.ports.forEach((p, j) => {
        const pf = `${f}.ports[${j}]`;
        if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535 || !Number.isInteger(p.port))) errors.push(invalid('NetworkPolicy', np, `${pf}.port`, 'invalid-port', `${p.port} is not a port number`));
        if (p.endPort !== undefined && (typeof p.port !== 'number' || p.endPort < p.port || p.endPort > 65535)) {
          errors.push(invalid('NetworkPolicy', np, `${pf}.endPort`, 'invalid-port', `endPort ${p.endPort} needs a numeric port ≤ endPort ≤ 65535`));
        }
      });
    });
  }
  return errors;
}

interface Merged {
  union?: readonly string[];
  then?: WeakMap<readonly string[], Merged>;
}

/**
 * Unions already made, by the identities of the lists united, held weakly.
 * Policies' address sets mostly repeat (at 150k pods: 19.9k sets, 4.5 M
 * addresses, 1.9k distinct contents), and the resolver answers the same
 * selector with the same list object until its members change: the sets of
 * the same peers then share one array instead of holding a copy each.
 */
const merged = new WeakMap<readonly string[], Merged>();

const EMPTY: readonly string[] = Object.freeze([]);

/** The node under `l` in `at`, added when new. */
function mergeStep(at: WeakMap<readonly string[], Merged>, l: readonly string[]): Merged {
  let n = at.get(l);
  if (!n) at.set(l, (n = {}));
  return n;
}

/** The union of lists, sorted, each element once; sorted unique inputs are merged in linear time. Shared: never mutate it. */
export function mergeSorted(lists: readonly (readonly string[])[]): readonly string[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY;
  let node = mergeStep(merged, nonEmpty[0]!);
  for (let i = 1; i < nonEmpty.length; i++) node = mergeStep((node.then ??= new WeakMap()), nonEmpty[i]!);
  return (node.union ??= unite(nonEmpty));
}

function unite(nonEmpty: readonly (readonly string[])[]): readonly string[] {
  const sortedUnique = (l: readonly string[]) => l.every((x, i) => i === 0 || l[i - 1]! < x);
  // One sorted list is the answer as it is: unchanged address sets then stay the same array between passes.
  if (nonEmpty.length === 1 && sortedUnique(nonEmpty[0]!)) return nonEmpty[0]!;
  let out: string[] = [];
  for (const raw of nonEmpty) {
    const l = sortedUnique(raw) ? raw : [...new Set(raw)].sort();
    if (out.length === 0) {
      out = [...l];
      continue;
    }
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    while (i < out.length || j < l.length) {
      const a = out[i];
      const b = l[j];
      if (b === undefined || (a !== undefined && a < b)) merged.push(out[i++]!);
      else if (a === undefined || b < a) merged.push(l[j++]!);
      else {
        merged.push(a);
        i++;
        j++;
      }
    }
    out = merged;
  }
  return out;
}

/** ` && <l4 match>` per policy port; named ports resolved against `named`. */
function portMatches(
  np: NetworkPolicyRecord,
  ports: readonly PolicyPort[],
  named: readonly ContainerPort[],
  field: string,
  errors: ValidationError[],
): string[] {
  if (ports.length === 0) return [''];
  const out: string[] = [];
  ports.forEach((p, j) => {
    const proto = p.protocol.toLowerCase();
    if (p.port === undefined) {
      out.push(` && ${proto}`);
    } else if (typeof p.port === 'number') {
      out.push(p.endPort === undefined ? ` && ${proto}.dst == ${p.port}` : ` && ${p.port} <= ${proto}.dst <= ${p.endPort}`);
    } else {
      const numbers = [...new Set(named.filter((c) => c.name === p.port && c.protocol === p.protocol).map((c) => c.containerPort))].sort((a, b) => a - b);
      // No allow ACL for an unresolved named port: traffic to it stays denied, as in Kube-OVN.
      if (numbers.length === 0) errors.push(invalid('NetworkPolicy', np, `${field}.ports[${j}].port`, 'missing-port', `no ${p.protocol} container port named '${p.port}'`));
      for (const n of numbers) out.push(` && ${proto}.dst == ${n}`);
    }
  });
  return out;
}

export function desiredPolicy(r: ResolvedPolicy, cfg: ClusterConfig): DesiredOutput {
  const np = r.policy;
  if (np.deleting) return { rows: [], errors: [] };
  const invalidErrors = validatePolicy(np);
  if (invalidErrors.length) return { rows: [], errors: invalidErrors };
  const errors: ValidationError[] = [];
  const rows: DesiredRow[] = [];
  const pg = policyPortGroupName(np.namespace, np.name);
  rows.push({
    table: 'Port_Group',
    key: pg,
    row: { name: pg, external_ids: vendorIds(cfg, { [NP_KEY]: `${np.namespace}/${policyName(np.name)}` }) },
    refs: { ports: { table: 'Logical_Switch_Port', keys: r.selectedPorts, mode: 'exact' } },
  });
  // Kube-OVN writes ACLs and address sets only while the policy selects pods.
  if (r.selectedPorts.length === 0) return { rows, errors };

  const aclsOfPg: ParentRef = { table: 'Port_Group', key: pg, column: 'acls' };
  const acl = (dir: Direction, priority: number, built: string, action: 'drop' | 'allow-related', name: string) => {
    const direction = aclDirection(dir);
    const match = flat(built);
    rows.push({
      table: 'ACL',
      key: aclKey('Port_Group', pg, direction, priority, match),
      row: {
        name: [aclName(name)],
        priority,
        direction,
        match,
        action,
        external_ids: vendorIds(cfg, { [ACL_PARENT_KEY]: pg }),
        ...(dir === 'egress' ? { options: { 'apply-after-lb': 'true' } } : {}),
      },
      parent: aclsOfPg,
    });
  };
  const addressSet = (dir: Direction, kind: 'allow' | 'except', idx: number | 'all', addresses: readonly (readonly string[])[]) => {
    const name = policyAddressSetName(np.namespace, np.name, dir, kind, idx);
    rows.push({
      table: 'Address_Set',
      key: name,
      row: { name, addresses: mergeSorted(addresses) as string[], external_ids: vendorIds(cfg, { [NP_KEY]: policyAddressSetKey(np.namespace, np.name, dir) }) },
    });
    return name;
  };

  for (const dir of ['ingress', 'egress'] as const) {
    const rules: readonly PolicyRule[] = np[dir];
    const enabled = np.policyTypes.includes(dir === 'ingress' ? 'Ingress' : 'Egress') || rules.length > 0;
    if (!enabled) continue;
    const portSide = dir === 'ingress' ? 'outport' : 'inport';
    const ipKey = dir === 'ingress' ? 'ip4.src' : 'ip4.dst';
    const base = `${portSide} == @${pg} && ip`;
    acl(dir, DEFAULT_DROP_PRIORITY, base, 'drop', `${np.namespace}/${np.name}`);
    if (rules.length === 0) {
      const allow = addressSet(dir, 'allow', 'all', []);
      const except = addressSet(dir, 'except', 'all', []);
      acl(dir, ALLOW_PRIORITY, `${base} && ${ipKey} == $${allow} && ${ipKey} != $${except}`, 'allow-related', policyRuleAclName(np.namespace, np.name, dir, 'all'));
      continue;
    }
    rules.forEach((rule, idx) => {
      const resolved = r[dir][idx];
      const named = dir === 'ingress' ? r.selectedContainerPorts : (resolved?.peerContainerPorts ?? []);
      const l4 = portMatches(np, rule.ports, named, `spec.${dir}[${idx}]`, errors);
      // Sorted lists (the resolver's are sorted and unique), merged without re-sorting.
      const allowIPs: (readonly string[])[] = [];
      const blocks: { cidr: string; except: string[] }[] = [];
      if (rule.peers.length === 0) allowIPs.push(['0.0.0.0/0']);
      rule.peers.forEach((peer, j) => {
        if (peer.ipBlock) {
          const c = parseCidr4(peer.ipBlock.cidr);
          if (c) blocks.push({ cidr: c.text, except: peer.ipBlock.except.filter((e) => parseCidr4(e) !== undefined) });
        }
        if (peer.podSelector || peer.namespaceSelector) {
          const rp = resolved?.peers[j];
          // IPv4 only, by the ResolvedPeer contract (IPAM addresses, validated ClusterIPs).
          if (rp) allowIPs.push(rp.podIPs, rp.serviceIPs);
        }
      });
      const allow = addressSet(dir, 'allow', idx, allowIPs);
      const except = addressSet(dir, 'except', idx, []);
      const ruleName = policyRuleAclName(np.namespace, np.name, dir, idx);
      if (allowIPs.some((l) => l.length > 0)) {
        for (const m of l4) acl(dir, ALLOW_PRIORITY, `${base} && ${ipKey} == $${allow} && ${ipKey} != $${except}${m}`, 'allow-related', ruleName);
      }
      if (blocks.length > 0) {
        const parts = blocks.map((b) => (b.except.length ? `${ipKey} == ${b.cidr} && ${ipKey} != {${b.except.join(', ')}}` : `${ipKey} == ${b.cidr}`));
        const l3 = parts.length === 1 ? parts[0]! : parts.map((p) => (p.includes('&&') ? `(${p})` : p)).join(' || ');
        for (const m of l4) acl(dir, ALLOW_PRIORITY, `${base} && (${l3})${m}`, 'allow-related', policyRuleAclName(np.namespace, np.name, dir, idx, true));
      }
    });
  }
  return { rows, errors };
}

/** All policies; a bad policy is skipped (its errors returned), the others still produce rows. */
export function desiredPolicies(policies: readonly ResolvedPolicy[], cfg: ClusterConfig): DesiredOutput {
  const rows: DesiredRow[] = [];
  const errors: ValidationError[] = [];
  for (const p of policies) {
    const o = desiredPolicy(p, cfg);
    for (const row of o.rows) rows.push(row);
    for (const e of o.errors) errors.push(e);
  }
  return { rows, errors };
}
