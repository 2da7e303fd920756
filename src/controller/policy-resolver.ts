/**
 * NetworkPolicy selectors resolved on the label index, kept between passes.
 * Every distinct selector (policy targets and peers repeat a lot: templated
 * policies share them) is one program of one SelectorSet, evaluated by the
 * wasm kernels (on the pool when there is one), then brought up to date per
 * pod or namespace event for just the selectors reading what changed.
 *
 * A Service's ClusterIPs belong in a peer's allow set when the Service's pods
 * meet the peer's (ServiceFanOut): a Service event touches exactly the peers,
 * hence the policies, it affects. Each incremental method returns the keys
 * of the policies whose resolved relation may have changed.
 */
import type { NamespaceRecord, NetworkPolicyRecord, PodRecord, ServiceRecord } from '../k8s/records.js';
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
import type { ContainerPort } from '../k8s/records.js';
import type { ResolvedPolicy } from './desired/policies.js';
import { serviceKeyOf } from './desired/services.js';
import { allSlots, canonicalSelector, hasNamedPort, mergePorts, policyKeyOf, specKey, uniquePorts, type CompiledPolicy, type PodAddressing } from './policy-selectors.js';
import { ServiceFanOut } from './service-fanout.js';
import { invalid, labelKeyProblem, type ValidationError } from './validation.js';

export { policyKeyOf, type PodAddressing } from './policy-selectors.js';

export class PolicyResolver {
  readonly index: LabelIndex<PodRecord>;
  private set: SelectorSet | undefined;
  private specs: (SelectorSpec | null)[] = [];
  private byKey = new Map<string, number>();
  private compiled = new Map<string, CompiledPolicy>();
  private readonly errorsOf = new Map<string, ValidationError[]>();
  /** selector → policies reading it (as target or peer). */
  private usersOf = new Map<number, Set<string>>();
  /** Policies with an egress named port and a rule without peers: they read every pod's ports. */
  private readonly everyPortReaders = new Set<string>();
  private readonly nsLabels = new Map<string, NamespaceRecord['labels']>();
  private candidateCache = new Map<string, number[]>();
  private services: readonly ServiceRecord[] = [];
  private readonly fanout: ServiceFanOut;

  /** Per pod slot: its address and port name (undefined: none), as of its last upsert. */
  private readonly ipAt: (string | undefined)[] = [];
  private readonly portAt: (string | undefined)[] = [];

  constructor(
    podCapacity: number,
    private readonly addr: PodAddressing,
    /** Posting rows to reserve: one per namespace, one per selected label term. */
    rowCapacity?: number,
  ) {
    this.index = new LabelIndex<PodRecord>({ podCapacity: Math.max(1024, podCapacity), rowCapacity });
    this.fanout = new ServiceFanOut({
      candidates: (ns) => this.candidatesIn(ns),
      podsIn: (ns) => this.podsIn(ns),
      has: (peer, slot) => this.requireSet().has(peer, slot),
      wholeNamespace: (peer) => this.specs[peer]?.podSelector === undefined,
    });
  }

  upsertNamespace(ns: NamespaceRecord): void {
    this.nsLabels.set(ns.name, ns.labels);
    this.index.upsertNamespace(ns);
  }

  /** Adds or updates a pod; its address is read now (allocate before). Returns whether its address or port name changed. */
  upsertPod(pod: PodRecord): boolean {
    const slot = this.index.upsertPod(pod);
    const ip = this.addr.ip(pod);
    const port = this.addr.port(pod);
    const changed = this.ipAt[slot] !== ip || this.portAt[slot] !== port;
    this.ipAt[slot] = ip;
    this.portAt[slot] = port;
    return changed;
  }

  private deletePod(uid: string): void {
    const slot = this.index.deletePod(uid);
    if (slot !== undefined) this.ipAt[slot] = this.portAt[slot] = undefined;
  }

  /**
   * Compiles every policy's selectors into one set (Services are matched by
   * label in their namespace, see ServiceFanOut). A policy whose selector
   * cannot compile is reported and left out; the others go on.
   */
  compile(policies: readonly NetworkPolicyRecord[], services: readonly ServiceRecord[]): ValidationError[] {
    this.byKey = new Map();
    this.specs = [];
    this.compiled = new Map();
    this.usersOf = new Map();
    this.errorsOf.clear();
    this.everyPortReaders.clear();
    const programs: ReturnType<typeof compileSelector>[] = [];
    for (const np of policies) this.compileOne(np, programs);
    this.services = services.filter((svc) => this.checkService(serviceKeyOf(svc), svc));
    this.set?.dispose();
    // The set reads only uid/namespace/labels of pods, which every PodRecord has.
    this.set = new SelectorSet(this.index as unknown as LabelIndex, programs);
    this.candidateCache = new Map();
    for (const m of this.memos) m.clear();
    const errors: ValidationError[] = [];
    for (const l of this.errorsOf.values()) for (const e of l) errors.push(e);
    return errors;
  }

  /** Interns a policy's selectors (new ones appended to `programs`); false when it needs a selector `programs` cannot take. */
  private compileOne(np: NetworkPolicyRecord, programs?: ReturnType<typeof compileSelector>[]): boolean {
    const key = policyKeyOf(np);
    this.forget(key);
    if (np.deleting) return true;
    let field = 'spec.podSelector';
    let missing = false;
    const intern = (spec: SelectorSpec | null): number => {
      const k = specKey(spec);
      let i = this.byKey.get(k);
      if (i !== undefined) return i;
      const program = compileSelector(this.index, spec);
      if (!programs) {
        missing = true;
        return -1;
      }
      programs.push(program);
      this.specs.push(spec);
      this.byKey.set(k, (i = programs.length - 1));
      return i;
    };
    try {
      const target = intern(policyTargetSpec(np));
      const side = (dir: 'ingress' | 'egress') =>
        np[dir].map((rule, r) =>
          rule.peers.map((peer, i) => {
            field = `spec.${dir}[${r}].${dir === 'ingress' ? 'from' : 'to'}[${i}]`;
            return peer.ipBlock ? -1 : intern(policyPeerSpec(np.namespace, peer));
          }),
        );
      const c: CompiledPolicy = { policy: np, target, ingress: side('ingress'), egress: side('egress') };
      if (missing) return false;
      this.compiled.set(key, c);
      for (const sel of [c.target, ...c.ingress.flat(), ...c.egress.flat()]) {
        if (sel < 0) continue;
        let u = this.usersOf.get(sel);
        if (!u) this.usersOf.set(sel, (u = new Set()));
        u.add(key);
      }
      if (np.egress.some((r) => r.peers.length === 0 && r.ports.some((p) => typeof p.port === 'string'))) this.everyPortReaders.add(key);
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
      this.errorsOf.set(key, [invalid('NetworkPolicy', np, field, 'invalid-selector', err.message)]);
    }
    return true;
  }

  private forget(key: string): void {
    const c = this.compiled.get(key);
    this.errorsOf.delete(key);
    this.everyPortReaders.delete(key);
    if (!c) return;
    this.compiled.delete(key);
    for (const sel of [c.target, ...c.ingress.flat(), ...c.egress.flat()]) this.usersOf.get(sel)?.delete(key);
  }

  /** Distinct selectors in the set (after de-duplication). */
  get selectorCount(): number {
    return this.specs.length;
  }

  /** Selector errors of every Service. */
  serviceErrors(): ValidationError[] {
    const out: ValidationError[] = [];
    for (const [k, l] of this.errorsOf) if (k.startsWith('Service/')) for (const e of l) out.push(e);
    return out;
  }

  /** Selector errors of one policy (or `Service/ns/name`). */
  errorsFor(key: string): ValidationError[] {
    return this.errorsOf.get(key) ?? [];
  }

  /** Evaluates every selector, then which peers each Service's pods meet. */
  async evaluate(pool?: KernelPool): Promise<void> {
    const set = this.requireSet();
    if (pool) await set.evaluateOn(pool);
    else set.evaluate();
    this.fanout.reset(this.services);
  }

  // Incremental updates: each returns the keys of the policies whose resolution may have changed.

  /**
   * A pod added, changed or deleted (`next` undefined): its slot is
   * re-checked against the selectors reading what changed (all selectors
   * holding it when its address or port name changed), and the Services
   * selecting it before or after are re-matched against their candidate peers.
   */
  podChanged(uid: string, next: PodRecord | undefined): Set<string> {
    const set = this.requireSet();
    const before = this.index.slotOf(uid);
    const old = before === undefined ? undefined : this.index.podAt(before);
    const selectors = new Set<number>();
    const left = old ? this.fanout.servicesSelecting(old.namespace, old.labels) : [];
    const services = new Set(left);
    const held = before === undefined ? undefined : set.selectorsWithSlot(before);
    let addressChanged = true;
    let slot = before;
    if (next) {
      addressChanged = this.upsertPod(next);
      slot = this.index.slotOf(next.uid);
    } else this.deletePod(uid);
    if (slot === undefined) return new Set();
    const rows = this.index.lastChangedRows;
    if (addressChanged && held) for (const s of held) selectors.add(s);
    for (const s of set.updateSlot(slot, rows)) selectors.add(s);
    const joined = next ? this.fanout.servicesSelecting(next.namespace, next.labels) : [];
    if (next && addressChanged) for (const s of set.selectorsWithSlot(slot)) selectors.add(s);
    for (const k of joined) services.add(k);
    this.fanout.podMoved(before === undefined ? undefined : { slot: before, services: left }, next ? { slot, services: joined } : undefined);
    const peers = new Set<number>();
    for (const k of services) this.fanout.recompute(k, peers);
    this.forgetSelectors(selectors);
    const out = this.usersOfAll(selectors, peers);
    if ((old?.ports ?? []).some((p) => p.name) || (next?.ports ?? []).some((p) => p.name)) for (const k of this.everyPortReaders) out.add(k);
    return out;
  }

  /** A namespace added, relabelled or deleted (undefined: `name` is gone). */
  namespaceChanged(name: string, ns: NamespaceRecord | undefined): Set<string> {
    const set = this.requireSet();
    if (ns) this.upsertNamespace(ns);
    else {
      this.nsLabels.delete(name);
      this.index.deleteNamespace(name);
    }
    this.candidateCache.clear();
    // Only the selectors reading the namespace-label rows that changed run.
    const selectors = set.updateSlots(this.index.podsInNamespace(name), this.index.lastChangedRows);
    const peers = new Set<number>();
    for (const k of this.fanout.servicesIn(name)) this.fanout.recompute(k, peers);
    this.forgetSelectors(selectors);
    return this.usersOfAll(selectors, peers);
  }

  /** A Service added, changed or deleted (undefined). */
  serviceChanged(key: string, svc: ServiceRecord | undefined): Set<string> {
    return this.usersOfAll([], this.fanout.setService(key, svc && this.checkService(key, svc) ? svc : undefined));
  }

  /** A Service whose selector has a bad key is reported (under `Service/<key>`) and feeds no peer. */
  private checkService(key: string, svc: ServiceRecord): boolean {
    this.errorsOf.delete(`Service/${key}`);
    for (const k of Object.keys(svc.selector ?? {})) {
      const problem = labelKeyProblem(k);
      if (problem === undefined) continue;
      this.errorsOf.set(`Service/${key}`, [invalid('Service', svc, `spec.selector[${k.slice(0, 80)}]`, 'invalid-selector', problem)]);
      return false;
    }
    return true;
  }

  /**
   * A policy added, changed or deleted (undefined); only its own resolution
   * changes. While its selectors are all in the set already (templated
   * policies share them), nothing is evaluated; a new selector rebuilds the
   * set from `all` (policies and Services now).
   */
  async policyChanged(key: string, np: NetworkPolicyRecord | undefined, all: () => { policies: readonly NetworkPolicyRecord[]; services: readonly ServiceRecord[] }, pool?: KernelPool): Promise<{ rebuilt: boolean }> {
    if (!np) {
      this.forget(key);
      return { rebuilt: false };
    }
    if (this.compileOne(np)) return { rebuilt: false };
    const now = all();
    this.compile(now.policies, now.services);
    await this.evaluate(pool);
    return { rebuilt: true };
  }

  private usersOfAll(selectors: Iterable<number>, peers: Iterable<number>): Set<string> {
    const out = new Set<string>();
    for (const list of [selectors, peers]) for (const s of list) for (const k of this.usersOf.get(s) ?? []) out.add(k);
    return out;
  }

  private candidatesIn(ns: string): number[] {
    let c = this.candidateCache.get(ns);
    if (c) return c;
    c = [];
    const labels = this.nsLabels.get(ns) ?? {};
    const matched = new Map<string, boolean>();
    // Every selector in the set, used or not: a policy that starts using one later finds its fan-out ready.
    for (let sel = 0; sel < this.specs.length; sel++) {
      const spec = this.specs[sel];
      if (!spec) continue;
      if (spec.namespace !== undefined) {
        if (spec.namespace === ns) c.push(sel);
      } else if (spec.namespaceSelector) {
        const k = JSON.stringify(canonicalSelector(spec.namespaceSelector));
        let m = matched.get(k);
        if (m === undefined) matched.set(k, (m = matchesSelector(spec.namespaceSelector, labels)));
        if (m) c.push(sel);
      }
    }
    this.candidateCache.set(ns, c);
    return c;
  }

  private podsIn(ns: string): { slot: number; labels: PodRecord['labels'] }[] {
    const out: { slot: number; labels: PodRecord['labels'] }[] = [];
    for (const slot of this.index.podsInNamespace(ns)) {
      const p = this.index.podAt(slot);
      if (p) out.push({ slot, labels: p.labels });
    }
    return out;
  }

  /** The resolved relation of every compiled policy, for desiredPolicies(). */
  resolveAll(): ResolvedPolicy[] {
    const r = this.resolver();
    return [...this.compiled.values()].map(r);
  }

  /** Policies' resolved relations by key (undefined: deleted or not compiled); selectors they share are read once. */
  resolveMany(keys: Iterable<string>): Map<string, ResolvedPolicy | undefined> {
    const r = this.resolver();
    const out = new Map<string, ResolvedPolicy | undefined>();
    for (const k of keys) {
      const c = this.compiled.get(k);
      out.set(k, c ? r(c) : undefined);
    }
    return out;
  }

  /**
   * Per-selector results kept between passes: pod IPs, port names, container
   * ports. A selector's entry goes when its membership or a member's address
   * changes (podChanged, namespaceChanged) and all go when the set is rebuilt.
   */
  private readonly memos = [new Map<number, string[]>(), new Map<number, string[]>(), new Map<number, ContainerPort[]>()] as const;

  private forgetSelectors(selectors: Iterable<number>): void {
    for (const s of selectors) for (const m of this.memos) m.delete(s);
  }

  private resolver(): (c: CompiledPolicy) => ResolvedPolicy {
    const set = this.requireSet();
    const memo = <T>(f: (sel: number) => T, m = new Map<number, T>()) => {
      return (sel: number): T => {
        let v = m.get(sel);
        if (v === undefined) m.set(sel, (v = f(sel)));
        return v;
      };
    };
    const collect = (sel: number, of: readonly (string | undefined)[]) => {
      const out: string[] = [];
      for (const slot of set.members(sel)) {
        const v = of[slot];
        if (v !== undefined) out.push(v);
      }
      return [...new Set(out)].sort();
    };
    const ips = memo((sel) => collect(sel, this.ipAt), this.memos[0]);
    const ports = memo((sel) => collect(sel, this.portAt), this.memos[1]);
    const serviceIPs = memo((sel) => this.fanout.ipsFor(sel));
    const containerPorts = memo((sel) => uniquePorts(set.members(sel), this.index), this.memos[2]);
    let everyPort: ContainerPort[] | undefined;
    const everyPodsPorts = () => (everyPort ??= uniquePorts(allSlots(this.index), this.index));
    return (c) => {
      const side = (dir: 'ingress' | 'egress') =>
        c[dir].map((peers, k) => {
          const named = c.policy[dir][k]!.ports.some((p) => typeof p.port === 'string');
          return {
            peers: peers.map((sel) => (sel < 0 ? { podIPs: [], serviceIPs: [] } : { podIPs: ips(sel), serviceIPs: serviceIPs(sel) })),
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
    };
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
