/**
 * NetworkPolicy selectors resolved in bulk on the label index: every policy's
 * target, every non-ipBlock peer and every Service's selector become one
 * program in one SelectorSet, evaluated by the wasm kernels (on the pool when
 * there is one). A Service's ClusterIPs reach a peer when the Service's pods
 * intersect the peer's (batched any-intersection), which is how a Service
 * event finds exactly the policies it affects, each once.
 */
import type { ContainerPort, NamespaceRecord, NetworkPolicyRecord, PodRecord, ServiceRecord } from '../k8s/records.js';
import { compileSelector, LabelIndex, policyPeerSpec, policyTargetSpec, SelectorError, SelectorSet, type KernelPool, type Program, type SelectorSpec } from '../index/index.js';
import type { ResolvedPolicy, ResolvedRule } from './desired/policies.js';
import { invalid, type ValidationError } from './validation.js';

type Role =
  | { kind: 'target'; policy: number }
  | { kind: 'peer'; policy: number; dir: 'ingress' | 'egress'; rule: number; peer: number }
  | { kind: 'service'; service: number };

export interface PodAddressing {
  /** The pod's IPv4 address (its IPAM allocation), if it has one. */
  ip(pod: PodRecord): string | undefined;
  /** The pod's logical switch port name, if it gets one. */
  port(pod: PodRecord): string | undefined;
}

const policyKey = (np: NetworkPolicyRecord) => `${np.namespace}/${np.name}`;

export class PolicyResolver {
  readonly index: LabelIndex<PodRecord>;
  private set: SelectorSet | undefined;
  private roles: Role[] = [];
  private policies: NetworkPolicyRecord[] = [];
  private services: ServiceRecord[] = [];
  /** Selector id of each policy's target, by policy key. */
  private targets = new Map<string, number>();
  private peerServiceIPs = new Map<number, string[]>();

  constructor(podCapacity: number) {
    this.index = new LabelIndex<PodRecord>({ podCapacity: Math.max(1024, podCapacity) });
  }

  upsertNamespace(ns: NamespaceRecord): void {
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
    const programs: Program[] = [];
    const roles: Role[] = [];
    const kept: NetworkPolicyRecord[] = [];
    this.targets = new Map();
    for (const np of policies) {
      if (np.deleting) continue;
      const mine: { spec: SelectorSpec | null; role: Role; field: string }[] = [];
      const p = kept.length;
      mine.push({ spec: policyTargetSpec(np), role: { kind: 'target', policy: p }, field: 'spec.podSelector' });
      for (const dir of ['ingress', 'egress'] as const) {
        np[dir].forEach((rule, r) =>
          rule.peers.forEach((peer, i) => {
            if (peer.ipBlock) return;
            mine.push({ spec: policyPeerSpec(np.namespace, peer), role: { kind: 'peer', policy: p, dir, rule: r, peer: i }, field: `spec.${dir}[${r}].${dir === 'ingress' ? 'from' : 'to'}[${i}]` });
          }),
        );
      }
      const compiled: Program[] = [];
      try {
        for (const m of mine) compiled.push(compileSelector(this.index, m.spec));
      } catch (err) {
        if (!(err instanceof SelectorError)) throw err;
        errors.push(invalid('NetworkPolicy', np, mine[compiled.length]!.field, 'invalid-selector', err.message));
        continue;
      }
      this.targets.set(policyKey(np), programs.length);
      programs.push(...compiled);
      roles.push(...mine.map((m) => m.role));
      kept.push(np);
    }
    const svcs: ServiceRecord[] = [];
    for (const svc of services) {
      if (svc.deleting || !svc.selector || Object.keys(svc.selector).length === 0 || svc.clusterIPs.every((ip) => ip === 'None' || ip === '')) continue;
      try {
        programs.push(compileSelector(this.index, { namespace: svc.namespace, podSelector: { matchLabels: { ...svc.selector } } }));
      } catch (err) {
        if (!(err instanceof SelectorError)) throw err;
        errors.push(invalid('Service', svc, 'spec.selector', 'invalid-selector', err.message));
        continue;
      }
      roles.push({ kind: 'service', service: svcs.length });
      svcs.push(svc);
    }
    this.set?.dispose();
    // The set reads only uid/namespace/labels of pods, which every PodRecord has.
    this.set = new SelectorSet(this.index as unknown as LabelIndex, programs);
    this.roles = roles;
    this.policies = kept;
    this.services = svcs;
    return errors;
  }

  /** Evaluates every selector, then which Services' pods each peer's pods meet. */
  async evaluate(pool?: KernelPool): Promise<void> {
    const set = this.requireSet();
    if (pool) await set.evaluateOn(pool);
    else set.evaluate();
    this.peerServiceIPs = new Map();
    for (let i = 0; i < this.roles.length; i++) {
      const role = this.roles[i]!;
      if (role.kind !== 'service' || set.count(i) === 0) continue;
      const svc = this.services[role.service]!;
      const ips = svc.clusterIPs.filter((ip) => ip && ip !== 'None' && !ip.includes(':'));
      for (const s of set.selectorsIntersecting(set.resultBitset(i))) {
        if (this.roles[s]?.kind !== 'peer') continue;
        const l = this.peerServiceIPs.get(s);
        if (l) l.push(...ips);
        else this.peerServiceIPs.set(s, [...ips]);
      }
    }
  }

  /** The resolved relation of every compiled policy, for desiredPolicies(). */
  resolveAll(addr: PodAddressing): ResolvedPolicy[] {
    const set = this.requireSet();
    const podsOf = (sel: number): PodRecord[] => {
      const out: PodRecord[] = [];
      for (const slot of set.members(sel)) {
        const p = this.index.podAt(slot);
        if (p) out.push(p);
      }
      return out;
    };
    let allPorts: ContainerPort[] | undefined;
    const everyPodsPorts = () => (allPorts ??= uniquePorts([...this.allPods()]));
    const out: ResolvedPolicy[] = this.policies.map((policy) => ({
      policy,
      selectedPorts: [],
      selectedContainerPorts: [],
      ingress: policy.ingress.map((r) => ({ peers: r.peers.map(() => ({ podIPs: [], serviceIPs: [] })), peerContainerPorts: [] })),
      egress: policy.egress.map((r) => ({ peers: r.peers.map(() => ({ podIPs: [], serviceIPs: [] })), peerContainerPorts: [] })),
    }));
    const rulePods = new Map<ResolvedRule, PodRecord[]>();
    for (let i = 0; i < this.roles.length; i++) {
      const role = this.roles[i]!;
      if (role.kind === 'service') continue;
      const r = out[role.policy]!;
      const pods = podsOf(i);
      if (role.kind === 'target') {
        r.selectedPorts = pods.map((p) => addr.port(p)).filter((x): x is string => x !== undefined).sort();
        r.selectedContainerPorts = uniquePorts(pods);
        continue;
      }
      const rule = r[role.dir][role.rule]!;
      rule.peers[role.peer] = {
        podIPs: [...new Set(pods.map((p) => addr.ip(p)).filter((x): x is string => x !== undefined))].sort(),
        serviceIPs: [...new Set(this.peerServiceIPs.get(i) ?? [])].sort(),
      };
      const acc = rulePods.get(rule);
      if (acc) acc.push(...pods);
      else rulePods.set(rule, pods);
    }
    for (const r of out) {
      for (const dir of ['ingress', 'egress'] as const) {
        r[dir].forEach((rule, k) => {
          const peers = r.policy[dir][k]!.peers;
          // A rule without peers reaches every pod: its named ports resolve against all of them.
          rule.peerContainerPorts = peers.length === 0 ? everyPodsPorts() : uniquePorts(rulePods.get(rule) ?? []);
        });
      }
    }
    return out;
  }

  dispose(): void {
    this.set?.dispose();
    this.set = undefined;
  }

  private *allPods(): Iterable<PodRecord> {
    for (let slot = 0; slot < this.index.slotLimit; slot++) {
      const p = this.index.podAt(slot);
      if (p) yield p;
    }
  }

  private requireSet(): SelectorSet {
    if (!this.set) throw new Error('policy resolver: compile() first');
    return this.set;
  }
}

function uniquePorts(pods: readonly PodRecord[]): ContainerPort[] {
  const seen = new Map<string, ContainerPort>();
  for (const p of pods) for (const c of p.ports) seen.set(`${c.name ?? ''}/${c.protocol}/${c.containerPort}`, c);
  return [...seen.values()];
}
