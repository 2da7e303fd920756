/**
 * Pods: one LSP `<pod>.<ns>` per allocated pod on its subnet's switch, with
 * addresses "<mac> <ip>" and external_ids vendor/ls/pod, and where each pod
 * belongs: node.<N> (pods on node N, default VPC) and <S>.<N> (distributed
 * subnet S on node N) port groups, which nodes.ts emits.
 */
import { vmNameOf } from '../../k8s/kubevirt.js';
import type { PodRecord } from '../../k8s/records.js';
import type { DesiredRow, ParentRef } from '../../nb/desired.js';
import { LS_KEY, podPortName, POD_KEY, VENDOR_KEY } from '../../nb/naming.js';
import { flat } from '../../util/flat-string.js';
import type { Allocation } from '../ipam/annotations.js';
import { cidrContains, parseIPv4 } from '../ipam/ipv4.js';
import type { ParsedSubnet } from '../subnet-spec.js';
import { invalid, validateLabels, type ValidationError } from '../validation.js';
import type { ClusterConfig } from './common.js';
import { onClusterRouter } from './subnets.js';

/**
 * Which pods' ports each node's port groups hold: node.<N> (default VPC),
 * and <S>.<N> per distributed subnet S. Each list is the caller's to keep.
 */
export interface PodPlacement {
  onNode(node: string): string[];
  inSubnetOnNode(subnet: string, node: string): string[];
}

/** Where one pod's port goes: its node, and its subnet when that subnet is distributed. */
export interface PortPlace {
  node: string;
  lsp: string;
  distributedSubnet?: string;
}

const subnetNodeKey = (subnet: string, node: string): string => `${subnet}\u0000${node}`;

/** A placement collected from many pods (desiredPods). */
class CollectedPlacement implements PodPlacement {
  private readonly byNode = new Map<string, string[]>();
  private readonly bySubnetNode = new Map<string, string[]>();

  add(at: PortPlace): void {
    push(this.byNode, at.node, at.lsp);
    if (at.distributedSubnet !== undefined) push(this.bySubnetNode, subnetNodeKey(at.distributedSubnet, at.node), at.lsp);
  }

  onNode(node: string): string[] {
    return [...(this.byNode.get(node) ?? [])];
  }

  inSubnetOnNode(subnet: string, node: string): string[] {
    return [...(this.bySubnetNode.get(subnetNodeKey(subnet, node)) ?? [])];
  }
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** One parent reference per subnet, shared by its pods' rows (never mutated): 150k pods, a hundred subnets. */
const switchPorts = new WeakMap<ParsedSubnet, ParentRef>();

function portsOf(s: ParsedSubnet): ParentRef {
  let p = switchPorts.get(s);
  if (!p) switchPorts.set(s, (p = { table: 'Logical_Switch', key: s.name, column: 'ports' }));
  return p;
}

export interface DesiredPodsOutput {
  rows: DesiredRow[];
  errors: ValidationError[];
  placement: PodPlacement;
}

/** A pod's LSP: `<pod>.<ns>`, or `<vm>.<ns>` for a virt-launcher pod (one port per VM, kept across migrations). */
export function podPortNameOf(p: Pick<PodRecord, 'name' | 'namespace' | 'labels'>): string {
  return podPortName(vmNameOf(p) ?? p.name, p.namespace);
}

/** Pods that get a port: not host-network, not finished, not being deleted. */
export function podNeedsPort(p: PodRecord): boolean {
  return !p.hostNetwork && !p.deleting && p.phase !== 'Succeeded' && p.phase !== 'Failed';
}

export function desiredPods(
  pods: readonly PodRecord[],
  allocationOf: (pod: PodRecord) => Allocation | undefined,
  subnets: ReadonlyMap<string, ParsedSubnet>,
  cfg: ClusterConfig,
): DesiredPodsOutput {
  const rows: DesiredRow[] = [];
  const errors: ValidationError[] = [];
  const placement = new CollectedPlacement();
  for (const p of pods) {
    const one = desiredPod(p, allocationOf(p), subnets, cfg);
    if (one === undefined) continue;
    if ('errors' in one) errors.push(...one.errors);
    else {
      rows.push(one.row);
      if (one.place) placement.add(one.place);
    }
  }
  return { rows, errors, placement };
}

/**
 * One pod's port and where it goes; undefined when it has none (it needs no
 * port, or has no address yet); errors when its input is invalid.
 */
export function desiredPod(
  p: PodRecord,
  a: Allocation | undefined,
  subnets: ReadonlyMap<string, ParsedSubnet>,
  cfg: ClusterConfig,
): { row: DesiredRow; place?: PortPlace } | { errors: ValidationError[] } | undefined {
  if (!podNeedsPort(p) || !a) return undefined;
  const labelErrors = validateLabels('Pod', p);
  if (labelErrors.length) return { errors: labelErrors };
  const s = subnets.get(a.logicalSwitch);
  if (!s) return { errors: [invalid('Pod', p, 'metadata.annotations[ovn.kubernetes.io/logical_switch]', 'unknown-subnet', `subnet '${a.logicalSwitch}' does not exist or is invalid`)] };
  const ip = parseIPv4(a.ip);
  if (ip === undefined || !cidrContains(s.cidr, ip)) {
    return { errors: [invalid('Pod', p, 'metadata.annotations[ovn.kubernetes.io/ip_address]', 'ip-outside-subnet', `${a.ip} is outside subnet ${s.name} (${s.cidr.text})`)] };
  }
  const vm = vmNameOf(p);
  const name = podPortName(vm ?? p.name, p.namespace);
  // The ids written out rather than through lspIds' copies: one row per pod.
  const row: DesiredRow = {
    table: 'Logical_Switch_Port',
    key: name,
    row: { name, addresses: [flat(`${a.mac} ${a.ip}`)], external_ids: { [POD_KEY]: flat(`${p.namespace}/${vm ?? p.name}`), [LS_KEY]: s.name, [VENDOR_KEY]: cfg.vendor } },
    parent: portsOf(s),
  };
  if (!p.nodeName || !onClusterRouter(s, cfg)) return { row };
  const distributed = s.record.gatewayType === 'distributed' && s.name !== cfg.nodeSwitch;
  return { row, place: { node: p.nodeName, lsp: name, ...(distributed ? { distributedSubnet: s.name } : {}) } };
}
