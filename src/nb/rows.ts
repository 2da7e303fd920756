/**
 * Typed NB rows for the tables ovnscale writes, in the native representation
 * of src/ovsdb/types.ts (OVN 23.03 schema): scalar columns as atoms, set and
 * optional columns as arrays, maps as plain objects, uuid references as text.
 * Only columns the schema has; all are optional because a desired row names
 * just the columns ovnscale owns.
 */
import type { OvsMap } from '../ovsdb/types.js';

export const NB_TABLES = [
  'Logical_Router',
  'Logical_Switch',
  'Load_Balancer',
  'Port_Group',
  'Address_Set',
  'Logical_Router_Port',
  'Logical_Switch_Port',
  'Logical_Router_Policy',
  'ACL',
] as const;
export type NbTable = (typeof NB_TABLES)[number];

/**
 * The columns the controller replicates per table: identity, reference sets
 * and every column a desired row owns (plan() compares exactly these; a
 * column written but not replicated would look different on every pass).
 * The rest (dynamic addresses, up, tags, QoS, ...) are not held, which keeps
 * a 575k-row NB cache a fraction of its full size. insertOnly columns are
 * written once and never compared, so they need not be here.
 */
export const NB_COLUMNS: Readonly<Record<NbTable, readonly string[]>> = {
  Logical_Router: ['name', 'ports', 'policies', 'external_ids'],
  Logical_Switch: ['name', 'ports', 'acls', 'load_balancer', 'external_ids'],
  Load_Balancer: ['name', 'protocol', 'vips', 'external_ids'],
  Port_Group: ['name', 'ports', 'acls', 'external_ids'],
  Address_Set: ['name', 'addresses', 'external_ids'],
  Logical_Router_Port: ['name', 'networks', 'external_ids'],
  // options: router ports' router-port, and the migration reconciler's requested-chassis.
  Logical_Switch_Port: ['name', 'type', 'addresses', 'options', 'external_ids'],
  Logical_Router_Policy: ['priority', 'match', 'action', 'nexthops', 'external_ids'],
  ACL: ['name', 'priority', 'direction', 'match', 'action', 'log', 'severity', 'options', 'external_ids'],
};

/** Root tables live on their own; the others exist only while a parent references them. */
export const ROOT_TABLES: ReadonlySet<NbTable> = new Set<NbTable>([
  'Logical_Router',
  'Logical_Switch',
  'Load_Balancer',
  'Port_Group',
  'Address_Set',
]);

export type LogicalRouterRow = {
  name?: string;
  ports?: string[];
  policies?: string[];
  static_routes?: string[];
  load_balancer?: string[];
  enabled?: boolean[];
  options?: OvsMap;
  external_ids?: OvsMap;
};

export type LogicalRouterPortRow = {
  name?: string;
  networks?: string[];
  mac?: string;
  peer?: string[];
  enabled?: boolean[];
  options?: OvsMap;
  external_ids?: OvsMap;
};

export type LogicalRouterPolicyRow = {
  priority?: number;
  match?: string;
  action?: 'allow' | 'drop' | 'reroute';
  nexthop?: string[];
  nexthops?: string[];
  options?: OvsMap;
  external_ids?: OvsMap;
};

export type LogicalSwitchRow = {
  name?: string;
  ports?: string[];
  acls?: string[];
  load_balancer?: string[];
  other_config?: OvsMap;
  external_ids?: OvsMap;
};

export type LogicalSwitchPortRow = {
  name?: string;
  type?: string;
  options?: OvsMap;
  addresses?: string[];
  port_security?: string[];
  enabled?: boolean[];
  external_ids?: OvsMap;
};

export type PortGroupRow = {
  name?: string;
  ports?: string[];
  acls?: string[];
  external_ids?: OvsMap;
};

export type AddressSetRow = {
  name?: string;
  addresses?: string[];
  external_ids?: OvsMap;
};

export type AclRow = {
  name?: string[];
  priority?: number;
  direction?: 'from-lport' | 'to-lport';
  match?: string;
  action?: 'allow' | 'allow-related' | 'allow-stateless' | 'drop' | 'reject';
  log?: boolean;
  severity?: string[];
  meter?: string[];
  label?: number;
  options?: OvsMap;
  external_ids?: OvsMap;
};

export type LoadBalancerRow = {
  name?: string;
  vips?: OvsMap;
  protocol?: ('tcp' | 'udp' | 'sctp')[];
  selection_fields?: string[];
  options?: OvsMap;
  external_ids?: OvsMap;
};

export interface RowByTable {
  Logical_Router: LogicalRouterRow;
  Logical_Router_Port: LogicalRouterPortRow;
  Logical_Router_Policy: LogicalRouterPolicyRow;
  Logical_Switch: LogicalSwitchRow;
  Logical_Switch_Port: LogicalSwitchPortRow;
  Port_Group: PortGroupRow;
  Address_Set: AddressSetRow;
  ACL: AclRow;
  Load_Balancer: LoadBalancerRow;
}
