/**
 * Column comparison in the native representation: sets are unordered, maps
 * compare per key. Columns in MERGE_COLUMNS are shared with other writers
 * (Kube-OVN keeps its own keys in external_ids and options): only the keys we
 * set are compared, and an update keeps the others.
 */
import { differingKeys } from '../ovsdb/map-lineage.js';
import type { OvsMap, Value } from '../ovsdb/types.js';

export const MERGE_COLUMNS: ReadonlySet<string> = new Set(['external_ids', 'options', 'other_config']);

export function isMap(v: Value | undefined): v is OvsMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  // Both sides are usually in the same (sorted) order: ovsdb-server keeps sets sorted, desired sets are sorted.
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (i === a.length) return true;
  const s = new Set(b);
  if (s.size !== b.length) return false;
  for (const x of a) if (!s.has(x)) return false;
  return true;
}

/** Whether the NB value already satisfies the desired one. */
export function satisfies(column: string, desired: Value, actual: Value | undefined): boolean {
  if (Array.isArray(desired)) {
    const act = actual === undefined ? [] : Array.isArray(actual) ? actual : [actual];
    return sameSet(desired, act);
  }
  if (isMap(desired)) {
    const act: OvsMap = isMap(actual) ? actual : {};
    if (!MERGE_COLUMNS.has(column)) return differingKeys(desired, act).length === 0;
    for (const k in desired) if (act[k] !== desired[k]) return false;
    return true;
  }
  // A scalar read back from an optional column arrives as a one-element set.
  if (Array.isArray(actual)) return actual.length === 1 && actual[0] === desired;
  return actual === desired;
}

/** The value to write for a column that differs. */
export function valueToWrite(column: string, desired: Value, actual: Value | undefined): Value {
  if (MERGE_COLUMNS.has(column) && isMap(desired) && isMap(actual)) return { ...actual, ...desired };
  return desired;
}
