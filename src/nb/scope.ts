/** A set of NB identities per table: what one scoped plan reads and writes. */
import type { DesiredSource } from './desired.js';
import type { NbTable } from './rows.js';

export type Scope = Map<NbTable, Set<string>>;

export function addToScope(scope: Scope, table: NbTable, key: string): void {
  let s = scope.get(table);
  if (!s) scope.set(table, (s = new Set()));
  s.add(key);
}

export function scopeSize(scope: Scope): number {
  let n = 0;
  for (const s of scope.values()) n += s.size;
  return n;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/** The desired rows of a scope's identities (those still desired), for a scoped plan: a view, not a copy (a bulk round's scope holds hundreds of thousands). */
export function desiredIn(scope: Scope, source: DesiredSource): DesiredSource {
  return {
    *rows(table) {
      for (const key of scope.get(table) ?? NO_KEYS) {
        const row = source.get(table, key);
        if (row) yield [key, row] as const;
      }
    },
    get: (table, key) => (scope.get(table)?.has(key) ? source.get(table, key) : undefined),
    // One row per identity: a scope adds no conflicts of its own.
    conflicts: [],
  };
}
