/**
 * Controller IPAM: per-subnet IPv4 pools plus unique MACs, keyed by owner
 * (a pod `ns/name`, or a node's join port `node-<name>`). Allocation is
 * synchronous, so two pods asking at once are served one after the other and
 * never get the same address. A restart rebuilds the state from the pods'
 * annotations (recoverPods); a claim for an address another owner holds, or
 * outside its subnet, is refused with an error naming the object and field.
 */
import { vmNameOf } from '../../k8s/kubevirt.js';
import type { NodeRecord, PodRecord, SubnetRecord } from '../../k8s/records.js';
import { parseSubnets, type ParsedSubnet } from '../subnet-spec.js';
import { invalid, type ValidationError } from '../validation.js';
import { ANN, type Allocation } from './annotations.js';
import { formatIPv4, parseIPv4 } from './ipv4.js';
import { MacRegistry } from './mac.js';
import { SubnetPool } from './pool.js';

/** Who an allocation is for, for error messages. */
export interface OwnerRef {
  kind: string;
  namespace: string;
  name: string;
}

export type AllocateResult = { ok: true; allocation: Allocation } | { ok: false; error: ValidationError };

/**
 * Who holds a pod's address: the pod, or for a virt-launcher pod its VM, so
 * a VM keeps its address across restarts and migrations (source and target
 * launcher pods share it), as Kube-OVN's keep-vm-ip does.
 */
export function podOwner(pod: Pick<PodRecord, 'namespace' | 'name' | 'labels'>): string {
  return `${pod.namespace}/${vmNameOf(pod) ?? pod.name}`;
}

export function nodeOwner(node: Pick<NodeRecord, 'name'>): string {
  return `node-${node.name}`;
}

export class Ipam {
  private readonly pools = new Map<string, SubnetPool>();
  private readonly specs = new Map<string, ParsedSubnet>();
  private readonly byOwner = new Map<string, Allocation>();
  private readonly macs = new MacRegistry();

  /**
   * Installs the subnets (validated; bad ones come back as errors). Existing
   * allocations are re-claimed; those that no longer fit are dropped and
   * their owners returned, so the caller can allocate them again.
   */
  setSubnets(subnets: readonly SubnetRecord[]): { errors: ValidationError[]; evicted: string[] } {
    const { subnets: parsed, errors } = parseSubnets(subnets);
    this.pools.clear();
    this.specs.clear();
    for (const p of parsed) {
      this.specs.set(p.name, p);
      this.pools.set(p.name, new SubnetPool(p.name, p.cidr, p.gateway, p.excludes));
    }
    const evicted: string[] = [];
    for (const [owner, a] of [...this.byOwner].sort(([x], [y]) => (x < y ? -1 : 1))) {
      const pool = this.pools.get(a.logicalSwitch);
      const ip = parseIPv4(a.ip);
      const spec = this.specs.get(a.logicalSwitch);
      if (!pool || !spec || ip === undefined || !pool.claim(owner, ip).ok || spec.cidr.text !== a.cidr) {
        this.byOwner.delete(owner);
        this.macs.release(owner, a.mac);
        evicted.push(owner);
      }
    }
    return { errors, evicted };
  }

  subnet(name: string): ParsedSubnet | undefined {
    return this.specs.get(name);
  }

  get(owner: string): Allocation | undefined {
    return this.byOwner.get(owner);
  }

  available(subnet: string): number | undefined {
    return this.pools.get(subnet)?.available;
  }

  /** `ipText`: the address as a claim gave it, kept when it is the canonical form (the pod's annotation holds that string anyway). */
  private build(owner: string, spec: ParsedSubnet, ip: number, mac: string, ipText?: string): Allocation {
    const text = formatIPv4(ip);
    const a: Allocation = { owner, ip: ipText === text ? ipText : text, mac, cidr: spec.cidr.text, gateway: spec.gatewayText, logicalSwitch: spec.name };
    this.byOwner.set(owner, a);
    return a;
  }

  /** Next free address in `subnet` for owner; the same allocation again if owner already has one there. */
  allocate(owner: string, subnet: string, who: OwnerRef): AllocateResult {
    const prev = this.byOwner.get(owner);
    if (prev && prev.logicalSwitch === subnet) return { ok: true, allocation: prev };
    const pool = this.pools.get(subnet);
    const spec = this.specs.get(subnet);
    if (!pool || !spec) return { ok: false, error: invalid(who.kind, who, `metadata.annotations[${ANN.logicalSwitch}]`, 'unknown-subnet', `subnet '${subnet}' does not exist or is invalid`) };
    const ip = pool.allocate(owner);
    if (ip === undefined) return { ok: false, error: invalid(who.kind, who, `metadata.annotations[${ANN.ipAddress}]`, 'subnet-exhausted', `no free address in subnet ${subnet} (${spec.cidr.text})`) };
    if (prev) this.release(owner);
    return { ok: true, allocation: this.build(owner, spec, ip, this.macs.assign(owner)) };
  }

  /** A specific address (and optionally MAC) for owner: static IPs and recovery from annotations. */
  claim(owner: string, subnet: string, ipText: string, macText: string | undefined, who: OwnerRef): AllocateResult {
    const ipField = `metadata.annotations[${ANN.ipAddress}]`;
    const pool = this.pools.get(subnet);
    const spec = this.specs.get(subnet);
    if (!pool || !spec) return { ok: false, error: invalid(who.kind, who, `metadata.annotations[${ANN.logicalSwitch}]`, 'unknown-subnet', `subnet '${subnet}' does not exist or is invalid`) };
    const ip = parseIPv4(ipText);
    if (ip === undefined) return { ok: false, error: invalid(who.kind, who, ipField, 'invalid-ip', `'${ipText.slice(0, 80)}' is not an IPv4 address`) };
    const prev = this.byOwner.get(owner);
    if (prev && prev.ip === ipText && prev.logicalSwitch === subnet && (macText === undefined || prev.mac === macText)) return { ok: true, allocation: prev };
    if (macText !== undefined) {
      const m = this.macs.check(owner, macText);
      if (m) return { ok: false, error: invalid(who.kind, who, `metadata.annotations[${ANN.macAddress}]`, m.reason, m.message) };
    }
    const r = pool.claim(owner, ip);
    if (!r.ok) {
      const detail =
        r.reason === 'outside'
          ? `${ipText} is outside subnet ${subnet} (${spec.cidr.text})`
          : r.reason === 'reserved'
            ? `${ipText} is reserved in subnet ${subnet} (network, broadcast, gateway or excludeIps)`
            : `${ipText} is already held by ${r.holder}`;
      const reason = r.reason === 'outside' ? 'ip-outside-subnet' : r.reason === 'reserved' ? 'ip-reserved' : 'duplicate-ip';
      return { ok: false, error: invalid(who.kind, who, ipField, reason, detail) };
    }
    if (prev) this.release(owner, ip);
    const mac = macText ?? this.macs.assign(owner);
    if (macText !== undefined) this.macs.take(owner, macText);
    return { ok: true, allocation: this.build(owner, spec, ip, mac, ipText) };
  }

  /** Frees owner's address and MAC (pod deleted); `keepIp` is an address owner has just claimed. */
  release(owner: string, keepIp?: number): void {
    const a = this.byOwner.get(owner);
    if (!a) return;
    const ip = parseIPv4(a.ip);
    if (ip !== undefined && ip !== keepIp) this.pools.get(a.logicalSwitch)?.release(ip);
    this.macs.release(owner, a.mac);
    this.byOwner.delete(owner);
  }

  /**
   * Rebuilds allocations from pods' annotations (after setSubnets). Pods are
   * taken in name order, so when two claim one address the result is stable;
   * the loser gets an error (and is re-allocated by the caller).
   */
  recoverPods(pods: readonly PodRecord[]): ValidationError[] {
    const errors: ValidationError[] = [];
    // Owners computed once: a comparator building them would do it ~17 times per pod.
    const byOwner = pods.map((p) => ({ p, owner: podOwner(p) })).sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
    for (const { p, owner } of byOwner) {
      if (p.hostNetwork || p.deleting) continue;
      const ann = p.annotations;
      if (ann[ANN.allocated] !== 'true' || !ann[ANN.ipAddress]) continue;
      const subnet = ann[ANN.logicalSwitch] ?? '';
      const r = this.claim(owner, subnet, ann[ANN.ipAddress]!, ann[ANN.macAddress], { kind: 'Pod', namespace: p.namespace, name: p.name });
      if (!r.ok) errors.push(r.error);
    }
    return errors;
  }

  /** The same for nodes' join addresses (annotations on the Node). */
  recoverNodes(nodes: readonly NodeRecord[], joinSubnet: string): ValidationError[] {
    const errors: ValidationError[] = [];
    for (const n of [...nodes].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const ann = n.annotations;
      if (n.deleting || ann[ANN.allocated] !== 'true' || !ann[ANN.ipAddress]) continue;
      const r = this.claim(nodeOwner(n), ann[ANN.logicalSwitch] ?? joinSubnet, ann[ANN.ipAddress]!, ann[ANN.macAddress], { kind: 'Node', namespace: '', name: n.name });
      if (!r.ok) errors.push(r.error);
    }
    return errors;
  }
}
