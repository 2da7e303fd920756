/** A set of NB identities per table: what one scoped plan reads and writes. */
import { DesiredState, type DesiredSource } from './desired.js';
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

/** The desired rows of a scope's identities (those still desired), for a scoped plan. */
export function desiredIn(scope: Scope, source: DesiredSource): DesiredState {
  const d = new DesiredState();
  for (const [table, keys] of scope) {
    for (const key of keys) {
      const row = source.get(table, key);
      if (row) d.add(row);
    }
  }
  return d;
}
