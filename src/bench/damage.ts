/**
 * "Rows removed behind the controller's back": a share of the rows of the
 * tables ovnscale writes, removed with plain transactions through our OVSDB
 * client. A root-table row is deleted; a child row is unlinked from the
 * parent set that holds it, and ovsdb-server garbage-collects it, as
 * `ovn-nbctl lsp-del` / `lr-policy-del` / `acl-del` do.
 */
import { chunkOperations, connect } from '../ovsdb/index.js';
import type { Operation, Row } from '../ovsdb/types.js';
import { NB_TABLES } from '../nb/rows.js';

export interface Damage {
  /** Rows removed, by table. */
  removed: Record<string, number>;
  total: number;
  /** Rows in those tables before. */
  rowsBefore: number;
}

const KEEP = new Set(['Logical_Switch', 'Logical_Router']);

const uuidsOf = (v: unknown): string[] => (Array.isArray(v) ? (v as unknown[]).map(String) : v ? [String(v)] : []);

/** Removes every `1/share`-th row (by uuid order) of each NB table the controller writes, switches and routers aside. */
export async function removeShare(remote: string, share: number): Promise<Damage> {
  const client = await connect({ remotes: remote, database: 'OVN_Northbound' });
  try {
    const schema = client.schema;
    const tables = NB_TABLES.filter((t) => schema.tables.has(t));
    const childColumns = (t: string): string[] =>
      [...schema.tables.get(t)!.columns].filter(([, cs]) => cs.key.refTable && cs.key.refType !== 'weak' && !schema.tables.get(cs.key.refTable)?.isRoot).map(([c]) => c);
    const selects: Operation[] = tables.map((t) => ({ op: 'select', table: t, where: [], columns: ['_uuid', ...childColumns(t)] }));
    const results = await client.transact(selects, { timeoutMs: 600_000 });
    const rows = new Map<string, Row[]>(tables.map((t, i) => [t, results[i]?.rows ?? []]));
    // Who holds each child row in a strong reference: (parent table, parent uuid, column).
    const holder = new Map<string, { table: string; uuid: string; column: string }>();
    for (const [t, list] of rows) {
      for (const column of childColumns(t)) {
        for (const r of list) for (const u of uuidsOf(r[column])) holder.set(u, { table: t, uuid: String(r._uuid), column });
      }
    }
    const ops: Operation[] = [];
    const removed: Record<string, number> = {};
    let rowsBefore = 0;
    const every = Math.max(1, Math.round(1 / share));
    for (const [t, list] of rows) {
      // Removing a switch or the router would take thousands of children with it.
      if (KEEP.has(t)) continue;
      rowsBefore += list.length;
      const root = schema.tables.get(t)!.isRoot;
      const sorted = list.map((r) => String(r._uuid)).sort();
      for (let i = every - 1; i < sorted.length; i += every) {
        const uuid = sorted[i]!;
        if (root) ops.push({ op: 'delete', table: t, where: [['_uuid', '==', uuid]] });
        else {
          const h = holder.get(uuid);
          if (!h) continue;
          ops.push({ op: 'mutate', table: h.table, where: [['_uuid', '==', h.uuid]], mutations: [[h.column, 'delete', [uuid]]] });
        }
        removed[t] = (removed[t] ?? 0) + 1;
      }
    }
    for (const chunk of chunkOperations(ops, 1000)) await client.transact(chunk, { timeoutMs: 600_000 });
    return { removed, total: ops.length, rowsBefore };
  } finally {
    await client.close();
  }
}
