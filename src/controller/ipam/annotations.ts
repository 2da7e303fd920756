/** Kube-OVN's pod/node annotation keys for an address allocation, and the patch that writes them. */

export const ANN = {
  allocated: 'ovn.kubernetes.io/allocated',
  ipAddress: 'ovn.kubernetes.io/ip_address',
  macAddress: 'ovn.kubernetes.io/mac_address',
  cidr: 'ovn.kubernetes.io/cidr',
  gateway: 'ovn.kubernetes.io/gateway',
  logicalSwitch: 'ovn.kubernetes.io/logical_switch',
  routed: 'ovn.kubernetes.io/routed',
} as const;

export interface Allocation {
  owner: string;
  ip: string;
  mac: string;
  /** The subnet's CIDR, e.g. 10.16.0.0/16. */
  cidr: string;
  gateway: string;
  logicalSwitch: string;
}

/**
 * Annotations for a merge patch of the pod (or node). `routed` tells the
 * Kube-OVN CNI daemon the port is programmed; set it once the LSP exists.
 * Returns only keys whose value differs from `current`, so a converged pod
 * needs no patch (empty object).
 */
export function allocationAnnotations(a: Allocation, opts: { routed: boolean }, current: Readonly<Record<string, string>> = {}): Record<string, string> {
  const want: Record<string, string> = {
    [ANN.allocated]: 'true',
    [ANN.ipAddress]: a.ip,
    [ANN.macAddress]: a.mac,
    [ANN.cidr]: a.cidr,
    [ANN.gateway]: a.gateway,
    [ANN.logicalSwitch]: a.logicalSwitch,
  };
  if (opts.routed) want[ANN.routed] = 'true';
  const patch: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (current[k] !== v) patch[k] = v;
  return patch;
}

/** A JSON merge patch body for the object's annotations, or undefined when nothing changes. */
export function annotationMergePatch(annotations: Record<string, string>): { metadata: { annotations: Record<string, string> } } | undefined {
  return Object.keys(annotations).length ? { metadata: { annotations } } : undefined;
}
