/**
 * One string object per distinct value, for columns whose atoms repeat
 * across rows: a pod's address sits in its namespace's address set and in
 * every NetworkPolicy address set that selects it (4.5 M entries, ~150k
 * distinct, at 150k pods), and each decoded copy costs ~30 bytes more than
 * a reference. The decoded copy dies young instead of being promoted.
 *
 * Whole sets repeat too: policies with the same peers have address sets of
 * the same addresses (19.9k sets, 1.9k distinct contents at 150k pods), so
 * a set of pooled strings is shared as well, one array per distinct content
 * (36 MB of references fewer).
 *
 * Bounded: values that went away are never removed one by one; when the
 * pool reaches its limit it starts over, and values already shared stay
 * shared by the rows that hold them. Sets are counted by their members: a
 * set modified by every pod event leaves each old version here until then.
 */
import { sameElements } from './values.js';

export class StringPool {
  private readonly strings = new Map<string, string>();
  /** Sets by length and three members; a bucket's sets are then compared member by member. */
  private readonly sets = new Map<string, string[][]>();
  private setMembers = 0;

  constructor(
    private readonly limit = 1 << 20,
    /** Members of the sets held (2^21: 16 MB of references at most). */
    private readonly setMemberLimit = 1 << 21,
  ) {}

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

  /** The pool's array with the members of `set` in the same order (added when new). */
  shareSet(set: string[]): string[] {
    if (set.length < 2) return set;
    const key = `${set.length}\u0000${set[0]}\u0000${set[set.length >> 1]}\u0000${set[set.length - 1]}`;
    const bucket = this.sets.get(key);
    if (bucket) {
      for (const b of bucket) if (sameElements(b, set)) return b;
      bucket.push(set);
    } else this.sets.set(key, [set]);
    this.setMembers += set.length;
    if (this.setMembers > this.setMemberLimit) {
      this.sets.clear();
      this.setMembers = 0;
    }
    return set;
  }
}

