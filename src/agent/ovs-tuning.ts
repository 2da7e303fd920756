import type { Operation, Row, Value } from '../ovsdb/types.js';

/**
 * What the agent sets on the local Open_vSwitch row, and the smallest
 * operations that get it there. Only the keys we own are written, with map
 * mutations, so keys set by others (ovn-controller, operators) are kept; a
 * row that already holds these values yields no operation at all.
 */
export interface TuningOptions {
  cpus: number;
  hostname: string;
  ovnRemote: string;
  encapType: string;
  encapIp: string;
  remoteProbeIntervalMs: number;
  openflowProbeIntervalS: number;
}

export interface DesiredTuning {
  other_config: Record<string, string>;
  external_ids: Record<string, string>;
}

export function desiredTuning(o: TuningOptions): DesiredTuning {
  // Beyond 12 CPUs ovs-vswitchd's default thread counts cost RSS for no
  // throughput (Red Hat bugs 1571379, 1572797); Kube-OVN caps them the same way.
  const other_config: Record<string, string> =
    o.cpus > 12 ? { 'n-revalidator-threads': '4', 'n-handler-threads': '10' } : {};
  const external_ids: Record<string, string> = {
    'ovn-remote': o.ovnRemote,
    'ovn-remote-probe-interval': String(o.remoteProbeIntervalMs),
    'ovn-openflow-probe-interval': String(o.openflowProbeIntervalS),
    'ovn-encap-type': o.encapType,
    'ovn-encap-ip': o.encapIp,
    hostname: o.hostname,
  };
  return { other_config, external_ids };
}

function asStringMap(v: Value | undefined): Record<string, string> {
  if (v === undefined || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

/** Keys whose value differs from the wanted one. */
export function tuningChanges(current: Row, want: DesiredTuning): { column: keyof DesiredTuning; changed: Record<string, string> }[] {
  const out: { column: keyof DesiredTuning; changed: Record<string, string> }[] = [];
  for (const column of ['other_config', 'external_ids'] as const) {
    const have = asStringMap(current[column]);
    const changed = Object.fromEntries(Object.entries(want[column]).filter(([k, v]) => have[k] !== v));
    if (Object.keys(changed).length) out.push({ column, changed });
  }
  return out;
}

/** One mutate for the whole change: delete the stale keys, then insert the new values. */
export function tuningOperations(current: Row, want: DesiredTuning): Operation[] {
  const changes = tuningChanges(current, want);
  if (!changes.length) return [];
  const mutations = changes.flatMap(({ column, changed }) => [
    [column, 'delete', Object.keys(changed)] as const,
    [column, 'insert', changed] as const,
  ]);
  return [{ op: 'mutate', table: 'Open_vSwitch', where: [['_uuid', '==', current._uuid]], mutations }];
}
