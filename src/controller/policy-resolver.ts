/**
 * NetworkPolicy selectors resolved in bulk on the label index. Every distinct
 * selector (policy targets and peers repeat a lot: templated policies share
 * them) and every Service selector is one program of one SelectorSet,
 * evaluated by the wasm kernels, on the pool when there is one.
 *
 * A Service's ClusterIPs belong in a peer's allow set when the Service's pods
 * meet the peer's. Candidates come from the namespace alone (a peer covers a
 * namespace by its own namespace or by its namespaceSelector), then the
 * Service's few pods are tested against the peer's result bitset: a Service
 * event touches exactly the peers, hence the policies, it affects.
 */
import type { ContainerPort, NamespaceRecord, NetworkPolicyRecord, PodRecord, ServiceRecord } from '../k8s/records.js';
import {
  compileSelector,
  LabelIndex,
  matchesSelector,
  policyPeerSpec,
  policyTargetSpec,
  SelectorError,
  SelectorSet,
  type KernelPool,
  type SelectorSpec,
} from '../index/index.js';
import type { LabelSelector } from '../k8s/records.js';
import type { ResolvedPolicy } from './desired/policies.js';
import { invalid, type ValidationError } from './validation.js';

export interface PodAddressing {
  /** The pod's IPv4 address (its IPAM allocation), if it has one. */
  ip(pod: PodRecord): string | undefined;
  /** The pod's logical switch port name, if it gets one. */
  port(pod: PodRecord): string | undefined;
}

interface CompiledPolicy {
  policy: NetworkPolicyRecord;
  target: number;
  /** Selector index per rule per peer; -1 for an ipBlock peer. */
  ingress: number[][];
  egress: number[][];
}

function canonicalSelector(s: LabelSelector | undefined): unknown {
  if (!s) return null;
  const labels = Object.entries(s.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exprs = (s.matchExpressions ?? []).map((e) => [e.key, e.operator, [...(e.values ?? [])].sort()]).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return [labels, exprs];
}

const specKey = (s: SelectorSpec | null): string =>
  s === null ? 'null' : JSON.stringify([s.namespace ?? null, canonicalSelector(s.namespaceSelector), s.podSelector ? canonicalSelector(s.podSelector) : null]);

const hasNamedPort = (np: NetworkPolicyRecord, dir: 'ingress' | 'egress') => np[dir].some((r) => r.ports.some((p) => typeof p.port === 'string'));

export class PolicyResolver {
  readonly index: LabelIndex<PodRecord>;
  private set: SelectorSet | undefined;
  private specs: (SelectorSpec | null)[] = [];
  private compiled: CompiledPolicy[] = [];
  private services: { svc: ServiceRecord; sel: number }[] = [];
  private readonly nsLabels = new Map<string, NamespaceRecord['labels']>();
  private serviceIPsBySel = new Map<number, string[]>();

  constructor(podCapacity: number) {
    this.index = new LabelIndex<PodRecord>({ podCapacity: Math.max(1024, podCapacity) });
  }

  upsertNamespace(ns: NamespaceRecord): void {
    this.nsLabels.set(ns.name, ns.labels);
    this.index.upsertNamespace(ns);
  }

  upsertPod(pod: PodRecord): void {
    this.index.upsertPod(pod);
  }

  deletePod(uid: string): void {
    this.index.deletePod(uid);
  }

  /**
   * Compiles every policy's and Service's selectors into one set. A policy
   * whose selector cannot compile is reported and left out; the others go on.
   */
  compile(policies: readonly NetworkPolicyRecord[], services: readonly ServiceRecord[]): ValidationError[] {
    const errors: ValidationError[] = [];
    const byKey = new Map<string, number>();
    const programs: ReturnType<typeof compileSelector>[] = [];
    const specs: (SelectorSpec | null)[] = [];
    const intern = (spec: SelectorSpec | null): number => {
      const k = specKey(spec);
      let i = byKey.get(k);
      if (i === undefined) {
        programs.push(compileSelector(this.index, spec));
        specs.push(spec);
        byKey.set(k, (i = programs.length - 1));
      }
      return i;
    };
    const compiled: CompiledPolicy[] = [];
    for (const np of policies) {
      if (np.deleting) continue;
      let field = 'spec.podSelector';
      try {
        const target = intern(policyTargetSpec(np));
        const side = (dir: 'ingress' | 'egress') =>
          np[dir].map((rule, r) =>
            rule.peers.map((peer, i) => {
              field = `spec.${dir}[${r}].${dir === 'ingress' ? 'from' : 'to'}[${i}]`;
              return peer.ipBlock ? -1 : intern(policyPeerSpec(np.namespace, peer));
            }),
          );
        compiled.push({ policy: np, target, ingress: side('ingress'), egress: side('egress') });
      } catch (err) {
        if (!(err instanceof SelectorError)) throw err;
        errors.push(invalid('NetworkPolicy', np, field, 'invalid-selector', err.message));
      }
    }
    const svcs: { svc: ServiceRecord; sel: number }[] = [];
    for (const svc of services) {
      if (svc.deleting || !svc.selector || Object.keys(svc.selector).length === 0 || !svc.clusterIPs.some((ip) => ip && ip !== 'None')) continue;
      try {
        svcs.push({ svc, sel: intern({ namespace: svc.namespace, podSelector: { matchLabels: { ...svc.selector } } }) });
      } catch (err) {
        if (!(err instanceof SelectorError)) throw err;
        errors.push(invalid('Service', svc, 'spec.selector', 'invalid-selector', err.message));
      }
    }
    this.set?.dispose();
    // The set reads only uid/namespace/labels of pods, which every PodRecord has.
    this.set = new SelectorSet(this.index as unknown as LabelIndex, programs);
    this.specs = specs;
    this.compiled = compiled;
    this.services = svcs;
    return errors;
  }

  /** Distinct selectors in the set (after de-duplication). */
  get selectorCount(): number {
    return this.specs.length;
  }

  /** Evaluates every selector, then which peers each Service's pods meet. */
  async evaluate(pool?: KernelPool): Promise<void> {
    const set = this.requireSet();
    if (pool) await set.evaluateOn(pool);
    else set.evaluate();
    this.serviceIPsBySel = this.serviceFanOut(set);
  }

  /** peer selector → ClusterIPs of the Services whose pods it selects. */
  private serviceFanOut(set: SelectorSet): Map<number, string[]> {
    const peers = new Set<number>();
    for (const c of this.compiled) for (const rules of [c.ingress, c.egress]) for (const r of rules) for (const s of r) if (s >= 0) peers.add(s);
    const byNamespace = new Map<string, number[]>();
    const byNsSelector = new Map<string, { sel: LabelSelector; peers: number[] }>();
    for (const p of peers) {
      const spec = this.specs[p]!;
      if (spec.namespace !== undefined) {
        const l = byNamespace.get(spec.namespace);
        if (l) l.push(p);
        else byNamespace.set(spec.namespace, [p]);
      } else if (spec.namespaceSelector) {
        const k = JSON.stringify(canonicalSelector(spec.namespaceSelector));
        const e = byNsSelector.get(k);
        if (e) e.peers.push(p);
        else byNsSelector.set(k, { sel: spec.namespaceSelector, peers: [p] });
      }
    }
    const candidates = new Map<string, number[]>();
    const candidatesIn = (ns: string): number[] => {
      let c = candidates.get(ns);
      if (c) return c;
      c = [...(byNamespace.get(ns) ?? [])];
      const labels = this.nsLabels.get(ns) ?? {};
      for (const { sel, peers: ps } of byNsSelector.values()) if (matchesSelector(sel, labels)) for (const p of ps) c.push(p);
      candidates.set(ns, c);
      return c;
    };
    const out = new Map<number, string[]>();
    for (const { svc, sel } of this.services) {
      const pods = set.members(sel);
      if (pods.length === 0) continue;
      const ips = svc.clusterIPs.filter((ip) => ip && ip !== 'None' && !ip.includes(':'));
      for (const p of candidatesIn(svc.namespace)) {
        const wholeNamespace = this.specs[p]!.podSelector === undefined;
        let meets = wholeNamespace;
        for (let i = 0; !meets && i < pods.length; i++) meets = set.has(p, pods[i]!);
        if (!meets) continue;
        const l = out.get(p);
        if (l) for (const ip of ips) l.push(ip);
        else out.set(p, [...ips]);
      }
    }
    return out;
  }

  /** The resolved relation of every compiled policy, for desiredPolicies(). */
  resolveAll(addr: PodAddressing): ResolvedPolicy[] {
    const set = this.requireSet();
    // Per pod slot, once: its address and port name (undefined: none).
    const ipOf: (string | undefined)[] = new Array(this.index.slotLimit);
    const portOf: (string | undefined)[] = new Array(this.index.slotLimit);
    for (let slot = 0; slot < this.index.slotLimit; slot++) {
      const p = this.index.podAt(slot);
      if (!p) continue;
      ipOf[slot] = addr.ip(p);
      portOf[slot] = addr.port(p);
    }
    const memo = <T>(f: (sel: number) => T) => {
      const m = new Map<number, T>();
      return (sel: number): T => {
        let v = m.get(sel);
        if (v === undefined) m.set(sel, (v = f(sel)));
        return v;
      };
    };
    const collect = (sel: number, of: (string | undefined)[]) => {
      const out: string[] = [];
      for (const slot of set.members(sel)) {
        const v = of[slot];
        if (v !== undefined) out.push(v);
      }
      return [...new Set(out)].sort();
    };
    const ips = memo((sel) => collect(sel, ipOf));
    const ports = memo((sel) => collect(sel, portOf));
    const containerPorts = memo((sel) => uniquePorts(set.members(sel), this.index));
    let everyPort: ContainerPort[] | undefined;
    const everyPodsPorts = () => (everyPort ??= uniquePorts(allSlots(this.index), this.index));

    return this.compiled.map((c) => {
      const side = (dir: 'ingress' | 'egress') =>
        c[dir].map((peers, k) => {
          const named = c.policy[dir][k]!.ports.some((p) => typeof p.port === 'string');
          return {
            peers: peers.map((sel) => (sel < 0 ? { podIPs: [], serviceIPs: [] } : { podIPs: ips(sel), serviceIPs: [...new Set(this.serviceIPsBySel.get(sel) ?? [])].sort() })),
            // Egress named ports resolve against the peers' pods (a rule without peers: every pod).
            peerContainerPorts: !named ? [] : peers.length === 0 ? everyPodsPorts() : mergePorts(peers.filter((s) => s >= 0).map(containerPorts)),
          };
        });
      return {
        policy: c.policy,
        selectedPorts: ports(c.target),
        selectedContainerPorts: hasNamedPort(c.policy, 'ingress') ? containerPorts(c.target) : [],
        ingress: side('ingress'),
        egress: side('egress'),
      };
    });
  }

  dispose(): void {
    this.set?.dispose();
    this.set = undefined;
  }

  private requireSet(): SelectorSet {
    if (!this.set) throw new Error('policy resolver: compile() first');
    return this.set;
  }
}

function* allSlots(index: LabelIndex<PodRecord>): Iterable<number> {
  for (let slot = 0; slot < index.slotLimit; slot++) if (index.podAt(slot)) yield slot;
}

function uniquePorts(slots: Iterable<number>, index: LabelIndex<PodRecord>): ContainerPort[] {
  const seen = new Map<string, ContainerPort>();
  for (const slot of slots) {
    const p = index.podAt(slot);
    if (p) for (const c of p.ports) seen.set(`${c.name ?? ''}/${c.protocol}/${c.containerPort}`, c);
  }
  return [...seen.values()];
}

function mergePorts(lists: ContainerPort[][]): ContainerPort[] {
  const seen = new Map<string, ContainerPort>();
  for (const l of lists) for (const c of l) seen.set(`${c.name ?? ''}/${c.protocol}/${c.containerPort}`, c);
  return [...seen.values()];
}
