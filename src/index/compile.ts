/**
 * Compiles a selector (SelectorSpec) into a program over posting rows.
 *
 * Program format: pairs of u32 (header, operand);
 *   header  = op | dst << 8 | srcIsRegister << 16
 *   op      = 1 LOAD, 2 AND, 3 OR, 4 ANDNOT, 5 CLEAR (dst = src / &= / |= / &= ~ / = {})
 *   operand = a posting row, or a register when srcIsRegister.
 * Register 0 is the result; the first step on every register is a LOAD (the
 * kernel does not clear registers between programs). A selector is an AND of terms: each positive term
 * is one row or (In with several values) an OR of rows built in register 1;
 * negative terms (NotIn, DoesNotExist) are ANDNOTed last. The positive term
 * holding the fewest blocks goes first so the rest visit fewer blocks.
 */
import type { LabelSelector } from '../k8s/records.js';
import { ALL_ROW, type LabelIndex, type TermKind } from './label-index.js';
import { checkRequirement, type SelectorSpec } from './selector-reference.js';

export const OP = { LOAD: 1, AND: 2, OR: 3, ANDNOT: 4, CLEAR: 5 } as const;
const SRC_REG = 1 << 16;

export interface Program {
  readonly steps: Uint32Array;
}

const step = (op: number, dst: number, operand: number, reg = false): [number, number] => [
  op | (dst << 8) | (reg ? SRC_REG : 0),
  operand,
];

interface Terms {
  /** Each entry is ORed rows; entries are ANDed. */
  positive: number[][];
  negative: number[];
}

function addSelector(index: LabelIndex, sel: LabelSelector, pod: boolean, where: string, t: Terms): void {
  const kv: TermKind = pod ? 'pod' : 'ns';
  const key: TermKind = pod ? 'podKey' : 'nsKey';
  const ml = sel.matchLabels ?? {};
  for (const k of Object.keys(ml)) t.positive.push([index.termRow(kv, k, ml[k]!)]);
  (sel.matchExpressions ?? []).forEach((r, i) => {
    const op = checkRequirement(r, `${where}.matchExpressions[${i}]`);
    const values = [...new Set(r.values ?? [])];
    switch (op) {
      case 'In':
        t.positive.push(values.map((v) => index.termRow(kv, r.key, v)));
        break;
      case 'NotIn':
        for (const v of values) t.negative.push(index.termRow(kv, r.key, v));
        break;
      case 'Exists':
        t.positive.push([index.termRow(key, r.key)]);
        break;
      case 'DoesNotExist':
        t.negative.push(index.termRow(key, r.key));
        break;
    }
  });
}

/** Compiles a selector; null (an absent selector) selects nothing. Throws SelectorError on invalid input. */
export function compileSelector(index: LabelIndex, spec: SelectorSpec | null): Program {
  if (spec === null) return { steps: Uint32Array.of(...step(OP.CLEAR, 0, 0)) };
  const t: Terms = { positive: [], negative: [] };
  if (spec.namespace !== undefined) t.positive.push([index.termRow('member', spec.namespace)]);
  if (spec.namespaceSelector) addSelector(index, spec.namespaceSelector, false, 'namespaceSelector', t);
  if (spec.podSelector) addSelector(index, spec.podSelector, true, 'podSelector', t);
  if (t.positive.length === 0) t.positive.push([ALL_ROW]);

  const p = index.postings;
  // Cost of a term: the blocks its rows may hold (an In group: all of its rows').
  const width = (rows: number[]): number => rows.reduce((n, r) => n + p.blocks(r), 0);
  const ordered = t.positive.map((rows) => ({ rows, w: width(rows) })).sort((a, b) => a.w - b.w);

  const out: number[] = [];
  ordered.forEach(({ rows }, i) => {
    if (i === 0) {
      out.push(...step(OP.LOAD, 0, rows[0]!));
      for (const r of rows.slice(1)) out.push(...step(OP.OR, 0, r));
    } else if (rows.length === 1) {
      out.push(...step(OP.AND, 0, rows[0]!));
    } else {
      out.push(...step(OP.LOAD, 1, rows[0]!));
      for (const r of rows.slice(1)) out.push(...step(OP.OR, 1, r));
      out.push(...step(OP.AND, 0, 1, true));
    }
  });
  for (const r of t.negative) out.push(...step(OP.ANDNOT, 0, r));
  return { steps: Uint32Array.from(out) };
}
