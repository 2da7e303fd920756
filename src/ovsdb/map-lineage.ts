/**
 * Which keys two versions of a large map can differ at, without reading the
 * other keys. The cluster load balancers' vips hold ~12k keys at 10k
 * Services; a Service event changes one or two of them, yet comparing the
 * model's old and new maps, the desired map with the NB's and the NB's map
 * after the update each read all 12k (several ms each, on dictionary-mode
 * objects).
 *
 * Two facts are kept, both about immutable maps, in a weak map so they die
 * with the maps:
 * - lineage: `child` equals `base` except possibly at `keys` (recorded where
 *   a map is copied and edited: the model's copy-on-write, the cache's
 *   update2 apply); a child of a child keeps the first base and the union of
 *   the keys, so no chain of old versions stays alive;
 * - anchors: `a` and `b` differ at most at `diff` (recorded by the plan's
 *   full or narrowed comparison); an anchored map drops its own lineage, so
 *   each live map keeps at most its base and its partner alive.
 * Two maps then differ at most at the union of the keys on the way to a
 * common version or to an anchored pair. Anything unknown falls back to the
 * full comparison, so the facts only make comparisons cheaper, never
 * different. Maps below LINEAGE_MIN_KEYS are not tracked: a full comparison
 * is as cheap as the bookkeeping, and a tracked small map (external_ids of
 * 150k ports) would keep its previous version alive.
 */
import type { OvsMap } from './types.js';

export const LINEAGE_MIN_KEYS = 256;
/** Past this many accumulated keys a lineage is dropped: the next comparison reads everything and anchors afresh. */
const MAX_KEYS = 4096;

/**
 * What is known of one map: it equals `base` except possibly at `keys`
 * (lineage), and it differs from `other` at most at `diff` (anchor). One
 * record per map: an untracked pair costs two weak-map lookups.
 */
interface Facts {
  lineage?: { base: OvsMap; keys: ReadonlySet<string> };
  anchor?: { other: OvsMap; diff: readonly string[] };
}

const facts = new WeakMap<OvsMap, Facts>();

/** A copy of `m`, with its key count (a keyed loop: faster than a spread on dictionary-mode objects). */
export function copyMap(m: OvsMap): { copy: OvsMap; size: number } {
  const copy: OvsMap = {};
  const keys = Object.keys(m);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    copy[k] = m[k]!;
  }
  return { copy, size: keys.length };
}

/**
 * Records that `child` (a copy of `parent`, `parentSize` keys, then edited)
 * differs from it at most at `keys`. Neither map may change afterwards.
 */
export function recordDerived(child: OvsMap, parent: OvsMap, parentSize: number, keys: Iterable<string>): void {
  if (parentSize < LINEAGE_MIN_KEYS) return;
  const pf = facts.get(parent);
  const up = pf?.anchor ? undefined : pf?.lineage;
  const acc = new Set(up?.keys);
  for (const k of keys) acc.add(k);
  if (acc.size > MAX_KEYS) return;
  facts.set(child, { lineage: { base: up?.base ?? parent, keys: acc } });
}

const NONE: readonly string[] = [];

/** What is known of two versions: equal (none), equal outside `diff` (an anchor), or nothing (undefined). */
function knownDiff(x: OvsMap, y: OvsMap, fx = facts.get(x), fy = facts.get(y)): readonly string[] | undefined {
  if (x === y) return NONE;
  if (fx?.anchor?.other === y) return fx.anchor.diff;
  return fy?.anchor?.other === x ? fy.anchor.diff : undefined;
}

/** The known relation of `a` and `b`, through themselves or their bases: the anchor's diff and the key sets edited since. */
function relation(a: OvsMap, b: OvsMap): { diff: readonly string[]; since: ReadonlyArray<ReadonlySet<string>> } | undefined {
  const fa = facts.get(a);
  const fb = facts.get(b);
  const direct = knownDiff(a, b, fa, fb);
  if (direct) return { diff: direct, since: [] };
  const la = fa?.lineage;
  const lb = fb?.lineage;
  let diff: readonly string[] | undefined;
  if (lb && (diff = knownDiff(a, lb.base, fa))) return { diff, since: [lb.keys] };
  if (la && (diff = knownDiff(la.base, b, undefined, fb))) return { diff, since: [la.keys] };
  if (la && lb && (diff = knownDiff(la.base, lb.base))) return { diff, since: [la.keys, lb.keys] };
  return undefined;
}

/** Keys outside of which `a` and `b` are known equal (through themselves or their bases); undefined when nothing is known. */
export function candidateKeys(a: OvsMap, b: OvsMap): Set<string> | undefined {
  const r = relation(a, b);
  if (!r) return undefined;
  const out = new Set(r.diff);
  for (const s of r.since) for (const k of s) out.add(k);
  return out;
}

/** Whether anything is known between `a` and `b` (then at least one of them is large, or was when the fact was recorded). */
export function related(a: OvsMap, b: OvsMap): boolean {
  return relation(a, b) !== undefined;
}

/**
 * The keys at which `a` and `b` differ (a key present on one side only
 * differs). Large maps remember the answer as an anchor, so comparing their
 * descendants later reads only the keys edited since.
 */
export function differingKeys(a: OvsMap, b: OvsMap): readonly string[] {
  if (a === b) return [];
  const out: string[] = [];
  const known = candidateKeys(a, b);
  if (known) {
    for (const k of known) if (a[k] !== b[k]) out.push(k);
  } else {
    let n = 0;
    for (const k in a) {
      n++;
      if (a[k] !== b[k]) out.push(k);
    }
    for (const k in b) if (!(k in a)) out.push(k);
    if (n < LINEAGE_MIN_KEYS) return out;
  }
  // An anchored map is the base of its children; its own lineage would chain every older version to the newest.
  facts.set(a, { anchor: { other: b, diff: out } });
  facts.set(b, { anchor: { other: a, diff: out } });
  return out;
}

/** Whether two maps hold the same pairs; reads only the candidate keys when they are known. */
export function sameMap(a: OvsMap, b: OvsMap): boolean {
  if (a === b) return true;
  const known = candidateKeys(a, b);
  if (known) {
    for (const k of known) if (a[k] !== b[k]) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}
