/**
 * The whole cluster's desired NB state in one pass (ClusterModel.rebuild):
 * IPAM recovered from the annotations and completed, policies resolved on the
 * label index (wasm, on the pool with --wasm-workers > 0), then the pure
 * desired-state functions.
 */
import type { DesiredSource } from '../nb/desired.js';
import type { DesiredUnits } from '../nb/desired-units.js';
import type { ClusterCache } from './cluster-cache.js';
import type { Ipam } from './ipam/ipam.js';
import { ClusterModel, type ClusterSnapshot } from './model/cluster-model.js';
import type { ControllerOptions } from './options.js';
import type { ValidationError } from './validation.js';

export type { ClusterSnapshot } from './model/cluster-model.js';

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
  state: DesiredUnits;
  errors: ValidationError[];
  allocated: number;
  /** ms per step: ipam, resolve (of which evaluate: the wasm selector set), desired. */
  timings: Record<string, number>;
}

/** The desired state of a snapshot, computed once (the model is discarded). */
export async function bulkDesired(snap: ClusterSnapshot, ipam: Ipam, o: ControllerOptions): Promise<BulkDesired> {
  const model = new ClusterModel(o, ipam);
  try {
    return await rebuildModel(model, snap);
  } finally {
    model.dispose();
  }
}

/** `earlier`: rows already computed from these records, taken where equal (ClusterModel.rebuild). */
export async function rebuildModel(model: ClusterModel, snap: ClusterSnapshot, earlier?: DesiredSource): Promise<BulkDesired> {
  const r = await model.rebuild(snap, earlier);
  return { state: model.units, errors: model.errors(), allocated: r.allocated, timings: r.timings };
}
