/**
 * One string object per distinct value, for columns whose atoms repeat
 * across rows: a pod's address sits in its namespace's address set and in
 * every NetworkPolicy address set that selects it (4.8 M entries, ~150k
 * distinct, at 150k pods), and each decoded copy costs ~30 bytes more than
 * a reference. The decoded copy dies young instead of being promoted.
 *
 * Bounded: values that went away are never removed one by one; when the
 * pool reaches its limit it starts over, and strings already shared stay
 * shared by the rows that hold them.
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  constructor(private readonly limit = 1 << 20) {}

  get size(): number {
    return this.strings.size;
  }

  /** The pool's string equal to `s` (added when new). */
  intern(s: string): string {
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    if (this.strings.size >= this.limit) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }
}
