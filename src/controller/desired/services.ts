/**
 * Services: VIPs `<clusterIP>:<port>` → ready IPv4 endpoints of the Service's
 * EndpointSlices, port mapped by port name (Kube-OVN getEndpointBackend), in
 * cluster-tcp/udp/sctp-loadbalancer, or the -session- ones (selection by
 * source IP, affinity timeout) for sessionAffinity ClientIP. The six load
 * balancers always exist, as Kube-OVN creates them, so subnet switches can
 * reference them.
 */
import type { EndpointSliceRecord, ServiceRecord } from '../../k8s/records.js';
import { recordKey } from '../../k8s/resources.js';
import type { DesiredRow } from '../../nb/desired.js';
import type { OvsMap } from '../../ovsdb/types.js';
import { clusterLoadBalancerName, SESSION_AFFINITY_TIMEOUT } from '../../nb/naming.js';
import { parseIPv4 } from '../ipam/ipv4.js';
import { invalid, type ValidationError } from '../validation.js';
import { type ClusterConfig, type DesiredOutput, vendorIds } from './common.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** One VIP of a Service in the load balancer it belongs to. */
export interface ServiceVip {
  lb: string;
  /** `<clusterIP>:<port>` */
  vip: string;
  /** `<ip>:<port>,...` sorted (empty: no ready endpoint). */
  backends: string;
}

/** A Service's VIPs from its EndpointSlices; a malformed ClusterIP is an error and the Service gets none. */
export function serviceVips(svc: ServiceRecord, slices: Iterable<EndpointSliceRecord>): { vips: ServiceVip[]; errors: ValidationError[] } {
  if (svc.deleting || svc.type === 'ExternalName') return { vips: [], errors: [] };
  const ips = svc.clusterIPs.filter((ip) => ip !== '' && ip !== 'None');
  const bad = ips.find((ip) => !ip.includes(':') && parseIPv4(ip) === undefined);
  if (bad !== undefined) return { vips: [], errors: [invalid('Service', svc, 'spec.clusterIPs', 'invalid-ip', `'${bad.slice(0, 80)}' is not an IP address`)] };
  const v4 = ips.filter((ip) => parseIPv4(ip) !== undefined);
  if (v4.length === 0) return { vips: [], errors: [] };
  const mine = [...slices].filter((s) => !s.deleting && s.addressType === 'IPv4');
  const vips: ServiceVip[] = [];
  for (const port of svc.ports) {
    const backends = new Set<string>();
    for (const sl of mine) {
      const target = sl.ports.find((p) => (p.name ?? '') === (port.name ?? ''))?.port;
      if (!target) continue;
      for (const ep of sl.endpoints) {
        if (!ep.ready) continue;
        for (const addr of ep.addresses) if (parseIPv4(addr) !== undefined) backends.add(`${addr}:${target}`);
      }
    }
    const value = [...backends].sort().join(',');
    const lb = clusterLoadBalancerName(port.protocol, svc.sessionAffinity === 'ClientIP');
    for (const ip of v4) vips.push({ lb, vip: `${ip}:${port.port}`, backends: value });
  }
  return { vips, errors: [] };
}

/** The six cluster load balancers with their vips (by load balancer name; absent: none). */
export function loadBalancerRows(vipsByLb: ReadonlyMap<string, OvsMap>, cfg: ClusterConfig): DesiredRow[] {
  const rows: DesiredRow[] = [];
  for (const session of [false, true]) {
    for (const p of PROTOCOLS) {
      const name = clusterLoadBalancerName(p, session);
      rows.push({
        table: 'Load_Balancer',
        key: name,
        row: { name, protocol: [p.toLowerCase()], vips: vipsByLb.get(name) ?? {}, external_ids: vendorIds(cfg) },
        // Set on create only: an adopted Kube-OVN load balancer keeps what its version wrote.
        ...(session ? { insertOnly: { selection_fields: ['ip_src'], options: { affinity_timeout: SESSION_AFFINITY_TIMEOUT } } } : {}),
      });
    }
  }
  return rows;
}

export const serviceKeyOf: (o: { namespace: string; name: string }) => string = recordKey;
export const sliceServiceKey = (s: EndpointSliceRecord): string => `${s.namespace}/${s.serviceName}`;

export function desiredServices(services: readonly ServiceRecord[], slices: readonly EndpointSliceRecord[], cfg: ClusterConfig): DesiredOutput {
  const errors: ValidationError[] = [];
  const slicesBySvc = new Map<string, EndpointSliceRecord[]>();
  for (const s of slices) {
    const k = sliceServiceKey(s);
    const l = slicesBySvc.get(k);
    if (l) l.push(s);
    else slicesBySvc.set(k, [s]);
  }
  const vips = new Map<string, OvsMap>();
  for (const svc of services) {
    const r = serviceVips(svc, slicesBySvc.get(serviceKeyOf(svc)) ?? []);
    for (const e of r.errors) errors.push(e);
    for (const v of r.vips) {
      let m = vips.get(v.lb);
      if (!m) vips.set(v.lb, (m = {}));
      m[v.vip] = v.backends;
    }
  }
  return { rows: loadBalancerRows(vips, cfg), errors };
}
