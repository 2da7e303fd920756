/**
 * The whole cluster's desired NB state in one call, from records, IPAM
 * results and the resolved policy relation (`bench plan` and tests; the
 * controller keeps it as units in ClusterModel, built from the same per-kind
 * functions).
 */
import type { EndpointSliceRecord, NodeRecord, PodRecord, ServiceRecord } from '../../k8s/records.js';
import { DesiredState } from '../../nb/desired.js';
import type { Allocation } from '../ipam/annotations.js';
import type { ParsedSubnet } from '../subnet-spec.js';
import type { ValidationError } from '../validation.js';
import type { ClusterConfig } from './common.js';
import { desiredCentralizedGateways, desiredNodes } from './nodes.js';
import { desiredPods } from './pods.js';
import { desiredPolicies, type ResolvedPolicy } from './policies.js';
import { desiredServices } from './services.js';
import { desiredSubnets } from './subnets.js';

export type { ClusterConfig, DesiredOutput } from './common.js';
export { desiredCentralizedGateways, desiredNodes } from './nodes.js';
export { desiredPod, desiredPods, podNeedsPort, type PodPlacement } from './pods.js';
export { desiredPolicies, desiredPolicy, type ResolvedPeer, type ResolvedPolicy, type ResolvedRule } from './policies.js';
export { desiredServices } from './services.js';
export { CLUSTER_LOAD_BALANCERS, desiredClusterRouter, desiredSubnets } from './subnets.js';

export interface ClusterInput {
  /** Valid subnets (parseSubnets), including the join subnet. */
  subnets: readonly ParsedSubnet[];
  nodes: readonly NodeRecord[];
  pods: readonly PodRecord[];
  services: readonly ServiceRecord[];
  endpointSlices: readonly EndpointSliceRecord[];
  policies: readonly ResolvedPolicy[];
  podAllocation: (pod: PodRecord) => Allocation | undefined;
  nodeAllocation: (node: NodeRecord) => Allocation | undefined;
  /** Active gateway node in use per centralized subnet (kept while it stays a ready gateway node). */
  activeGateway?: (subnet: string) => string | undefined;
}

export function desiredCluster(input: ClusterInput, cfg: ClusterConfig): { state: DesiredState; errors: ValidationError[] } {
  const state = new DesiredState();
  const errors: ValidationError[] = [];
  const take = (o: { rows: Iterable<Parameters<DesiredState['add']>[0]>; errors: ValidationError[] }) => {
    state.addAll(o.rows);
    for (const e of o.errors) errors.push(e);
  };
  const byName = new Map(input.subnets.map((s) => [s.name, s]));
  take(desiredSubnets(input.subnets, cfg));
  const pods = desiredPods(input.pods, input.podAllocation, byName, cfg);
  take(pods);
  take(desiredNodes(input.nodes, input.nodeAllocation, input.subnets, pods.placement, cfg, { networkPolicies: input.policies.some((p) => !p.policy.deleting) }));
  take(desiredCentralizedGateways(input.subnets, input.nodes, input.nodeAllocation, cfg, input.activeGateway));
  take(desiredServices(input.services, input.endpointSlices, cfg));
  take(desiredPolicies(input.policies, cfg));
  return { state, errors };
}
