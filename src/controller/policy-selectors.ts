/** The pieces of policy resolution that hold no state: selector identity, compiled shapes, port lists. */
import type { LabelIndex, SelectorSpec } from '../index/index.js';
import type { ContainerPort, LabelSelector, NetworkPolicyRecord, PodRecord } from '../k8s/records.js';
import { recordKey } from '../k8s/resources.js';

export interface PodAddressing {
  /** The pod's IPv4 address (its IPAM allocation), if it has one. */
  ip(pod: PodRecord): string | undefined;
  /** The pod's logical switch port name, if it gets one. */
  port(pod: PodRecord): string | undefined;
}

export interface CompiledPolicy {
  policy: NetworkPolicyRecord;
  target: number;
  /** Selector index per rule per peer; -1 for an ipBlock peer. */
  ingress: number[][];
  egress: number[][];
}

export function canonicalSelector(s: LabelSelector | undefined): unknown {
  if (!s) return null;
  const labels = Object.entries(s.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exprs = (s.matchExpressions ?? []).map((e) => [e.key, e.operator, [...(e.values ?? [])].sort()]).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return [labels, exprs];
}

export const specKey = (s: SelectorSpec | null): string =>
  s === null ? 'null' : JSON.stringify([s.namespace ?? null, canonicalSelector(s.namespaceSelector), s.podSelector ? canonicalSelector(s.podSelector) : null]);

export const hasNamedPort = (np: NetworkPolicyRecord, dir: 'ingress' | 'egress') => np[dir].some((r) => r.ports.some((p) => typeof p.port === 'string'));

export const policyKeyOf: (np: Pick<NetworkPolicyRecord, 'namespace' | 'name'>) => string = recordKey;

export function* allSlots(index: LabelIndex<PodRecord>): Iterable<number> {
  for (let slot = 0; slot < index.slotLimit; slot++) if (index.podAt(slot)) yield slot;
}

export function uniquePorts(slots: Iterable<number>, index: LabelIndex<PodRecord>): ContainerPort[] {
  const seen = new Map<string, ContainerPort>();
  for (const slot of slots) {
    const p = index.podAt(slot);
    if (p) for (const c of p.ports) seen.set(`${c.name ?? ''}/${c.protocol}/${c.containerPort}`, c);
  }
  return [...seen.values()];
}

export function mergePorts(lists: ContainerPort[][]): ContainerPort[] {
  const seen = new Map<string, ContainerPort>();
  for (const l of lists) for (const c of l) seen.set(`${c.name ?? ''}/${c.protocol}/${c.containerPort}`, c);
  return [...seen.values()];
}
