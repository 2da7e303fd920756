/**
 * Deterministic synthetic cluster labels for benchmarks: namespaces (~ pods/300)
 * with metadata.name/team/env labels, pods listed namespace by namespace (as a
 * paged LIST returns them) with app (Zipf-like popularity, each app living in
 * one namespace), tier, team, env and version labels, and a NetworkPolicy-like
 * selector mix: mostly namespace-scoped podSelectors, some namespaceSelectors.
 */
import type { Labels } from '../k8s/records.js';
import type { SelectorSpec } from './selector-reference.js';

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SynthPod {
  uid: string;
  name: string;
  namespace: string;
  labels: Labels;
}

export interface SynthNamespace {
  name: string;
  labels: Labels;
}

export interface SynthCluster {
  namespaces: SynthNamespace[];
  pods: SynthPod[];
  apps: { name: string; namespace: string; tier: string }[];
}

const TIERS = ['frontend', 'backend', 'db', 'cache'];
const ENVS = ['prod', 'prod', 'prod', 'staging', 'staging', 'dev'];
const VERSIONS = ['v1', 'v1', 'v1', 'v2', 'v2', 'v3'];
const TEAMS = 40;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Index drawn with weight 1/(i+1)^s, from a cumulative table. */
function zipf(r: () => number, cumulative: Float64Array): number {
  const x = r() * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function synthCluster(pods: number, seed = 1): SynthCluster {
  const r = prng(seed);
  const nns = Math.max(1, Math.round(pods / 300));
  const namespaces: SynthNamespace[] = Array.from({ length: nns }, (_, i) => {
    const name = `ns-${i}`;
    return { name, labels: { 'kubernetes.io/metadata.name': name, team: `team-${i % TEAMS}`, env: pick(r, ENVS) } };
  });
  const napps = Math.max(1, Math.round(pods / 50));
  const apps = Array.from({ length: napps }, (_, i) => ({ name: `app-${i}`, namespace: namespaces[Math.floor(r() * nns)]!.name, tier: pick(r, TIERS) }));
  const cumulative = new Float64Array(napps);
  let sum = 0;
  for (let i = 0; i < napps; i++) cumulative[i] = sum += 1 / Math.pow(i + 1, 0.9);
  const nsIndex = new Map(namespaces.map((n, i) => [n.name, i]));
  const drawn = Array.from({ length: pods }, () => zipf(r, cumulative));
  // LIST order: by namespace, then by app.
  drawn.sort((a, b) => nsIndex.get(apps[a]!.namespace)! - nsIndex.get(apps[b]!.namespace)! || a - b);
  const out: SynthPod[] = drawn.map((ai, i) => {
    const app = apps[ai]!;
    const ns = namespaces[nsIndex.get(app.namespace)!]!;
    return {
      uid: `pod-uid-${i}`,
      name: `${app.name}-${i.toString(36)}`,
      namespace: app.namespace,
      labels: { app: app.name, tier: app.tier, team: ns.labels.team!, env: ns.labels.env!, version: pick(r, VERSIONS) },
    };
  });
  return { namespaces, pods: out, apps };
}

/** A NetworkPolicy-like mix of target and peer selectors. */
export function synthSelectors(cluster: SynthCluster, count: number, seed = 2): SelectorSpec[] {
  const r = prng(seed);
  const { apps } = cluster;
  const cumulative = new Float64Array(apps.length);
  let sum = 0;
  for (let i = 0; i < apps.length; i++) cumulative[i] = sum += 1 / Math.pow(i + 1, 0.9);
  const app = () => apps[zipf(r, cumulative)]!;
  const out: SelectorSpec[] = [];
  for (let i = 0; i < count; i++) {
    const x = r();
    const a = app();
    if (x < 0.55) out.push({ namespace: a.namespace, podSelector: { matchLabels: { app: a.name } } });
    else if (x < 0.65) out.push({ namespace: a.namespace, podSelector: { matchLabels: { app: a.name, tier: a.tier } } });
    else if (x < 0.73)
      out.push({ namespace: a.namespace, podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [a.name, app().name] }] } });
    else if (x < 0.78) out.push({ namespace: a.namespace, podSelector: {} });
    else if (x < 0.83)
      out.push({
        namespace: a.namespace,
        podSelector: { matchExpressions: [{ key: 'version', operator: 'NotIn', values: ['v1'] }, { key: 'tier', operator: 'Exists' }] },
      });
    else if (x < 0.93)
      out.push({ namespaceSelector: { matchLabels: { team: `team-${Math.floor(r() * TEAMS)}` } }, podSelector: { matchLabels: { tier: pick(r, TIERS) } } });
    else if (x < 0.97) out.push({ namespaceSelector: { matchLabels: { env: pick(r, ENVS) } } });
    else out.push({ namespaceSelector: {}, podSelector: { matchLabels: { app: a.name } } });
  }
  return out;
}

/**
 * Router-policy keys as token arrays, `nodes x subnets` of them, like the
 * distributed-subnet policies (priority, subnet, node, action, next hop):
 * desired, and an existing set with `drift` of them missing, changed or stale.
 */
export function synthRoutePolicies(count: number, drift = 0.01, seed = 3): { desired: Uint32Array[]; existing: Uint32Array[] } {
  const r = prng(seed);
  const subnets = 100;
  const nodes = Math.ceil(count / subnets);
  const desired: Uint32Array[] = [];
  for (let n = 0; n < nodes && desired.length < count; n++) {
    for (let s = 0; s < subnets && desired.length < count; s++) desired.push(Uint32Array.of(29000, 1_000_000 + s, 2_000_000 + n, 1, 3_000_000 + n));
  }
  const existing: Uint32Array[] = [];
  for (const k of desired) {
    const x = r();
    if (x < drift) continue; // missing: to add
    if (x < 2 * drift) existing.push(Uint32Array.of(k[0]!, k[1]!, k[2]!, k[3]!, k[4]! + 7)); // changed next hop
    else existing.push(k);
  }
  for (let i = 0; i < Math.floor(count * drift); i++) existing.push(Uint32Array.of(29000, 1_000_000 + subnets + i, 2_000_000, 1, 3_000_000)); // stale
  // The NB returns rows in its own order.
  for (let i = existing.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [existing[i], existing[j]] = [existing[j]!, existing[i]!];
  }
  return { desired, existing };
}
