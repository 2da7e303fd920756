/**
 * The benchmark's dataset as desired NB rows: the cluster listed from the
 * API server and run through the controller's own desired-state functions,
 * so the floor and the naive baseline write exactly the rows ovnscale does.
 */
import { bulkDesired, snapshotOf } from '../controller/bulk-desired.js';
import { createClusterCache } from '../controller/cluster-cache.js';
import { Ipam } from '../controller/ipam/ipam.js';
import type { ControllerOptions } from '../controller/options.js';
import { KubeApi, loadKubeConfig } from '../k8s/index.js';
import type { DesiredUnits } from '../nb/desired-units.js';
import { kubeOvnFeatureRow } from '../nb/ownership.js';
import type { PlanOptions } from '../nb/plan.js';
import type { Logger } from '../util/log.js';

export interface Dataset {
  state: DesiredUnits;
  planOptions: PlanOptions;
  /** Pods and NetworkPolicies per namespace (the naive Service fan-out). */
  podsIn: Map<string, number>;
  policiesIn: Map<string, string[]>;
}

export async function loadDataset(kubeconfig: string, o: ControllerOptions, log: Logger): Promise<Dataset> {
  const cache = await createClusterCache(new KubeApi(loadKubeConfig(kubeconfig)), log);
  cache.start();
  let snap;
  try {
    await cache.waitForSync(600_000);
    snap = snapshotOf(cache);
  } finally {
    await cache.stop();
  }
  const d = await bulkDesired(snap, new Ipam(), { ...o, wasmWorkers: 0 });
  const podsIn = new Map<string, number>();
  for (const p of snap.pods) podsIn.set(p.namespace, (podsIn.get(p.namespace) ?? 0) + 1);
  const policiesIn = new Map<string, string[]>();
  for (const np of snap.policies) policiesIn.set(np.namespace, [...(policiesIn.get(np.namespace) ?? []), np.name]);
  return { state: d.state, planOptions: { vendor: o.vendor, keep: kubeOvnFeatureRow }, podsIn, policiesIn };
}
