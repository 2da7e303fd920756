/** IPv4 arithmetic and sequential allocation for generated subnets. */
export const ipToInt = (ip: string): number => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
export const intToIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export interface SubnetPlan {
  name: string;
  cidr: string;
  base: number;
  prefix: number;
  gateway: string;
  /** Kube-OVN excludeIps entries: single IPs or "a..b" ranges. */
  excludeIps: string[];
  namespaces: string[];
  pods: number;
}

/** Smallest prefix (no longer than /24) whose block holds `pods` with 30% headroom. */
export function prefixFor(pods: number): number {
  const need = Math.ceil(pods * 1.3) + 16;
  let prefix = 24;
  while (prefix > 8 && 2 ** (32 - prefix) < need) prefix--;
  return prefix;
}

/**
 * Lays blocks out from `start`, largest first, so every block is aligned on
 * its own size and none overlap. Returns the base of each block, by index.
 */
export function layoutBlocks(prefixes: number[], start: string, limitPrefix: number): number[] {
  const origin = ipToInt(start);
  const order = prefixes.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const bases = new Array<number>(prefixes.length);
  let cursor = origin;
  for (const [p, i] of order) {
    const size = 2 ** (32 - p);
    cursor = Math.ceil(cursor / size) * size;
    bases[i] = cursor;
    cursor += size;
  }
  if (cursor - origin > 2 ** (32 - limitPrefix)) throw new Error(`generated subnets do not fit in ${start}/${limitPrefix}`);
  return bases;
}

/** Hands out addresses in order, skipping the network address, the gateway and excluded ranges. */
export class Allocator {
  private next: number;
  private readonly last: number;
  private readonly excluded: [number, number][];

  constructor(plan: SubnetPlan) {
    this.next = plan.base + 1;
    this.last = plan.base + 2 ** (32 - plan.prefix) - 2;
    this.excluded = plan.excludeIps.map((e) => {
      const [a, b = a] = e.split('..');
      return [ipToInt(a!), ipToInt(b)];
    });
  }

  allocate(): string {
    for (;;) {
      if (this.next > this.last) throw new Error('generated subnet is full');
      const ip = this.next++;
      if (!this.excluded.some(([a, b]) => ip >= a && ip <= b)) return intToIp(ip);
    }
  }
}

/** Kube-OVN style MAC (00:00:00 prefix) derived from a counter, unique per cluster. */
export function macFor(n: number): string {
  const b = [0, 0, 0, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
