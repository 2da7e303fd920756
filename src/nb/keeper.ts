/** Which of the existing rows under one identity a plan keeps; the others are duplicates to remove. */
import type { Row } from '../ovsdb/types.js';
import { satisfies } from './compare.js';
import type { DesiredRow } from './desired.js';

function differs(d: DesiredRow, row: Row): boolean {
  for (const c in d.row) if (!satisfies(c, d.row[c]!, row[c])) return true;
  return false;
}

/** The kept row of an identity: ours, the one already as desired (else the lowest uuid); the other ours are duplicates. */
export function pickKeeper(d: DesiredRow, ours: readonly Row[]): { keeper: Row; duplicates: Row[] } {
  if (ours.length === 1) return { keeper: ours[0]!, duplicates: [] };
  const sorted = [...ours].sort((a, b) => (a._uuid < b._uuid ? -1 : 1));
  const keeper = sorted.find((r) => !differs(d, r)) ?? sorted[0]!;
  return { keeper, duplicates: sorted.filter((r) => r !== keeper) };
}
