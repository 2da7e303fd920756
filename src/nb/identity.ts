/**
 * Stable identities of NB rows, the same way Kube-OVN finds its rows:
 * by name for named tables, by router+priority+match for router policies
 * (AddLogicalRouterPolicy) and by parent+direction+priority+match for ACLs
 * (GetACL). Desired rows and existing rows get their keys from here, so the
 * plan can match them.
 */
import type { Row, RowData } from '../ovsdb/types.js';
import { flat } from '../util/flat-string.js';
import type { NbTable } from './rows.js';

export function policyKey(router: string, priority: number, match: string): string {
  return flat(`${router}|${priority}|${match}`);
}

export function aclKey(parentTable: NbTable, parent: string, direction: string, priority: number, match: string): string {
  return flat(`${parentTable}:${parent}|${direction}|${priority}|${match}`);
}

/** Which parent column holds each non-root table's rows. */
export const CHILD_COLUMNS: readonly { parent: NbTable; column: string; child: NbTable }[] = [
  { parent: 'Logical_Router', column: 'ports', child: 'Logical_Router_Port' },
  { parent: 'Logical_Router', column: 'policies', child: 'Logical_Router_Policy' },
  { parent: 'Logical_Switch', column: 'ports', child: 'Logical_Switch_Port' },
  { parent: 'Logical_Switch', column: 'acls', child: 'ACL' },
  { parent: 'Port_Group', column: 'acls', child: 'ACL' },
];

export interface ParentOf {
  table: NbTable;
  uuid: string;
  name: string;
  column: string;
}

/** Identity of a row (existing or desired); undefined when a child has no known parent. */
export function identityOf(table: NbTable, row: Row | RowData, parent?: { table: NbTable; name: string }): string | undefined {
  switch (table) {
    case 'Logical_Router_Policy':
      return parent ? policyKey(parent.name, Number(row['priority']), String(row['match'])) : undefined;
    case 'ACL':
      return parent
        ? aclKey(parent.table, parent.name, String(row['direction']), Number(row['priority']), String(row['match']))
        : undefined;
    default:
      return typeof row['name'] === 'string' ? row['name'] : undefined;
  }
}

/** Identity of a cache row; undefined for a child row no parent holds. */
export function existingIdentity(table: NbTable, row: Row, parent: ParentOf | undefined): string | undefined {
  if (parent) return identityOf(table, row, parent);
  return table === 'ACL' || table === 'Logical_Router_Policy' ? undefined : identityOf(table, row);
}
