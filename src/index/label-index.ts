/**
 * The label index: pods and namespaces in dense slots (reused through free
 * lists), and pod-space posting bitsets for the terms the selectors ask:
 *   pod label key=value, pod label key (Exists),
 *   namespace membership, namespace label key=value / key (pods of the
 *   namespaces carrying it), and row 0: all live pods.
 * A label term gets its posting row when a selector first asks for it, not
 * when a pod first carries it: most label values (pod-template-hash) are
 * never selected, and every row is pod-space wide. Until then its pods are
 * kept as a slot set, which fills the row when it comes.
 * Updates are incremental: adding, relabelling or deleting one pod touches
 * only the bits of its own selected terms.
 */
import type { Labels } from '../k8s/records.js';
import { BLOCK_BITS, Bitset, blocksFor } from './bitset.js';
import { WasmEngine } from './engine.js';
import { Postings } from './postings.js';

/** What the index needs of a pod; PodRecord satisfies it. */
export interface IndexedPod {
  uid: string;
  namespace: string;
  labels: Labels;
}

/** What the index needs of a namespace; NamespaceRecord satisfies it. */
export interface IndexedNamespace {
  name: string;
  labels: Labels;
}

export type TermKind = 'pod' | 'podKey' | 'ns' | 'nsKey' | 'member';

export const ALL_ROW = 0;

interface NsEntry {
  slot: number;
  record: IndexedNamespace | undefined;
  memberRow: number;
  /** Live pod slots in this namespace. */
  pods: Set<number>;
}

/** One pod label key=value: its live pods, and its posting row once a selector asked for it. */
interface ValueTerm {
  row: number | undefined;
  slots: Set<number>;
}

/** One pod label key: its Exists row once asked for, and its values. */
interface KeyTerms {
  keyRow: number | undefined;
  values: Map<string, ValueTerm>;
}

export interface LabelIndexOptions {
  /** Pod slots to reserve up front (grows by doubling past it). */
  podCapacity?: number;
  /** Posting rows to reserve up front (namespaces plus selected terms; grows by doubling past it). */
  rowCapacity?: number;
  engine?: WasmEngine;
}

const SEP = '\u0000';

export class LabelIndex<P extends IndexedPod = IndexedPod> {
  readonly engine: WasmEngine;
  readonly postings: Postings;
  /** Bumped whenever the pod-space stride changes (result matrices follow it). */
  epoch = 0;
  /** Namespace-label terms by kind, key and value. */
  private readonly terms = new Map<string, number>();
  private readonly podTerms = new Map<string, KeyTerms>();
  private readonly slotByUid = new Map<string, number>();
  private readonly pods: (P | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private highWater = 0;
  private live = 0;
  private readonly nsByName = new Map<string, NsEntry>();
  private readonly nsNames: (string | undefined)[] = [];

  constructor(opts: LabelIndexOptions = {}) {
    this.engine = opts.engine ?? WasmEngine.create();
    this.postings = new Postings(this.engine, blocksFor(opts.podCapacity ?? 1024), opts.rowCapacity);
    this.postings.addRow(); // ALL_ROW
  }

  /** Pod slots the bitsets can hold now (a multiple of 128). */
  get capacity(): number {
    return this.postings.stride * BLOCK_BITS;
  }

  /** Logical length of pod bitsets: one past the highest slot ever used. */
  get slotLimit(): number {
    return this.highWater;
  }

  get podCount(): number {
    return this.live;
  }

  get stride(): number {
    return this.postings.stride;
  }

  slotOf(uid: string): number | undefined {
    return this.slotByUid.get(uid);
  }

  podAt(slot: number): P | undefined {
    return this.pods[slot];
  }

  namespaceSlot(name: string): number | undefined {
    return this.nsByName.get(name)?.slot;
  }

  namespaceAt(slot: number): IndexedNamespace | undefined {
    const name = this.nsNames[slot];
    return name === undefined ? undefined : this.nsByName.get(name)?.record;
  }

  /** Slots of the live pods in a namespace. */
  podsInNamespace(name: string): number[] {
    return [...(this.nsByName.get(name)?.pods ?? [])];
  }

  /**
   * The posting row of a term, created on first use (filled from the live
   * pods and namespaces that carry it) and kept up to date from then on.
   */
  termRow(kind: TermKind, key: string, value = ''): number {
    if (kind === 'member') return this.nsEntry(key).memberRow;
    if (kind === 'pod' || kind === 'podKey') return this.podTermRow(kind, key, value);
    const name = kind + SEP + key + SEP + value;
    let row = this.terms.get(name);
    if (row === undefined) {
      this.engine.assertIdle('label index: new term');
      row = this.postings.addRow();
      this.terms.set(name, row);
      this.fillNamespaceTerm(row, kind, key, value);
    }
    return row;
  }

  private podTermRow(kind: 'pod' | 'podKey', key: string, value: string): number {
    const t = this.keyTerms(key);
    const v = kind === 'pod' ? this.valueTerm(t, value) : undefined;
    const known = v ? v.row : t.keyRow;
    if (known !== undefined) return known;
    this.engine.assertIdle('label index: new term');
    const p = this.postings;
    const row = p.addRow();
    if (v) {
      v.row = row;
      for (const s of v.slots) p.mark(row, s);
    } else {
      t.keyRow = row;
      for (const x of t.values.values()) for (const s of x.slots) p.mark(row, s);
    }
    return row;
  }

  private keyTerms(key: string): KeyTerms {
    let t = this.podTerms.get(key);
    if (t === undefined) this.podTerms.set(key, (t = { keyRow: undefined, values: new Map() }));
    return t;
  }

  private valueTerm(t: KeyTerms, value: string): ValueTerm {
    let v = t.values.get(value);
    if (v === undefined) t.values.set(value, (v = { row: undefined, slots: new Set() }));
    return v;
  }

  /** A pod gained a label value; withKey: the key is new to it too. */
  private addLabel(slot: number, key: string, value: string, withKey: boolean): void {
    const t = this.keyTerms(key);
    const v = this.valueTerm(t, value);
    v.slots.add(slot);
    if (v.row !== undefined) this.postings.set(v.row, slot);
    if (withKey && t.keyRow !== undefined) this.postings.set(t.keyRow, slot);
  }

  /** A pod lost a label value; withKey: it lost the key too. */
  private removeLabel(slot: number, key: string, value: string, withKey: boolean): void {
    const t = this.podTerms.get(key);
    if (t === undefined) return;
    const v = t.values.get(value);
    if (v !== undefined) {
      v.slots.delete(slot);
      if (v.row !== undefined) this.postings.clear(v.row, slot);
      // A value nobody selects leaves with its last pod (pod-template-hash values come and go).
      else if (v.slots.size === 0) t.values.delete(value);
    }
    if (withKey && t.keyRow !== undefined) this.postings.clear(t.keyRow, slot);
    if (t.keyRow === undefined && t.values.size === 0) this.podTerms.delete(key);
  }

  /**
   * Posting rows the last upsert/delete of a pod or namespace wrote (with
   * repeats): pass to SelectorSet.updateSlot(s) so only the selectors reading
   * them are re-evaluated. Valid until the next mutation.
   */
  get lastChangedRows(): readonly number[] {
    return this.postings.touched;
  }

  get termCount(): number {
    return this.postings.rows;
  }

  /** Adds a pod or replaces its labels (and namespace); returns its slot, which stays the pod's while it lives. */
  upsertPod(pod: P): number {
    this.engine.assertIdle('label index: upsertPod');
    this.postings.touched.length = 0;
    const p = this.postings;
    const known = this.slotByUid.get(pod.uid);
    if (known !== undefined) {
      const old = this.pods[known]!;
      this.pods[known] = pod;
      if (old.namespace !== pod.namespace) {
        this.leaveNamespace(known, old.namespace);
        this.joinNamespace(known, pod.namespace);
      }
      this.relabel(known, old.labels, pod.labels);
      return known;
    }
    const s = this.allocSlot();
    this.slotByUid.set(pod.uid, s);
    this.pods[s] = pod;
    this.live++;
    p.set(ALL_ROW, s);
    this.joinNamespace(s, pod.namespace);
    for (const k in pod.labels) this.addLabel(s, k, pod.labels[k]!, true);
    return s;
  }

  /** A pod-space bitset (e.g. a Service's selected pods) to probe selector results with; free() it after use. */
  bitsetOf(slots: Iterable<number>): Bitset {
    return Bitset.fromIndices(this.engine, this.capacity, slots);
  }

  private joinNamespace(slot: number, name: string): void {
    const ns = this.nsEntry(name);
    ns.pods.add(slot);
    this.postings.set(ns.memberRow, slot);
    for (const row of this.namespaceTermRows(ns)) this.postings.set(row, slot);
  }

  private leaveNamespace(slot: number, name: string): void {
    const ns = this.nsEntry(name);
    ns.pods.delete(slot);
    this.postings.clear(ns.memberRow, slot);
    for (const row of this.namespaceTermRows(ns)) this.postings.clear(row, slot);
  }

  /** Removes a pod; returns the slot it held (now free), or undefined if unknown. */
  deletePod(uid: string): number | undefined {
    this.engine.assertIdle('label index: deletePod');
    this.postings.touched.length = 0;
    const slot = this.slotByUid.get(uid);
    if (slot === undefined) return undefined;
    const pod = this.pods[slot]!;
    const p = this.postings;
    p.clear(ALL_ROW, slot);
    this.leaveNamespace(slot, pod.namespace);
    for (const k in pod.labels) this.removeLabel(slot, k, pod.labels[k]!, true);
    this.slotByUid.delete(uid);
    this.pods[slot] = undefined;
    this.freeSlots.push(slot);
    this.live--;
    return slot;
  }

  /** Adds a namespace or replaces its labels: its pods move between namespace-label postings. */
  upsertNamespace(ns: IndexedNamespace): number {
    this.engine.assertIdle('label index: upsertNamespace');
    this.postings.touched.length = 0;
    const e = this.nsEntry(ns.name);
    const before = this.namespaceTermRows(e);
    e.record = ns;
    const after = this.namespaceTermRows(e);
    const keep = new Set(after);
    for (const row of before) if (!keep.has(row)) this.postings.andNotInto(row, e.memberRow);
    const had = new Set(before);
    for (const row of after) if (!had.has(row)) this.postings.orInto(row, e.memberRow);
    return e.slot;
  }

  /** Forgets a namespace's labels (its pods, if any remain, match as in a namespace without labels). */
  deleteNamespace(name: string): void {
    this.engine.assertIdle('label index: deleteNamespace');
    this.postings.touched.length = 0;
    const e = this.nsByName.get(name);
    if (!e || !e.record) return;
    for (const row of this.namespaceTermRows(e)) this.postings.andNotInto(row, e.memberRow);
    e.record = undefined;
  }

  private relabel(slot: number, old: Labels, next: Labels): void {
    // Object.hasOwn: a label key may be named like an Object.prototype member.
    for (const k in old) {
      const v = Object.hasOwn(next, k) ? next[k] : undefined;
      if (v !== old[k]) this.removeLabel(slot, k, old[k]!, v === undefined);
    }
    for (const k in next) {
      const v = Object.hasOwn(old, k) ? old[k] : undefined;
      if (v !== next[k]) this.addLabel(slot, k, next[k]!, v === undefined);
    }
  }

  private allocSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const s = this.highWater++;
    if (s >= this.capacity) {
      this.postings.growStride(this.postings.stride * 2);
      this.epoch++;
    }
    return s;
  }

  private nsEntry(name: string): NsEntry {
    let e = this.nsByName.get(name);
    if (!e) {
      const slot = this.nsNames.length;
      this.nsNames.push(name);
      e = { slot, record: undefined, memberRow: this.postings.addRow(), pods: new Set() };
      this.nsByName.set(name, e);
    }
    return e;
  }

  /** Rows of the namespace-label terms that already exist for this namespace's labels. */
  private namespaceTermRows(e: NsEntry): number[] {
    const rows: number[] = [];
    const labels = e.record?.labels;
    if (!labels) return rows;
    for (const k in labels) {
      const r = this.terms.get('ns' + SEP + k + SEP + labels[k]!);
      if (r !== undefined) rows.push(r);
      const rk = this.terms.get('nsKey' + SEP + k + SEP);
      if (rk !== undefined) rows.push(rk);
    }
    return rows;
  }

  /** A namespace-label term seen for the first time: the union of its namespaces' members. */
  private fillNamespaceTerm(row: number, kind: 'ns' | 'nsKey', key: string, value: string): void {
    for (const e of this.nsByName.values()) {
      const labels = e.record?.labels;
      if (!labels || !Object.hasOwn(labels, key)) continue;
      if (kind === 'ns' && labels[key] !== value) continue;
      this.postings.orInto(row, e.memberRow);
    }
  }
}
