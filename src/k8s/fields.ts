/**
 * Typed reads of untrusted JSON for the trimming functions: every bad field
 * becomes a RecordError naming the object and the field path; nothing else
 * is thrown. Also the intern pools that let 150k records share their
 * repeated strings and label maps.
 */
import type { Labels } from './records.js';

export class RecordError extends Error {
  override name = 'RecordError';

  constructor(
    /** "Pod ns/name" */
    readonly object: string,
    /** "spec.containers[0].ports[1].containerPort" */
    readonly field: string,
    detail: string,
  ) {
    super(`${object}: ${field}: ${detail}`);
  }
}

export type Raw = Record<string, unknown>;

export const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

const describe = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Reads fields of one object, naming it in any error. */
export class Reader {
  constructor(readonly object: string) {}

  fail(field: string, detail: string): never {
    throw new RecordError(this.object, field, detail);
  }

  obj(v: unknown, field: string): Raw | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isRaw(v)) this.fail(field, `expected an object, got ${describe(v)}`);
    return v;
  }

  arr(v: unknown, field: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(field, `expected a list, got ${describe(v)}`);
    return v;
  }

  str(v: unknown, field: string, dflt = ''): string {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'string') this.fail(field, `expected a string, got ${describe(v)}`);
    return v;
  }

  required(v: unknown, field: string): string {
    const s = this.str(v, field);
    if (s === '') this.fail(field, 'required');
    return s;
  }

  bool(v: unknown, field: string, dflt = false): boolean {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') this.fail(field, `expected a boolean, got ${describe(v)}`);
    return v;
  }

  int(v: unknown, field: string, min: number, max: number, dflt?: number): number {
    if ((v === undefined || v === null) && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(field, `expected an integer in ${min}..${max}, got ${describe(v)}`);
    return v;
  }

  /** An int-or-string (ports): numbers in 1..65535, or a non-empty name. */
  port(v: unknown, field: string): number | string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' && v !== '') return /^\d+$/.test(v) ? this.int(Number(v), field, 1, 65535) : v;
    return this.int(v, field, 1, 65535);
  }

  oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], dflt: T): T {
    const s = this.str(v, field, dflt);
    if (!(allowed as readonly string[]).includes(s)) this.fail(field, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
    return s as T;
  }

  strings(v: unknown, field: string): string[] {
    return this.arr(v, field).map((x, i) => intern(this.str(x, `${field}[${i}]`)));
  }

  labels(v: unknown, field: string, keep?: (key: string) => boolean): Labels {
    const o = this.obj(v, field);
    if (!o) return EMPTY_LABELS;
    const out: Record<string, string> = {};
    let any = false;
    for (const [k, val] of Object.entries(o)) {
      if (keep && !keep(k)) continue;
      const value = this.str(val, `${field}[${k}]`);
      // Per-object values (addresses) are not worth a pool entry; the rest (cidr, gateway, switch, flags) repeat.
      out[intern(k)] = keep && /(ip_address|mac_address)$/.test(k) ? value : intern(value);
      any = true;
    }
    if (!any) return EMPTY_LABELS;
    // Label sets repeat across an app's pods and are shared; annotation sets carry per-pod values (IPs, MACs) and are not.
    return keep ? Object.freeze(out) : internLabels(out);
  }
}

export const EMPTY_LABELS: Labels = Object.freeze({});

/**
 * Pools are bounded: past the cap they are cleared, which only costs sharing
 * for later arrivals (a cluster with endless label churn must not grow them
 * forever).
 */
const POOL_CAP = 500_000;
const strings = new Map<string, string>();
const labelSets = new Map<string, Labels>();

export function intern(s: string): string {
  if (s.length > 128) return s;
  const hit = strings.get(s);
  if (hit !== undefined) return hit;
  if (strings.size >= POOL_CAP) strings.clear();
  strings.set(s, s);
  return s;
}

export function internLabels(l: Record<string, string>): Labels {
  let id = '';
  for (const k in l) id += `${k}\u0000${l[k]}\u0001`;
  const hit = labelSets.get(id);
  if (hit) return hit;
  if (labelSets.size >= POOL_CAP) labelSets.clear();
  const frozen: Labels = Object.freeze(Object.fromEntries(Object.entries(l).map(([k, v]) => [intern(k), intern(v)])));
  labelSets.set(id, frozen);
  return frozen;
}

/** Freezes and shares lists that are usually alike (container ports, service ports). */
const lists = new Map<string, readonly unknown[]>();
export function internList<T>(items: T[]): T[] {
  if (items.length === 0) return EMPTY_LIST as unknown as T[];
  const id = JSON.stringify(items);
  const hit = lists.get(id);
  if (hit) return hit as T[];
  if (lists.size >= POOL_CAP) lists.clear();
  Object.freeze(items);
  lists.set(id, items);
  return items;
}

const EMPTY_LIST: readonly never[] = Object.freeze([]);
