/**
 * The controller's desired NB state, kept between passes as units (one per
 * pod, node, policy; one for the subnets, one for the centralized gateways,
 * one for the load balancers) with everything needed to recompute a unit
 * alone: IPAM, the policy resolver on the label index, where pods are placed.
 *
 * rebuild() computes the whole cluster in bulk (startup, leadership, a Subnet
 * change, a failed pass). update() takes the objects that changed since and
 * recomputes only the units they affect: a pod → its port, its nodes' port
 * groups, the policies whose selectors gained or lost it (and those whose
 * Service fan-out changed); a Service → the load balancers and the policies
 * its pods feed; a namespace → the policies whose selectors read its labels;
 * a policy → its rows; a node → its rows and the centralized gateways. It
 * returns the identities whose desired rows changed: the scope of the pass.
 */
import type { NodeRecord, PodRecord, SubnetRecord } from '../../k8s/records.js';
import { recordKey } from '../../k8s/resources.js';
import { KernelPool } from '../../index/index.js';
import type { DesiredRow, DesiredSource } from '../../nb/desired.js';
import { DesiredUnits, sameDesired } from '../../nb/desired-units.js';
import type { Scope } from '../../nb/scope.js';
import { nodePortGroupName, subnetNodePortGroupName } from '../../nb/naming.js';
import { activeGatewaysInNb } from '../../nb/read.js';
import { allocateMissing } from '../allocation.js';
import { desiredCentralizedGateways, desiredNodes, desiredPod, desiredPolicy, desiredSubnets, podNeedsPort, type ResolvedPolicy } from '../desired/index.js';
import { podPortNameOf } from '../desired/pods.js';
import { nodeOwner, podOwner, type Ipam } from '../ipam/ipam.js';
import { clusterConfig, effectiveSubnets, type ControllerOptions } from '../options.js';
import { policyKeyOf, PolicyResolver, type PodAddressing } from '../policy-resolver.js';
import { parseSubnets, type ParsedSubnet } from '../subnet-spec.js';
import { laps } from '../../util/laps.js';
import type { ValidationError } from '../validation.js';
import { LoadBalancerTable } from './load-balancers.js';
import { PlacementIndex, type ChangedGroup } from './placement.js';
import {
  nodeIpamUnit,
  nodeUnit,
  podUnit,
  policyUnit,
  SERVICES_UNIT,
  SUBNETS_UNIT,
  GATEWAYS_UNIT,
  unitOfError,
  type ClusterSnapshot,
  type ClusterStores,
  type DirtyKeys,
  type UpdateResult,
} from './types.js';

export { emptyDirty, noneDirty, type ClusterSnapshot, type ClusterStores, type DirtyKeys, type UpdateResult } from './types.js';

/** `from`'s row of r's identity when it plans the same as r, else r. */
function sameAs(from: DesiredSource, r: DesiredRow): DesiredRow {
  const e = from.get(r.table, r.key);
  return e !== undefined && sameDesired(e, r) ? e : r;
}

export class ClusterModel {
  readonly units = new DesiredUnits();
  private resolver: PolicyResolver | undefined;
  private subnetRecords: SubnetRecord[] = [];
  private subnets: ParsedSubnet[] = [];
  private subnetByName = new Map<string, ParsedSubnet>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly lbs: LoadBalancerTable;
  /** IPAM owner → the key of the live pod holding it, or the keys when several do (a VM's launcher pods): 150k pods, 150k Sets saved. */
  private readonly owners = new Map<string, string | Set<string>>();
  private readonly placement = new PlacementIndex();
  private readonly errorsByUnit = new Map<string, ValidationError[]>();
  private gateways = new Map<string, string>();
  private policiesExist = false;
  /** Units a rebuild has not produced again yet (dropped at its end). */
  private staleUnits = new Set<string>();
  private readonly cfg;

  constructor(
    private readonly o: ControllerOptions,
    private readonly ipam: Ipam,
  ) {
    this.cfg = clusterConfig(o);
    this.lbs = new LoadBalancerTable(this.cfg);
  }

  get ipamState(): Ipam {
    return this.ipam;
  }

  /** Every invalid object known now. */
  errors(): ValidationError[] {
    const out: ValidationError[] = [];
    for (const l of this.errorsByUnit.values()) for (const e of l) out.push(e);
    return out;
  }

  /**
   * The whole cluster from scratch. Centralized subnets take their first
   * eligible gateway node until useGateways() says which one the NB uses.
   * `earlier`: rows already computed from these records (a write ahead's,
   * infrastructure.ts); a node's row equal to one of them is that one, so
   * the pass and the NB cache (which took its values) hold one copy of each
   * (184k at 2000 nodes × 100 subnets).
   */
  async rebuild(snap: ClusterSnapshot, earlier?: DesiredSource): Promise<{ allocated: number; timings: Record<string, number> }> {
    const { timings, lap } = laps();
    // Addresses of pods and nodes gone since the last rebuild go back to their pools first, so claims can take them (a new model has none).
    if (this.owners.size > 0 || this.nodes.size > 0) {
      const liveOwners = new Set<string>();
      for (const p of snap.pods) if (!p.deleting) liveOwners.add(podOwner(p));
      for (const n of snap.nodes) if (!n.deleting) liveOwners.add(nodeOwner(n));
      for (const owner of this.owners.keys()) if (!liveOwners.has(owner)) this.ipam.release(owner);
      for (const name of this.nodes.keys()) if (!liveOwners.has(nodeOwner({ name }))) this.ipam.release(nodeOwner({ name }));
    }
    this.reset();
    this.setSubnets(snap.subnets);
    const errors: ValidationError[] = [];
    const report = (more: Iterable<ValidationError>) => {
      for (const e of more) errors.push(e);
    };
    report(this.ipam.setSubnets(this.subnetRecords).errors);
    report(this.ipam.recoverNodes(snap.nodes, this.o.nodeSwitch));
    report(this.ipam.recoverPods(snap.pods));
    const alloc = allocateMissing(this.ipam, snap.pods, snap.nodes, this.subnetRecords, this.o);
    report(alloc.errors);
    for (const n of snap.nodes) this.nodes.set(n.name, n);
    for (const p of snap.pods) {
      // One string for a pod's key, its owner and its unit, the one IPAM holds (three copies of 150k keys otherwise).
      const owner = p.deleting ? undefined : podOwner(p);
      const held = owner === undefined ? undefined : this.ipam.get(owner)?.owner;
      const fresh = recordKey(p);
      const key = held === fresh ? held : fresh;
      this.pods.set(key, p);
      if (owner !== undefined) this.own(key, held ?? owner);
    }
    this.lbs.reset(snap.services, snap.endpointSlices);
    lap('ipam');

    // Headroom: growing the index past its capacity re-lays every posting row out (rows: a namespace's, and the label terms selectors ask).
    const resolver = new PolicyResolver(Math.ceil(snap.pods.length * 1.25), this.addressing(), Math.ceil(snap.namespaces.length * 1.25) + 1024);
    this.resolver = resolver;
    for (const ns of snap.namespaces) resolver.upsertNamespace(ns);
    for (const p of snap.pods) if (!p.deleting) resolver.upsertPod(p);
    // Selector errors stay in the resolver; computePolicy and computeServices report them.
    resolver.compile(snap.policies, snap.services);
    const t0 = performance.now();
    const pool = this.o.wasmWorkers > 0 ? await KernelPool.open(resolver.index.engine, { threads: this.o.wasmWorkers }) : undefined;
    try {
      await resolver.evaluate(pool);
    } finally {
      await pool?.close();
    }
    timings.evaluate = performance.now() - t0;
    const resolved = resolver.resolveAll();
    lap('resolve');

    // IPAM errors belong to the unit recomputed when the object changes; a pod's stay with its port's errors.
    for (const e of errors) this.addError(unitOfError(e), e);
    for (const [key, p] of this.pods) this.computePod(key, p, undefined, this.errorsByUnit.get(podUnit(key)));
    this.policiesExist = snap.policies.some((p) => !p.deleting);
    const byKey = new Map(resolved.map((r) => [policyKeyOf(r.policy), r]));
    for (const np of snap.policies) this.computePolicy(policyKeyOf(np), byKey.get(policyKeyOf(np)));
    this.computeServices();
    this.computeSubnets();
    this.computeGateways(() => undefined);
    // Nodes read the placement every pod wrote: computed last.
    for (const n of snap.nodes) this.computeNode(n.name, undefined, earlier);
    this.dropStale();
    lap('desired');
    return { allocated: alloc.allocated, timings };
  }

  /** The gateway node each centralized subnet uses in the NB now (kept while eligible): read once the NB has replicated. */
  useGateways(inNb: ReadonlyMap<string, string>): void {
    this.computeGateways((s) => inNb.get(s));
  }

  /** Recomputes the units the changed objects affect; returns the identities whose desired rows changed. */
  async update(dirty: DirtyKeys, stores: ClusterStores): Promise<UpdateResult> {
    const resolver = this.requireResolver();
    const scope: Scope = new Map();
    const out: UpdateResult = { scope, units: 0, pods: [], nodes: [] };
    const policies = new Set<string>();
    const nodes = new Set<string>();
    const groups = new Map<string, Map<string, ChangedGroup>>();
    const add = (s: Iterable<string>, to: Set<string>) => {
      for (const k of s) to.add(k);
    };

    for (const name of dirty.namespaces) add(resolver.namespaceChanged(name, stores.namespaces.get(name)), policies);

    for (const key of dirty.pods) {
      const p = stores.pods.get(key);
      const old = this.pods.get(key);
      if (old && p && old.uid !== p.uid) this.podEvent(key, undefined, policies, groups, scope);
      this.podEvent(key, p, policies, groups, scope);
      if (p) out.pods.push(p);
      out.units++;
    }

    // Services before policies: a policy with a new selector rebuilds the fan-out from the stores, after
    // which a Service of this batch would look unchanged and its policies would not be recomputed.
    for (const key of dirty.services) add(resolver.serviceChanged(key, stores.services.get(key)), policies);

    if (dirty.policies.size > 0) {
      const all = () => ({ policies: [...stores.policies.values()], services: [...stores.services.values()] });
      for (const key of dirty.policies) {
        await resolver.policyChanged(key, stores.policies.get(key), all);
        // Other policies resolve as before, even when the selectors were rebuilt.
        policies.add(key);
      }
      let exist = false;
      for (const p of stores.policies.values()) {
        if (!p.deleting) {
          exist = true;
          break;
        }
      }
      if (exist !== this.policiesExist) {
        this.policiesExist = exist;
        add(this.nodes.keys(), nodes);
      }
    }

    if (dirty.services.size > 0 || dirty.endpointSlices.size > 0) {
      for (const key of dirty.services) this.lbs.setService(key, stores.services.get(key));
      for (const key of dirty.endpointSlices) this.lbs.setSlice(key, stores.endpointSlices.get(key));
      this.computeServices(scope);
      out.units++;
    }

    if (dirty.nodes.size > 0) {
      for (const name of dirty.nodes) {
        const n = stores.nodes.get(name);
        this.nodeEvent(name, n);
        if (n) out.nodes.push(n);
        nodes.add(name);
      }
      this.computeGateways((s) => this.gateways.get(s), scope);
      out.units++;
    }

    for (const [key, r] of resolver.resolveMany(policies)) this.computePolicy(key, r, scope);
    for (const name of nodes) this.computeNode(name, scope);
    for (const [name, pgs] of groups) if (!nodes.has(name)) this.patchPortGroups(name, pgs, scope);
    out.units += policies.size + nodes.size + groups.size;
    return out;
  }

  dispose(): void {
    this.resolver?.dispose();
    this.resolver = undefined;
  }

  /**
   * Lets go of what the model holds (desired rows, indexes, records) for
   * good. The controller's stop calls it before it packs its caches into the
   * state file, so that packing has the memory: ~650 MB at 150k pods.
   */
  release(): void {
    this.forgetRecords();
    this.units.clear();
    this.staleUnits.clear();
  }

  private reset(): void {
    this.forgetRecords();
    this.gateways = new Map();
    // Units are replaced, not cleared, so a rebuild on a live model still reports what went away.
    this.staleUnits = new Set(this.units.unitIds());
  }

  /** The resolver and everything built from the records (a rebuild starts from nothing). */
  private forgetRecords(): void {
    this.dispose();
    this.errorsByUnit.clear();
    this.pods.clear();
    this.nodes.clear();
    this.owners.clear();
    this.placement.clear();
  }

  /** Drops the units a rebuild did not produce again. */
  private dropStale(): void {
    for (const u of this.staleUnits) this.units.replace(u, []);
    this.staleUnits.clear();
  }

  private setSubnets(fromApi: readonly SubnetRecord[]): void {
    this.subnetRecords = effectiveSubnets(fromApi, this.o);
    this.subnets = parseSubnets(this.subnetRecords).subnets;
    this.subnetByName = new Map(this.subnets.map((s) => [s.name, s]));
  }

  private addressing(): PodAddressing {
    return {
      ip: (p) => this.ipam.get(podOwner(p))?.ip,
      port: (p) => (podNeedsPort(p) && this.ipam.get(podOwner(p)) ? podPortNameOf(p) : undefined),
    };
  }

  private addError(unit: string, e: ValidationError): void {
    const l = this.errorsByUnit.get(unit);
    if (l) l.push(e);
    else this.errorsByUnit.set(unit, [e]);
  }

  private setUnit(unit: string, rows: readonly DesiredRow[], errors: readonly ValidationError[], changed?: Scope): void {
    this.staleUnits.delete(unit);
    this.units.replace(unit, rows, changed);
    this.errorsByUnit.delete(unit);
    for (const e of errors) this.addError(unit, e);
  }

  private own(key: string, owner: string): void {
    const s = this.owners.get(owner);
    if (s === undefined) this.owners.set(owner, key);
    else if (typeof s !== 'string') s.add(key);
    else if (s !== key) this.owners.set(owner, new Set([s, key]));
  }

  private disown(key: string, owner: string): void {
    const s = this.owners.get(owner);
    if (s === undefined) return;
    if (typeof s === 'string') {
      if (s !== key) return;
    } else {
      s.delete(key);
      if (s.size > 0) return;
    }
    this.owners.delete(owner);
    this.ipam.release(owner);
  }

  /** A pod added, changed or gone (undefined): IPAM, its unit, the resolver. */
  private podEvent(key: string, p: PodRecord | undefined, policies: Set<string>, groups: Map<string, Map<string, ChangedGroup>>, scope: Scope): void {
    const resolver = this.requireResolver();
    const old = this.pods.get(key);
    const oldOwner = old && !old.deleting ? podOwner(old) : undefined;
    const newOwner = p && !p.deleting ? podOwner(p) : undefined;
    if (p) this.pods.set(key, p);
    else this.pods.delete(key);
    if (newOwner !== undefined) this.own(key, newOwner);
    if (oldOwner !== undefined && oldOwner !== newOwner) this.disown(key, oldOwner);
    const errors: ValidationError[] = [];
    if (p && podNeedsPort(p) && !this.ipam.get(podOwner(p))) {
      errors.push(...this.ipam.recoverPods([p]));
      errors.push(...allocateMissing(this.ipam, [p], [], this.subnetRecords, this.o).errors);
    }
    for (const g of this.computePod(key, p, scope, errors)) {
      let m = groups.get(g.node);
      if (!m) groups.set(g.node, (m = new Map()));
      m.set(g.subnet === undefined ? nodePortGroupName(g.node) : subnetNodePortGroupName(g.subnet, g.node), g);
    }
    const uid = (p ?? old)?.uid;
    if (uid === undefined) return;
    const live = p && !p.deleting ? p : undefined;
    for (const k of resolver.podChanged(uid, live)) policies.add(k);
  }

  /** The pod's port; returns the node port groups whose ports changed. */
  private computePod(key: string, p: PodRecord | undefined, scope?: Scope, errors: readonly ValidationError[] = []): ChangedGroup[] {
    const unit = podUnit(key);
    const out = p && desiredPod(p, this.ipam.get(podOwner(p)), this.subnetByName, this.cfg);
    if (out === undefined || 'errors' in out) {
      this.setUnit(unit, [], out ? [...errors, ...out.errors] : errors, scope);
      return this.placement.set(key, undefined);
    }
    this.setUnit(unit, [out.row], errors, scope);
    return this.placement.set(key, out.place);
  }

  /** Only the ports of some of a node's port groups changed: those rows get the new members, the rest stay as they are. */
  private patchPortGroups(node: string, pgs: ReadonlyMap<string, ChangedGroup>, scope: Scope): void {
    const unit = nodeUnit(node);
    const rows = this.units.rowsOf(unit);
    if (!rows) return;
    const next = rows.map((r) => {
      const ports = r.refs?.['ports'];
      const g = r.table === 'Port_Group' ? pgs.get(r.key) : undefined;
      if (!g || !ports) return r;
      return { ...r, refs: { ...r.refs, ports: { ...ports, keys: this.placement.ports(g) } } };
    });
    this.units.replace(unit, next, scope);
  }

  private nodeEvent(name: string, n: NodeRecord | undefined): void {
    const errors: ValidationError[] = [];
    if (n) this.nodes.set(name, n);
    else this.nodes.delete(name);
    if (n && !n.deleting) {
      if (!this.ipam.get(nodeOwner(n))) {
        errors.push(...this.ipam.recoverNodes([n], this.o.nodeSwitch));
        errors.push(...allocateMissing(this.ipam, [], [n], this.subnetRecords, this.o).errors);
      }
    } else this.ipam.release(nodeOwner({ name }));
    this.errorsByUnit.delete(nodeIpamUnit(name));
    for (const e of errors) this.addError(nodeIpamUnit(name), e);
  }

  private computeNode(name: string, scope?: Scope, earlier?: DesiredSource): void {
    const n = this.nodes.get(name);
    const unit = nodeUnit(name);
    if (!n) {
      this.setUnit(unit, [], [], scope);
      return;
    }
    const out = desiredNodes([n], (x) => this.ipam.get(nodeOwner(x)), this.subnets, this.placement, this.cfg, { networkPolicies: this.policiesExist });
    const rows = earlier ? out.rows.map((r) => sameAs(earlier, r)) : out.rows;
    this.setUnit(unit, rows, out.errors, scope);
  }

  private computePolicy(key: string, r: ResolvedPolicy | undefined, scope?: Scope): void {
    const unit = policyUnit(key);
    const errors = [...this.requireResolver().errorsFor(key)];
    if (!r) {
      this.setUnit(unit, [], errors, scope);
      return;
    }
    const out = desiredPolicy(r, this.cfg);
    this.setUnit(unit, out.rows, [...errors, ...out.errors], scope);
  }

  private computeServices(scope?: Scope): void {
    this.setUnit(SERVICES_UNIT, this.lbs.rows(), [...this.lbs.errors(), ...this.requireResolver().serviceErrors()], scope);
  }

  private computeSubnets(): void {
    const sub = desiredSubnets(this.subnets, this.cfg);
    this.setUnit(SUBNETS_UNIT, sub.rows, sub.errors);
  }

  private computeGateways(preferred: (subnet: string) => string | undefined, scope?: Scope): void {
    const gw = desiredCentralizedGateways(this.subnets, [...this.nodes.values()], (n) => this.ipam.get(nodeOwner(n)), this.cfg, preferred);
    this.gateways = activeGatewaysInNb(gw.rows.map((r) => r.row));
    this.setUnit(GATEWAYS_UNIT, gw.rows, gw.errors, scope);
  }

  private requireResolver(): PolicyResolver {
    if (!this.resolver) throw new Error('cluster model: rebuild() first');
    return this.resolver;
  }
}
