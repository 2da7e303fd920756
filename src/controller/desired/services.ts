/**
 * Services: VIPs `<clusterIP>:<port>` → ready IPv4 endpoints of the Service's
 * EndpointSlices, port mapped by port name (Kube-OVN getEndpointBackend), in
 * cluster-tcp/udp/sctp-loadbalancer, or the -session- ones (selection by
 * source IP, affinity timeout) for sessionAffinity ClientIP. The six load
 * balancers always exist, as Kube-OVN creates them, so subnet switches can
 * reference them.
 */
import type { EndpointSliceRecord, ServiceRecord } from '../../k8s/records.js';
import type { DesiredRow } from '../../nb/desired.js';
import { clusterLoadBalancerName, SESSION_AFFINITY_TIMEOUT } from '../../nb/naming.js';
import { parseIPv4 } from '../ipam/ipv4.js';
import { invalid, type ValidationError } from '../validation.js';
import { type ClusterConfig, type DesiredOutput, vendorIds } from './common.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

export function desiredServices(services: readonly ServiceRecord[], slices: readonly EndpointSliceRecord[], cfg: ClusterConfig): DesiredOutput {
  const errors: ValidationError[] = [];
  const vips: Record<string, Record<string, string>> = {};
  for (const p of PROTOCOLS) for (const session of [false, true]) vips[clusterLoadBalancerName(p, session)] = {};
  const slicesBySvc = new Map<string, EndpointSliceRecord[]>();
  for (const s of slices) {
    if (s.deleting || s.addressType !== 'IPv4') continue;
    const k = `${s.namespace}/${s.serviceName}`;
    const l = slicesBySvc.get(k);
    if (l) l.push(s);
    else slicesBySvc.set(k, [s]);
  }
  for (const svc of services) {
    if (svc.deleting || svc.type === 'ExternalName') continue;
    const ips = svc.clusterIPs.filter((ip) => ip !== '' && ip !== 'None');
    const bad = ips.find((ip) => !ip.includes(':') && parseIPv4(ip) === undefined);
    if (bad !== undefined) {
      errors.push(invalid('Service', svc, 'spec.clusterIPs', 'invalid-ip', `'${bad.slice(0, 80)}' is not an IP address`));
      continue;
    }
    const v4 = ips.filter((ip) => parseIPv4(ip) !== undefined);
    if (v4.length === 0) continue;
    const mine = slicesBySvc.get(`${svc.namespace}/${svc.name}`) ?? [];
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
      const lb = vips[clusterLoadBalancerName(port.protocol, svc.sessionAffinity === 'ClientIP')]!;
      for (const ip of v4) lb[`${ip}:${port.port}`] = value;
    }
  }
  const rows: DesiredRow[] = [];
  for (const session of [false, true]) {
    for (const p of PROTOCOLS) {
      const name = clusterLoadBalancerName(p, session);
      rows.push({
        table: 'Load_Balancer',
        key: name,
        row: { name, protocol: [p.toLowerCase()], vips: vips[name]!, external_ids: vendorIds(cfg) },
        // Set on create only: an adopted Kube-OVN load balancer keeps what its version wrote.
        ...(session ? { insertOnly: { selection_fields: ['ip_src'], options: { affinity_timeout: SESSION_AFFINITY_TIMEOUT } } } : {}),
      });
    }
  }
  return { rows, errors };
}
