/**
 * Pods: one LSP `<pod>.<ns>` per allocated pod on its subnet's switch, with
 * addresses "<mac> <ip>" and external_ids vendor/ls/pod, and where each pod
 * belongs: node.<N> (pods on node N, default VPC) and <S>.<N> (distributed
 * subnet S on node N) port groups, which nodes.ts emits.
 */
import { vmNameOf } from '../../k8s/kubevirt.js';
import type { PodRecord } from '../../k8s/records.js';
import type { DesiredRow } from '../../nb/desired.js';
import { podPortName, POD_KEY } from '../../nb/naming.js';
import type { Allocation } from '../ipam/annotations.js';
import { cidrContains, parseIPv4 } from '../ipam/ipv4.js';
import type { ParsedSubnet } from '../subnet-spec.js';
import { invalid, validateLabels, type ValidationError } from '../validation.js';
import { type ClusterConfig, lspIds } from './common.js';
import { onClusterRouter } from './subnets.js';

/** LSP names of pods per node, and per (distributed subnet, node). */
export interface PodPlacement {
  byNode: Map<string, string[]>;
  /** key: `${subnet}\u0000${node}` */
  bySubnetNode: Map<string, string[]>;
}

export const subnetNodeKey = (subnet: string, node: string): string => `${subnet}\u0000${node}`;

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
  const placement: PodPlacement = { byNode: new Map(), bySubnetNode: new Map() };
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const p of pods) {
    if (!podNeedsPort(p)) continue;
    const a = allocationOf(p);
    if (!a) continue;
    const labelErrors = validateLabels('Pod', p);
    if (labelErrors.length) {
      errors.push(...labelErrors);
      continue;
    }
    const s = subnets.get(a.logicalSwitch);
    if (!s) {
      errors.push(invalid('Pod', p, 'metadata.annotations[ovn.kubernetes.io/logical_switch]', 'unknown-subnet', `subnet '${a.logicalSwitch}' does not exist or is invalid`));
      continue;
    }
    const ip = parseIPv4(a.ip);
    if (ip === undefined || !cidrContains(s.cidr, ip)) {
      errors.push(invalid('Pod', p, 'metadata.annotations[ovn.kubernetes.io/ip_address]', 'ip-outside-subnet', `${a.ip} is outside subnet ${s.name} (${s.cidr.text})`));
      continue;
    }
    const name = podPortNameOf(p);
    rows.push({
      table: 'Logical_Switch_Port',
      key: name,
      row: { name, addresses: [`${a.mac} ${a.ip}`], external_ids: lspIds(cfg, s.name, { [POD_KEY]: `${p.namespace}/${vmNameOf(p) ?? p.name}` }) },
      parent: { table: 'Logical_Switch', key: s.name, column: 'ports' },
    });
    if (p.nodeName && onClusterRouter(s, cfg)) {
      push(placement.byNode, p.nodeName, name);
      if (s.record.gatewayType === 'distributed' && s.name !== cfg.nodeSwitch) push(placement.bySubnetNode, subnetNodeKey(s.name, p.nodeName), name);
    }
  }
  return { rows, errors, placement };
}
