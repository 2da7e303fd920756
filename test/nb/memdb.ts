/**
 * A small in-memory NB for plan tests: applies Operation[] with OVSDB's
 * reference rules for the tables we write (named-uuids, strong references
 * garbage-collect non-root rows, weak references drop deleted rows), so a
 * test can plan → apply → plan again and expect nothing.
 */
import { randomUUID } from 'node:crypto';
import type { ExistingRows } from '../../src/nb/plan.js';
import { NB_TABLES, ROOT_TABLES, type NbTable } from '../../src/nb/rows.js';
import type { Operation, Row, Value } from '../../src/ovsdb/types.js';

const REF_COLUMNS: Record<string, string[]> = {
  Logical_Router: ['ports', 'policies'],
  Logical_Switch: ['ports', 'acls', 'load_balancer'],
  Port_Group: ['ports', 'acls'],
};
const STRONG: [NbTable, string][] = [
  ['Logical_Router', 'ports'],
  ['Logical_Router', 'policies'],
  ['Logical_Switch', 'ports'],
  ['Logical_Switch', 'acls'],
  ['Port_Group', 'acls'],
];

export class MemDb {
  readonly tables = new Map<NbTable, Map<string, Row>>(NB_TABLES.map((t) => [t, new Map()]));

  /**
   * `strict`: a transaction naming a row that does not exist when it commits
   * fails, as OVSDB fails it for strong references (and would quietly drop a
   * weak one), so a test sees every reference made too early. Rows the
   * transaction deletes may still be named (weak references to them drop).
   */
  constructor(private readonly strict = false) {}

  snapshot(): ExistingRows {
    const out: ExistingRows = {};
    for (const [t, m] of this.tables) out[t] = [...m.values()].map((r) => structuredClone(r));
    return out;
  }

  add(table: NbTable, row: Omit<Row, '_uuid'>, uuid: string = randomUUID()): string {
    this.tables.get(table)!.set(uuid, { ...structuredClone(row), _uuid: uuid } as Row);
    return uuid;
  }

  apply(ops: readonly Operation[]): void {
    const names = new Map<string, string>();
    const deleted = new Set<string>();
    for (const op of ops) if (op.op === 'insert' && op.uuidName) names.set(op.uuidName, randomUUID());
    const resolve = (v: Value): Value => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' && names.has(x) ? names.get(x)! : x)) : typeof v === 'string' && names.has(v) ? names.get(v)! : v);
    const target = (table: string, where: readonly (readonly [string, string, Value])[]): Row => {
      const [col, fn, val] = where[0]!;
      if (col !== '_uuid' || fn !== '==') throw new Error('memdb supports where _uuid == x only');
      const row = this.tables.get(table as NbTable)!.get(String(resolve(val)));
      if (!row) throw new Error(`no row ${String(val)} in ${table}`);
      return row;
    };
    for (const op of ops) {
      switch (op.op) {
        case 'insert': {
          const uuid = op.uuid ?? (op.uuidName ? names.get(op.uuidName)! : randomUUID());
          if (this.has(uuid)) throw new Error(`duplicate uuid ${uuid}`);
          const row: Row = { _uuid: uuid };
          for (const [c, v] of Object.entries(op.row)) row[c] = REF_COLUMNS[op.table]?.includes(c) ? resolve(v) : structuredClone(v);
          this.tables.get(op.table as NbTable)!.set(uuid, row);
          break;
        }
        case 'update': {
          const row = target(op.table, op.where);
          for (const [c, v] of Object.entries(op.row)) row[c] = structuredClone(v);
          break;
        }
        case 'mutate': {
          const row = target(op.table, op.where);
          for (const [c, m, v] of op.mutations) {
            const cur = new Set((row[c] as string[] | undefined) ?? []);
            for (const x of resolve(v) as string[]) {
              if (m === 'insert') cur.add(x);
              else if (m === 'delete') cur.delete(x);
              else throw new Error(`memdb: mutator ${m}`);
            }
            row[c] = [...cur];
          }
          break;
        }
        case 'delete': {
          const row = target(op.table, op.where);
          this.tables.get(op.table as NbTable)!.delete(row._uuid);
          deleted.add(row._uuid);
          break;
        }
        default:
          throw new Error(`memdb: op ${op.op}`);
      }
    }
    if (this.strict) this.checkRefs(deleted);
    this.collect();
  }

  private has(uuid: string): boolean {
    return NB_TABLES.some((t) => this.tables.get(t)!.has(uuid));
  }

  private checkRefs(deleted: ReadonlySet<string>): void {
    for (const [t, cols] of Object.entries(REF_COLUMNS)) {
      for (const r of this.tables.get(t as NbTable)!.values()) {
        for (const c of cols) for (const u of (r[c] as string[] | undefined) ?? []) if (!deleted.has(u) && !this.has(u)) throw new Error(`${t} ${r._uuid} ${c} names ${u}, which does not exist`);
      }
    }
  }

  private collect(): void {
    for (;;) {
      const referenced = new Set<string>();
      for (const [t, c] of STRONG) for (const r of this.tables.get(t)!.values()) for (const u of (r[c] as string[] | undefined) ?? []) referenced.add(u);
      let removed = 0;
      for (const t of NB_TABLES) {
        if (ROOT_TABLES.has(t)) continue;
        for (const u of [...this.tables.get(t)!.keys()]) {
          if (!referenced.has(u)) {
            this.tables.get(t)!.delete(u);
            removed++;
          }
        }
      }
      for (const [t, cols] of Object.entries(REF_COLUMNS)) {
        for (const r of this.tables.get(t as NbTable)!.values()) {
          for (const c of cols) if (Array.isArray(r[c])) r[c] = (r[c] as string[]).filter((u) => this.has(u));
        }
      }
      if (removed === 0) return;
    }
  }

  rows(table: NbTable): Row[] {
    return [...this.tables.get(table)!.values()];
  }

  byName(table: NbTable, name: string): Row | undefined {
    return this.rows(table).find((r) => r['name'] === name);
  }
}
