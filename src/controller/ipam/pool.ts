/**
 * One subnet's IPv4 address pool: a bitset over the CIDR (1 = not free),
 * with network, broadcast, gateway and excludeIps marked reserved. Allocation
 * is find-first-zero from a moving cursor, so 150k pods cost a few word scans
 * each rather than a walk over every address.
 */
import { type Cidr4, cidrContains, formatIPv4 } from './ipv4.js';

export type ClaimResult = { ok: true } | { ok: false; reason: 'outside' | 'reserved' | 'taken'; holder?: string };

export class SubnetPool {
  private readonly used: Uint32Array;
  private readonly reserved: Uint32Array;
  private readonly owners = new Map<number, string>();
  private cursor = 0;
  private free: number;

  constructor(
    readonly name: string,
    readonly cidr: Cidr4,
    readonly gateway: number,
    excludes: readonly (readonly [number, number])[],
  ) {
    const words = Math.ceil(cidr.size / 32);
    this.used = new Uint32Array(words);
    this.reserved = new Uint32Array(words);
    // Bits past the end of the block are never free.
    for (let i = cidr.size; i < words * 32; i++) this.mark(this.used, i);
    this.free = cidr.size;
    const reserve = (off: number) => {
      if (off < 0 || off >= cidr.size || this.test(this.reserved, off)) return;
      this.mark(this.reserved, off);
      this.mark(this.used, off);
      this.free--;
    };
    reserve(0);
    reserve(cidr.size - 1);
    reserve(gateway - cidr.base);
    for (const [a, b] of excludes) {
      const lo = Math.max(a, cidr.base);
      const hi = Math.min(b, cidr.base + cidr.size - 1);
      for (let ip = lo; ip <= hi; ip++) reserve(ip - cidr.base);
    }
  }

  private mark(bits: Uint32Array, off: number): void {
    bits[off >>> 5]! |= 1 << (off & 31);
  }

  private clear(bits: Uint32Array, off: number): void {
    bits[off >>> 5]! &= ~(1 << (off & 31));
  }

  private test(bits: Uint32Array, off: number): boolean {
    return (bits[off >>> 5]! & (1 << (off & 31))) !== 0;
  }

  get available(): number {
    return this.free;
  }

  holder(ip: number): string | undefined {
    return this.owners.get(ip);
  }

  /** Next free address for owner, or undefined when the subnet is exhausted. */
  allocate(owner: string): number | undefined {
    if (this.free === 0) return undefined;
    const words = this.used.length;
    let w = this.cursor >>> 5;
    for (let n = 0; n <= words; n++, w = (w + 1) % words) {
      const word = this.used[w]!;
      if (word === 0xffffffff) continue;
      const lowestZero = ~word & (word + 1);
      const off = (w << 5) + (31 - Math.clz32(lowestZero));
      this.mark(this.used, off);
      this.free--;
      this.cursor = off + 1 >= this.cidr.size ? 0 : off + 1;
      const ip = this.cidr.base + off;
      this.owners.set(ip, owner);
      return ip;
    }
    return undefined;
  }

  /** Takes a specific address (static IP, or one recovered from annotations). */
  claim(owner: string, ip: number): ClaimResult {
    if (!cidrContains(this.cidr, ip)) return { ok: false, reason: 'outside' };
    const off = ip - this.cidr.base;
    if (this.test(this.reserved, off)) return { ok: false, reason: 'reserved' };
    const holder = this.owners.get(ip);
    if (holder !== undefined) return holder === owner ? { ok: true } : { ok: false, reason: 'taken', holder };
    this.mark(this.used, off);
    this.free--;
    this.owners.set(ip, owner);
    return { ok: true };
  }

  release(ip: number): void {
    if (!this.owners.delete(ip)) return;
    this.clear(this.used, ip - this.cidr.base);
    this.free++;
  }

  describe(ip: number): string {
    return `${formatIPv4(ip)} in ${this.name} (${this.cidr.text})`;
  }
}
