/** Equality of native column values: sets unordered, maps per key. */
import { sameMap } from './map-lineage.js';
import type { Value } from './types.js';

/** The same elements in the same order (a set held as one array, not compared as a set). */
export function sameElements(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    if (i === a.length) return true;
    // Sets usually come in the same (sorted) order; otherwise compare as sets.
    const s = new Set(a);
    return s.size === new Set(b).size && b.every((x) => s.has(x));
  }
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  return sameMap(a, b);
}
