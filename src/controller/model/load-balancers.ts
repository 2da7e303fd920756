/**
 * The cluster load balancers' vips, kept per Service: a Service or
 * EndpointSlice event recomputes that Service's VIPs and copies only the vips
 * map of a load balancer it changes (the other rows stay the same objects,
 * so the desired state sees them unchanged without comparing 10k entries),
 * and records the copy's lineage, so later comparisons read only the vips
 * it wrote.
 */
import type { EndpointSliceRecord, ServiceRecord } from '../../k8s/records.js';
import { recordKey } from '../../k8s/resources.js';
import type { DesiredRow } from '../../nb/desired.js';
import { copyMap, recordDerived } from '../../ovsdb/map-lineage.js';
import type { OvsMap } from '../../ovsdb/types.js';
import type { ClusterConfig } from '../desired/common.js';
import { loadBalancerRows, serviceKeyOf, serviceVips, sliceServiceKey, type ServiceVip } from '../desired/services.js';
import type { ValidationError } from '../validation.js';

export class LoadBalancerTable {
  private readonly services = new Map<string, ServiceRecord>();
  private readonly slices = new Map<string, Map<string, EndpointSliceRecord>>();
  private readonly sliceOwner = new Map<string, string>();
  private readonly vipsOf = new Map<string, ServiceVip[]>();
  private readonly errorsOf = new Map<string, ValidationError[]>();
  /** Load balancer → vip → backends, and which Service holds each vip. */
  private readonly vips = new Map<string, OvsMap>();
  private readonly holder = new Map<string, string>();
  /** The rows of the current vips (undefined: a map was replaced since) and the rows last handed out. */
  private rowsCache: DesiredRow[] | undefined;
  private lastRows: DesiredRow[] | undefined;

  constructor(private readonly cfg: ClusterConfig) {}

  errors(): ValidationError[] {
    const out: ValidationError[] = [];
    for (const l of this.errorsOf.values()) for (const e of l) out.push(e);
    return out;
  }

  /** The six load balancer rows; unchanged ones are the objects returned last time. */
  rows(): DesiredRow[] {
    if (this.rowsCache) return this.rowsCache;
    const fresh = loadBalancerRows(this.vips, this.cfg);
    const prev = this.lastRows;
    // Keep the previous object of a row whose vips map was not replaced.
    this.rowsCache = fresh.map((r, i) => (prev && prev[i]!.row['vips'] === r.row['vips'] ? prev[i]! : r));
    this.lastRows = this.rowsCache;
    return this.rowsCache;
  }

  setService(key: string, svc: ServiceRecord | undefined): void {
    if (svc) this.services.set(key, svc);
    else this.services.delete(key);
    this.recompute(key);
  }

  setSlice(key: string, slice: EndpointSliceRecord | undefined): void {
    const before = this.sliceOwner.get(key);
    if (before !== undefined) {
      this.slices.get(before)?.delete(key);
      this.sliceOwner.delete(key);
    }
    const after = slice ? this.link(key, slice) : undefined;
    if (before !== undefined && before !== after) this.recompute(before);
    if (after !== undefined) this.recompute(after);
  }

  /** Files a slice under its Service; returns that Service's key. */
  private link(key: string, slice: EndpointSliceRecord): string {
    const svc = sliceServiceKey(slice);
    let m = this.slices.get(svc);
    if (!m) this.slices.set(svc, (m = new Map()));
    m.set(key, slice);
    this.sliceOwner.set(key, svc);
    return svc;
  }

  /** Recomputes one Service's VIPs; `inPlace` (a reset, on fresh maps) skips the copy-on-write. */
  private recompute(key: string, inPlace = false): void {
    const svc = this.services.get(key);
    const r = svc ? serviceVips(svc, this.slices.get(key)?.values() ?? []) : { vips: [], errors: [] };
    if (r.errors.length) this.errorsOf.set(key, r.errors);
    else this.errorsOf.delete(key);
    // Per copied map: its parent, the parent's size and the vips written, for the lineage.
    const copied = new Map<string, { parent: OvsMap; size: number; keys: string[] }>();
    const writable = (lb: string, vip: string): OvsMap => {
      let m = this.vips.get(lb);
      if (!m || (!inPlace && !copied.has(lb))) {
        const parent = m ?? {};
        const { copy, size } = copyMap(parent);
        copied.set(lb, { parent, size, keys: [] });
        this.vips.set(lb, (m = copy));
        this.rowsCache = undefined;
      }
      copied.get(lb)?.keys.push(vip);
      return m;
    };
    const id = (v: ServiceVip) => `${v.lb}\u0000${v.vip}`;
    const next = new Set(r.vips.map(id));
    for (const v of this.vipsOf.get(key) ?? []) {
      const k = id(v);
      // A VIP now held by another Service (a ClusterIP reused) is theirs.
      if (next.has(k) || this.holder.get(k) !== key) continue;
      this.holder.delete(k);
      delete writable(v.lb, v.vip)[v.vip];
    }
    for (const v of r.vips) {
      const k = id(v);
      if (this.holder.get(k) === key && this.vips.get(v.lb)?.[v.vip] === v.backends) continue;
      this.holder.set(k, key);
      writable(v.lb, v.vip)[v.vip] = v.backends;
    }
    if (r.vips.length) this.vipsOf.set(key, r.vips);
    else this.vipsOf.delete(key);
    for (const [lb, c] of copied) recordDerived(this.vips.get(lb)!, c.parent, c.size, c.keys);
  }

  /** Everything from scratch. */
  reset(services: Iterable<ServiceRecord>, slices: Iterable<EndpointSliceRecord>): void {
    this.services.clear();
    this.slices.clear();
    this.sliceOwner.clear();
    this.vipsOf.clear();
    this.errorsOf.clear();
    this.vips.clear();
    this.holder.clear();
    this.rowsCache = undefined;
    for (const s of slices) this.link(recordKey(s), s);
    for (const svc of services) {
      const key = serviceKeyOf(svc);
      this.services.set(key, svc);
      this.recompute(key, true);
    }
  }
}
