/**
 * Which ports each node's port groups hold (node.<N> and <S>.<N>), kept per
 * pod so a pod event changes only its own entries and reports exactly the
 * port groups it changed. Counted, since two launcher pods of one VM share a
 * port name. Keyed by the node's and subnet's names, never by the groups'
 * names: a rebuild places 150k pods without building a string for each.
 */
import type { PodPlacement, PortPlace } from '../desired/pods.js';

/** A node's groups: node.<N>'s ports, and <S>.<N>'s by distributed subnet S (a name once per pod placing it: arrays, not maps). */
interface NodeGroups {
  own: string[];
  bySubnet: Map<string, string[]>;
}

/** A port group whose ports changed: node.<N>, or <S>.<N> with its subnet. */
export interface ChangedGroup {
  node: string;
  subnet?: string;
}

export class PlacementIndex implements PodPlacement {
  private readonly byPod = new Map<string, PortPlace>();
  private readonly byNode = new Map<string, NodeGroups>();

  /** Records where a pod's port is (undefined: nowhere) and returns the port groups whose ports changed. */
  set(pod: string, at: PortPlace | undefined): ChangedGroup[] {
    const old = this.byPod.get(pod);
    if (old === undefined && at === undefined) return [];
    if (old && at && old.node === at.node && old.lsp === at.lsp && old.distributedSubnet === at.distributedSubnet) return [];
    const changed: ChangedGroup[] = [];
    if (old) {
      this.remove(old);
      changed.push({ node: old.node });
      if (old.distributedSubnet !== undefined) changed.push({ node: old.node, subnet: old.distributedSubnet });
    }
    if (at) {
      this.add(at);
      if (old?.node !== at.node) changed.push({ node: at.node });
      if (at.distributedSubnet !== undefined && (old?.node !== at.node || old.distributedSubnet !== at.distributedSubnet)) changed.push({ node: at.node, subnet: at.distributedSubnet });
      this.byPod.set(pod, at);
    } else this.byPod.delete(pod);
    return changed;
  }

  onNode(node: string): string[] {
    return unique(this.byNode.get(node)?.own);
  }

  inSubnetOnNode(subnet: string, node: string): string[] {
    return unique(this.byNode.get(node)?.bySubnet.get(subnet));
  }

  /** Ports of one of a node's groups. */
  ports(g: ChangedGroup): string[] {
    return g.subnet === undefined ? this.onNode(g.node) : this.inSubnetOnNode(g.subnet, g.node);
  }

  clear(): void {
    this.byPod.clear();
    this.byNode.clear();
  }

  private add(at: PortPlace): void {
    let g = this.byNode.get(at.node);
    if (!g) this.byNode.set(at.node, (g = { own: [], bySubnet: new Map() }));
    g.own.push(at.lsp);
    if (at.distributedSubnet === undefined) return;
    const l = g.bySubnet.get(at.distributedSubnet);
    if (l) l.push(at.lsp);
    else g.bySubnet.set(at.distributedSubnet, [at.lsp]);
  }

  private remove(at: PortPlace): void {
    const g = this.byNode.get(at.node);
    if (!g) return;
    drop(g.own, at.lsp);
    if (at.distributedSubnet !== undefined) {
      const l = g.bySubnet.get(at.distributedSubnet);
      if (l && drop(l, at.lsp) === 0) g.bySubnet.delete(at.distributedSubnet);
    }
    if (g.own.length === 0 && g.bySubnet.size === 0) this.byNode.delete(at.node);
  }
}

/** Removes one occurrence; returns the length left. */
function drop(l: string[], lsp: string): number {
  const i = l.lastIndexOf(lsp);
  if (i >= 0) l.splice(i, 1);
  return l.length;
}

/** A copy without repeats (callers keep it; the index's own lists change). */
function unique(l: readonly string[] | undefined): string[] {
  if (l === undefined) return [];
  return l.length < 2 ? [...l] : [...new Set(l)];
}
