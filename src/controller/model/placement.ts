/**
 * Which ports each node's port groups hold (node.<N> and <S>.<N>), kept per
 * pod so a pod event changes only its own entries and reports exactly the
 * port groups it changed. Counted, since two launcher pods of one VM share a
 * port name.
 */
import { nodePortGroupName, subnetNodePortGroupName } from '../../nb/naming.js';
import { subnetNodeKey, type PodPlacement } from '../desired/pods.js';

/** A port group of a node and the port a pod puts in it. */
interface Member {
  node: string;
  pg: string;
  lsp: string;
}

export interface ChangedGroup {
  node: string;
  pg: string;
}

export class PlacementIndex {
  private readonly byPod = new Map<string, Member[]>();
  /** Port group → its ports, a name once per pod placing it (a few per group: arrays, not maps). */
  private readonly byGroup = new Map<string, string[]>();

  /**
   * Records a pod's placement (desiredPods of that pod alone; undefined:
   * none) and returns the port groups whose ports changed.
   */
  set(pod: string, placement: PodPlacement | undefined): ChangedGroup[] {
    const next: Member[] = [];
    for (const [node, lsps] of placement?.byNode ?? []) for (const lsp of lsps) next.push({ node, pg: nodePortGroupName(node), lsp });
    for (const [k, lsps] of placement?.bySubnetNode ?? []) {
      const cut = k.indexOf('\u0000');
      const node = k.slice(cut + 1);
      for (const lsp of lsps) next.push({ node, pg: subnetNodePortGroupName(k.slice(0, cut), node), lsp });
    }
    const old = this.byPod.get(pod) ?? [];
    if (old.length === next.length && old.every((m, i) => m.pg === next[i]!.pg && m.lsp === next[i]!.lsp)) return [];
    for (const m of old) this.bump(m, -1);
    for (const m of next) this.bump(m, 1);
    if (next.length > 0) this.byPod.set(pod, next);
    else this.byPod.delete(pod);
    const changed = new Map<string, ChangedGroup>();
    for (const m of [...old, ...next]) changed.set(m.pg, { node: m.node, pg: m.pg });
    return [...changed.values()];
  }

  /** Ports of one port group. */
  portsOf(pg: string): string[] {
    const l = this.byGroup.get(pg);
    return l === undefined ? [] : unique(l);
  }

  /** The placement desiredNodes needs for one node and its (distributed subnet) groups. */
  forNode(node: string, subnets: readonly string[]): PodPlacement {
    const byNode = new Map<string, string[]>();
    const bySubnetNode = new Map<string, string[]>();
    const own = this.byGroup.get(nodePortGroupName(node));
    if (own) byNode.set(node, unique(own));
    for (const s of subnets) {
      const g = this.byGroup.get(subnetNodePortGroupName(s, node));
      if (g) bySubnetNode.set(subnetNodeKey(s, node), unique(g));
    }
    return { byNode, bySubnetNode };
  }

  clear(): void {
    this.byPod.clear();
    this.byGroup.clear();
  }

  private bump(m: Member, by: 1 | -1): void {
    const l = this.byGroup.get(m.pg);
    if (by === 1) {
      if (l) l.push(m.lsp);
      else this.byGroup.set(m.pg, [m.lsp]);
      return;
    }
    if (!l) return;
    const i = l.lastIndexOf(m.lsp);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.byGroup.delete(m.pg);
  }
}

/** A copy without repeats (callers keep it; the index's own lists change). */
function unique(l: readonly string[]): string[] {
  return l.length < 2 ? [...l] : [...new Set(l)];
}
