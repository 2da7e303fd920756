/**
 * Where each pod's port belongs (node.<N>, <S>.<N> port groups), kept
 * per pod so a pod event changes only its own entries. Counted, since two
 * launcher pods of one VM share a port name.
 */
import type { PodPlacement } from '../desired/pods.js';

interface Placed {
  node?: string;
  nodeLsp?: string;
  subnetNode?: string;
  subnetLsp?: string;
}

function bump(m: Map<string, Map<string, number>>, k: string, v: string, by: number): void {
  let inner = m.get(k);
  if (!inner) m.set(k, (inner = new Map()));
  const n = (inner.get(v) ?? 0) + by;
  if (n > 0) inner.set(v, n);
  else inner.delete(v);
  if (inner.size === 0) m.delete(k);
}

export class PlacementIndex {
  private readonly byPod = new Map<string, Placed>();
  private readonly byNode = new Map<string, Map<string, number>>();
  private readonly bySubnetNode = new Map<string, Map<string, number>>();

  /**
   * Records a pod's placement (from desiredPods of that pod alone; undefined:
   * none) and returns the nodes whose port groups changed.
   */
  set(pod: string, placement: PodPlacement | undefined, nodeOfKey: (subnetNodeKey: string) => string): string[] {
    const next: Placed = {};
    for (const [node, lsps] of placement?.byNode ?? []) [next.node, next.nodeLsp] = [node, lsps[0]];
    for (const [k, lsps] of placement?.bySubnetNode ?? []) [next.subnetNode, next.subnetLsp] = [k, lsps[0]];
    const old = this.byPod.get(pod) ?? {};
    if (old.node === next.node && old.nodeLsp === next.nodeLsp && old.subnetNode === next.subnetNode && old.subnetLsp === next.subnetLsp) return [];
    if (old.node !== undefined) bump(this.byNode, old.node, old.nodeLsp!, -1);
    if (old.subnetNode !== undefined) bump(this.bySubnetNode, old.subnetNode, old.subnetLsp!, -1);
    if (next.node !== undefined) bump(this.byNode, next.node, next.nodeLsp!, 1);
    if (next.subnetNode !== undefined) bump(this.bySubnetNode, next.subnetNode, next.subnetLsp!, 1);
    if (next.node !== undefined || next.subnetNode !== undefined) this.byPod.set(pod, next);
    else this.byPod.delete(pod);
    const nodes = new Set<string>();
    for (const p of [old, next]) {
      if (p.node !== undefined) nodes.add(p.node);
      if (p.subnetNode !== undefined) nodes.add(nodeOfKey(p.subnetNode));
    }
    return [...nodes];
  }

  /** The placement desiredNodes needs for one node. */
  forNode(node: string, subnetNodeKeys: readonly string[]): PodPlacement {
    const byNode = new Map<string, string[]>();
    const bySubnetNode = new Map<string, string[]>();
    const n = this.byNode.get(node);
    if (n) byNode.set(node, [...n.keys()]);
    for (const k of subnetNodeKeys) {
      const s = this.bySubnetNode.get(k);
      if (s) bySubnetNode.set(k, [...s.keys()]);
    }
    return { byNode, bySubnetNode };
  }

  clear(): void {
    this.byPod.clear();
    this.byNode.clear();
    this.bySubnetNode.clear();
  }
}
