/**
 * Subnet validation, shared by IPAM and the desired-state functions: parsed
 * CIDR, gateway and excludeIps, or a ValidationError naming the Subnet and
 * the field. Overlapping subnets: the one whose name sorts first keeps its
 * CIDR, the later one is rejected (stable across restarts).
 */
import type { SubnetRecord } from '../k8s/records.js';
import { type Cidr4, cidrContains, cidrsOverlap, formatIPv4, parseCidr4, parseIPv4 } from './ipam/ipv4.js';
import { invalid, type ValidationError } from './validation.js';

export interface ParsedSubnet {
  record: SubnetRecord;
  name: string;
  cidr: Cidr4;
  gateway: number;
  /** The gateway written out, once per subnet: every allocation and router port in it holds this string. */
  gatewayText: string;
  excludes: [number, number][];
}

/** Pod subnets need room for network, broadcast, gateway and at least one pod. */
const MIN_PREFIX = 8;
const MAX_PREFIX = 30;

function parseExclude(s: string): [number, number] | undefined {
  const t = s.trim();
  if (t.includes('..')) {
    const [a, b] = t.split('..');
    const lo = parseIPv4(a ?? '');
    const hi = parseIPv4(b ?? '');
    return lo !== undefined && hi !== undefined && lo <= hi ? [lo, hi] : undefined;
  }
  if (t.includes('/')) {
    const c = parseCidr4(t);
    return c ? [c.base, c.base + c.size - 1] : undefined;
  }
  const ip = parseIPv4(t);
  return ip === undefined ? undefined : [ip, ip];
}

/** Parses one subnet; IPv4 only (the controller's IPAM is IPv4). */
export function parseSubnet(s: SubnetRecord): ParsedSubnet | ValidationError {
  if (s.protocol && s.protocol !== 'IPv4') return invalid('Subnet', s, 'spec.protocol', 'unsupported-protocol', `protocol ${s.protocol} is not supported (IPv4 only)`);
  const cidr = parseCidr4(s.cidrBlock);
  if (!cidr) return invalid('Subnet', s, 'spec.cidrBlock', 'invalid-cidr', `'${s.cidrBlock.slice(0, 80)}' is not an IPv4 CIDR with its network address`);
  if (cidr.prefix < MIN_PREFIX || cidr.prefix > MAX_PREFIX) return invalid('Subnet', s, 'spec.cidrBlock', 'invalid-cidr', `prefix /${cidr.prefix} is outside /${MIN_PREFIX}../${MAX_PREFIX}`);
  const gwText = s.gateway || formatIPv4(cidr.base + 1);
  const gateway = parseIPv4(gwText);
  if (gateway === undefined) return invalid('Subnet', s, 'spec.gateway', 'invalid-ip', `'${gwText.slice(0, 80)}' is not an IPv4 address`);
  if (!cidrContains(cidr, gateway) || gateway === cidr.base || gateway === cidr.base + cidr.size - 1) {
    return invalid('Subnet', s, 'spec.gateway', 'gateway-outside-cidr', `gateway ${gwText} is not a host address of ${cidr.text}`);
  }
  const excludes: [number, number][] = [];
  for (const [i, e] of s.excludeIps.entries()) {
    const r = parseExclude(e);
    if (!r) return invalid('Subnet', s, `spec.excludeIps[${i}]`, 'invalid-ip', `'${e.slice(0, 80)}' is not an IPv4 address, 'a..b' range or CIDR`);
    excludes.push(r);
  }
  return { record: s, name: s.name, cidr, gateway, gatewayText: formatIPv4(gateway), excludes };
}

/** Parses all subnets and rejects overlaps; `extra` are CIDRs that are always taken (the join subnet). */
export function parseSubnets(subnets: readonly SubnetRecord[]): { subnets: ParsedSubnet[]; errors: ValidationError[] } {
  const ok: ParsedSubnet[] = [];
  const errors: ValidationError[] = [];
  for (const s of [...subnets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (s.deleting) continue;
    const p = parseSubnet(s);
    if ('reason' in p) {
      errors.push(p);
      continue;
    }
    const clash = ok.find((o) => cidrsOverlap(o.cidr, p.cidr));
    if (clash) {
      errors.push(invalid('Subnet', s, 'spec.cidrBlock', 'overlapping-subnets', `${p.cidr.text} overlaps subnet ${clash.name} (${clash.cidr.text})`));
      continue;
    }
    ok.push(p);
  }
  return { subnets: ok, errors };
}
