/**
 * Which Services' ClusterIPs go into each peer selector's allow set, kept per
 * (peer, Service) so an event recomputes only the pairs it can change.
 *
 * A Service feeds a peer when the peer covers the Service's namespace (by its
 * own namespace or its namespaceSelector: the candidates) and selects one of
 * the Service's pods (a whole-namespace peer: any pod). A Service's pods are
 * its namespace's pods matching its selector, found by plain label
 * comparison when the Service is set (a Service selects in one namespace)
 * and then kept up to date per pod event (podMoved).
 */
import type { Labels, ServiceRecord } from '../k8s/records.js';
import { serviceKeyOf } from './desired/services.js';
import { parseIPv4 } from './ipam/ipv4.js';

/** What the fan-out reads of the evaluated selectors. */
export interface FanOutHost {
  /** Peer selectors that cover a namespace. */
  candidates(namespace: string): readonly number[];
  /** Pod slots of a namespace with their labels. */
  podsIn(namespace: string): Iterable<{ slot: number; labels: Labels }>;
  has(peer: number, slot: number): boolean;
  /** A peer without podSelector: every pod of a covered namespace. */
  wholeNamespace(peer: number): boolean;
}

interface Svc {
  svc: ServiceRecord;
  ips: string[];
}

function selects(selector: Labels, labels: Labels): boolean {
  for (const k in selector) if (!Object.hasOwn(labels, k) || labels[k] !== selector[k]) return false;
  return true;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Services that can feed an allow set: a selector, and an IPv4 ClusterIP. */
function feedsPeers(svc: ServiceRecord): boolean {
  return !svc.deleting && svc.selector !== undefined && Object.keys(svc.selector).length > 0 && v4ClusterIPs(svc).length > 0;
}

/** Well-formed IPv4 ClusterIPs only: a malformed one (reported by the load balancer side) must not reach an address set. */
function v4ClusterIPs(svc: ServiceRecord): string[] {
  return svc.clusterIPs.filter((ip) => parseIPv4(ip) !== undefined);
}

type PodLabels = { slot: number; labels: Labels };

/** A namespace's pods by label (key and value): a Service's selector then reads only the pods with its rarest label. */
class PodsByLabel {
  private readonly byTerm = new Map<string, PodLabels[]>();

  constructor(pods: Iterable<PodLabels>) {
    for (const p of pods) {
      for (const k in p.labels) {
        const t = `${k}=${p.labels[k]}`;
        const l = this.byTerm.get(t);
        if (l) l.push(p);
        else this.byTerm.set(t, [p]);
      }
    }
  }

  /** The pods carrying the selector's least common label: a superset of those it selects. */
  candidates(selector: Labels): readonly PodLabels[] {
    let best: readonly PodLabels[] | undefined;
    for (const k in selector) {
      const l = this.byTerm.get(`${k}=${selector[k]}`);
      if (!l) return [];
      if (!best || l.length < best.length) best = l;
    }
    return best ?? [];
  }
}

export class ServiceFanOut {
  private readonly services = new Map<string, Svc>();
  /** Pod slots each Service selects, kept by podMoved. */
  private readonly members = new Map<string, Set<number>>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly peersOf = new Map<string, Set<number>>();
  private readonly ipsOf = new Map<number, Map<string, string[]>>();

  constructor(private readonly host: FanOutHost) {}

  /** ClusterIPs of the Services feeding a peer, sorted, each once. */
  ipsFor(peer: number): string[] {
    const m = this.ipsOf.get(peer);
    if (!m || m.size === 0) return [];
    const out = new Set<string>();
    for (const ips of m.values()) for (const ip of ips) out.add(ip);
    return [...out].sort();
  }

  /** Keys of the Services of a namespace. */
  servicesIn(namespace: string): string[] {
    return [...(this.byNamespace.get(namespace) ?? [])];
  }

  /** Keys of a namespace's Services whose selector matches these labels. */
  servicesSelecting(namespace: string, labels: Labels): string[] {
    const out: string[] = [];
    for (const k of this.byNamespace.get(namespace) ?? []) if (selects(this.services.get(k)!.svc.selector!, labels)) out.push(k);
    return out;
  }

  /** Adds, replaces (svc) or removes (undefined) a Service; returns the peers whose IPs changed. */
  setService(key: string, svc: ServiceRecord | undefined, changed = new Set<number>()): Set<number> {
    this.place(key, svc, (ns) => this.host.podsIn(ns));
    return this.recompute(key, changed);
  }

  /** Every Service from scratch (after the selectors were rebuilt). */
  reset(services: Iterable<ServiceRecord>): void {
    this.services.clear();
    this.members.clear();
    this.byNamespace.clear();
    this.peersOf.clear();
    this.ipsOf.clear();
    // Many Services per namespace: its pods are indexed by label once for all of them.
    const indexed = new Map<string, PodsByLabel>();
    const podsFor = (ns: string, selector: Labels) => {
      let ix = indexed.get(ns);
      if (!ix) indexed.set(ns, (ix = new PodsByLabel(this.host.podsIn(ns))));
      return ix.candidates(selector);
    };
    for (const s of services) {
      const key = serviceKeyOf(s);
      this.place(key, s, podsFor);
      this.recompute(key);
    }
  }

  /** Records a Service (its IPs, namespace and selected pods) or forgets it; `podsIn` gives its namespace's pods, or at least those its selector can match. */
  private place(key: string, svc: ServiceRecord | undefined, podsIn: (namespace: string, selector: Labels) => Iterable<{ slot: number; labels: Labels }>): void {
    const old = this.services.get(key);
    if (old) this.byNamespace.get(old.svc.namespace)?.delete(key);
    if (!svc || !feedsPeers(svc)) {
      this.services.delete(key);
      this.members.delete(key);
      return;
    }
    this.services.set(key, { svc, ips: [...new Set(v4ClusterIPs(svc))].sort() });
    let s = this.byNamespace.get(svc.namespace);
    if (!s) this.byNamespace.set(svc.namespace, (s = new Set()));
    s.add(key);
    const pods = new Set<number>();
    for (const p of podsIn(svc.namespace, svc.selector!)) if (selects(svc.selector!, p.labels)) pods.add(p.slot);
    this.members.set(key, pods);
  }

  private meets(peer: number, pods: ReadonlySet<number>): boolean {
    if (this.host.wholeNamespace(peer)) return true;
    for (const slot of pods) if (this.host.has(peer, slot)) return true;
    return false;
  }

  /** A pod's slot left the Services `before` and joined `after` (its labels changed, or it came or went). */
  podMoved(before: { slot: number; services: readonly string[] } | undefined, after: { slot: number; services: readonly string[] } | undefined): void {
    if (before) for (const k of before.services) this.members.get(k)?.delete(before.slot);
    if (after) for (const k of after.services) this.members.get(k)?.add(after.slot);
  }

  /** Recomputes which peers one Service feeds; adds the peers that changed to `changed`. */
  recompute(key: string, changed = new Set<number>()): Set<number> {
    const old = this.peersOf.get(key);
    const next = new Set<number>();
    const e = this.services.get(key);
    const pods = e ? this.members.get(key) : undefined;
    if (e && pods && pods.size > 0) {
      for (const peer of this.host.candidates(e.svc.namespace)) if (this.meets(peer, pods)) next.add(peer);
    }
    for (const peer of old ?? []) {
      if (next.has(peer)) continue;
      this.ipsOf.get(peer)?.delete(key);
      changed.add(peer);
    }
    for (const peer of next) {
      let m = this.ipsOf.get(peer);
      if (!m) this.ipsOf.set(peer, (m = new Map()));
      const prev = m.get(key);
      if (prev && sameList(prev, e!.ips)) continue;
      m.set(key, e!.ips);
      changed.add(peer);
    }
    if (next.size > 0) this.peersOf.set(key, next);
    else this.peersOf.delete(key);
    return changed;
  }
}
