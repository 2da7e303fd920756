import type { DatabaseCache, MonitorTable } from '../../ovsdb/index.js';
import type { Row } from '../../ovsdb/types.js';

/** The Southbound tables and columns the migration check replicates. */
export const SB_MONITOR: Readonly<Record<string, MonitorTable>> = {
  Port_Binding: { columns: ['logical_port', 'requested_chassis', 'requested_additional_chassis', 'chassis', 'additional_chassis'] },
  Chassis: { columns: ['name', 'hostname'] },
};

const refs = (v: Row[string]): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/** A chassis named as requested-chassis does: by name or by hostname, as ovn-northd resolves it. */
function chassisUuid(sb: DatabaseCache, nameOrHost: string): string | undefined {
  const t = sb.table('Chassis');
  return (t.findOne('name', nameOrHost) ?? t.find('hostname', nameOrHost)[0])?._uuid;
}

/**
 * True when ovn-northd has turned the port's requested-chassis into the
 * Port_Binding's requested_chassis / requested_additional_chassis: the point
 * from which ovn-controller on each chassis acts on it.
 */
export function bindingShows(sb: DatabaseCache, lsp: string, want: { main: string; additional: string[] }): boolean {
  const pb = sb.table('Port_Binding').findOne('logical_port', lsp);
  if (!pb) return false;
  const main = chassisUuid(sb, want.main);
  if (!main || refs(pb.requested_chassis)[0] !== main) return false;
  const extra = new Set(refs(pb.requested_additional_chassis));
  if (extra.size !== want.additional.length) return false;
  return want.additional.every((c) => {
    const u = chassisUuid(sb, c);
    return u !== undefined && extra.has(u);
  });
}
