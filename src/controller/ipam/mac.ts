/**
 * Unique MACs in Kube-OVN's style, 00:00:00:xx:xx:xx. The low 24 bits come
 * from a hash of the owner, so an owner gets the same MAC again after a
 * restart when nothing collided; collisions probe to the next free value.
 */
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function format(low24: number): string {
  const b = (n: number) => n.toString(16).padStart(2, '0');
  return `00:00:00:${b((low24 >>> 16) & 255)}:${b((low24 >>> 8) & 255)}:${b(low24 & 255)}`;
}

/**
 * Who holds each MAC. What an owner holds is its allocation's (Ipam): a
 * second map by owner would be 150k more entries.
 */
export class MacRegistry {
  private readonly holders = new Map<string, string>();

  /** A problem with owner taking `mac`, or undefined. */
  check(owner: string, mac: string): { reason: string; message: string } | undefined {
    if (!MAC_RE.test(mac)) return { reason: 'invalid-mac', message: `'${mac.slice(0, 40)}' is not a lower-case MAC address` };
    if (/^01|^ff/.test(mac) || (parseInt(mac.slice(0, 2), 16) & 1) === 1) return { reason: 'invalid-mac', message: `${mac} is a multicast address` };
    const h = this.holders.get(mac);
    if (h !== undefined && h !== owner) return { reason: 'duplicate-mac', message: `${mac} is already held by ${h}` };
    return undefined;
  }

  take(owner: string, mac: string): void {
    this.holders.set(mac, owner);
  }

  /** A free MAC for an owner that holds none, taken. */
  assign(owner: string): string {
    let v = fnv1a(owner) & 0xffffff;
    for (let n = 0; n < 0x1000000; n++, v = (v + 1) & 0xffffff) {
      if (v === 0) continue;
      const mac = format(v);
      if (!this.holders.has(mac)) {
        this.take(owner, mac);
        return mac;
      }
    }
    throw new Error('MAC space 00:00:00:xx:xx:xx exhausted');
  }

  /** Frees `mac` if `owner` holds it. */
  release(owner: string, mac: string): void {
    if (this.holders.get(mac) === owner) this.holders.delete(mac);
  }
}
