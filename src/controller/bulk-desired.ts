/**
 * The whole cluster's desired NB state in one pass: IPAM recovered from the
 * annotations and completed, policies resolved on the label index (wasm, on
 * the pool with --wasm-workers > 0), then the pure desired-state functions.
 */
import type { EndpointSliceRecord, NamespaceRecord, NetworkPolicyRecord, NodeRecord, PodRecord, ServiceRecord, SubnetRecord } from '../k8s/records.js';
import { KernelPool } from '../index/index.js';
import type { DesiredState } from '../nb/desired.js';
import { allocateMissing } from './allocation.js';
import type { ClusterCache } from './cluster-cache.js';
import { desiredCluster, podNeedsPort } from './desired/index.js';
import { podPortNameOf } from './desired/pods.js';
import { nodeOwner, podOwner, type Ipam } from './ipam/ipam.js';
import { clusterConfig, effectiveSubnets, type ControllerOptions } from './options.js';
import { PolicyResolver } from './policy-resolver.js';
import { parseSubnets } from './subnet-spec.js';
import type { ValidationError } from './validation.js';

export interface ClusterSnapshot {
  subnets: SubnetRecord[];
  nodes: NodeRecord[];
  namespaces: NamespaceRecord[];
  pods: PodRecord[];
  services: ServiceRecord[];
  endpointSlices: EndpointSliceRecord[];
  policies: NetworkPolicyRecord[];
}

export function snapshotOf(c: ClusterCache): ClusterSnapshot {
  return {
    subnets: [...c.subnets.store.values()],
    nodes: [...c.nodes.store.values()],
    namespaces: [...c.namespaces.store.values()],
    pods: [...c.pods.store.values()],
    services: [...c.services.store.values()],
    endpointSlices: [...c.endpointSlices.store.values()],
    policies: [...c.policies.store.values()],
  };
}

export interface BulkDesired {
  state: DesiredState;
  errors: ValidationError[];
  /** Subnets in force (API and built-in), for later reconciliation. */
  subnets: SubnetRecord[];
  allocated: number;
  /** ms per step: ipam, resolve (of which evaluate: the wasm selector set and Service fan-out), desired. */
  timings: Record<string, number>;
}

/**
 * @param activeGateway the gateway node a centralized subnet uses in the NB now
 *   (kept while it stays eligible, so a restart does not move traffic)
 */
export async function bulkDesired(snap: ClusterSnapshot, ipam: Ipam, o: ControllerOptions, activeGateway?: (subnet: string) => string | undefined): Promise<BulkDesired> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = now - t;
    t = now;
  };
  const subnets = effectiveSubnets(snap.subnets, o);
  // Error lists can be as long as the cluster: appended by loop, never spread onto the stack.
  const errors: ValidationError[] = [];
  const report = (more: Iterable<ValidationError>) => {
    for (const e of more) errors.push(e);
  };
  report(ipam.setSubnets(subnets).errors);
  report(ipam.recoverNodes(snap.nodes, o.nodeSwitch));
  report(ipam.recoverPods(snap.pods));
  const alloc = allocateMissing(ipam, snap.pods, snap.nodes, subnets, o);
  report(alloc.errors);
  lap('ipam');

  const resolver = new PolicyResolver(snap.pods.length);
  try {
    for (const ns of snap.namespaces) resolver.upsertNamespace(ns);
    for (const p of snap.pods) if (!p.deleting) resolver.upsertPod(p);
    report(resolver.compile(snap.policies, snap.services));
    const pool = o.wasmWorkers > 0 ? await KernelPool.open(resolver.index.engine, { threads: o.wasmWorkers }) : undefined;
    try {
      const t0 = performance.now();
      await resolver.evaluate(pool);
      timings.evaluate = performance.now() - t0;
    } finally {
      await pool?.close();
    }
    const policies = resolver.resolveAll({
      ip: (p) => ipam.get(podOwner(p))?.ip,
      port: (p) => (podNeedsPort(p) && ipam.get(podOwner(p)) ? podPortNameOf(p) : undefined),
    });
    lap('resolve');
    const { state, errors: desiredErrors } = desiredCluster(
      {
        subnets: parseSubnets(subnets).subnets,
        nodes: snap.nodes,
        pods: snap.pods,
        services: snap.services,
        endpointSlices: snap.endpointSlices,
        policies,
        podAllocation: (p) => ipam.get(podOwner(p)),
        nodeAllocation: (n) => ipam.get(nodeOwner(n)),
        activeGateway,
      },
      clusterConfig(o),
    );
    report(desiredErrors);
    lap('desired');
    return { state, errors, subnets, allocated: alloc.allocated, timings };
  } finally {
    resolver.dispose();
  }
}
