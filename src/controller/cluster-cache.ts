import {
  EndpointSlices,
  isServed,
  Namespaces,
  NetworkPolicies,
  Nodes,
  Pods,
  Reflector,
  Services,
  Subnets,
  Vmims,
  Vmis,
  type EndpointSliceRecord,
  type KubeApi,
  type NamespaceRecord,
  type NetworkPolicyRecord,
  type NodeRecord,
  type ObjectRecord,
  type PodRecord,
  type ResourceType,
  type ServiceRecord,
  type SubnetRecord,
  type VmimRecord,
  type VmiRecord,
} from '../k8s/index.js';
import type { Logger } from '../util/log.js';

/** Every resource the controller reads, each through its own reflector. */
export interface ClusterCache {
  nodes: Reflector<NodeRecord>;
  namespaces: Reflector<NamespaceRecord>;
  pods: Reflector<PodRecord>;
  services: Reflector<ServiceRecord>;
  endpointSlices: Reflector<EndpointSliceRecord>;
  policies: Reflector<NetworkPolicyRecord>;
  subnets: Reflector<SubnetRecord>;
  /** Only when the API server serves kubevirt.io/v1. */
  kubevirt?: { vmis: Reflector<VmiRecord>; vmims: Reflector<VmimRecord> };
  all(): Reflector<ObjectRecord>[];
  start(): void;
  waitForSync(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function createClusterCache(api: KubeApi, log: Logger): Promise<ClusterCache> {
  const r = <R extends ObjectRecord>(t: ResourceType<R>, listInWorker = false) => new Reflector<R>(api, t, { logger: log, listInWorker });
  const kubevirt = (await isServed(api, Vmis)) ? { vmis: r(Vmis), vmims: r(Vmims) } : undefined;
  const cache = {
    nodes: r(Nodes),
    namespaces: r(Namespaces),
    // The one large list: its JSON.parse and trimming run on another core.
    pods: r(Pods, true),
    services: r(Services),
    endpointSlices: r(EndpointSlices),
    policies: r(NetworkPolicies),
    subnets: r(Subnets),
    kubevirt,
  };
  const all = (): Reflector<ObjectRecord>[] =>
    [cache.nodes, cache.namespaces, cache.pods, cache.services, cache.endpointSlices, cache.policies, cache.subnets, ...(kubevirt ? [kubevirt.vmis, kubevirt.vmims] : [])] as unknown as Reflector<ObjectRecord>[];
  return {
    ...cache,
    all,
    start: () => all().forEach((x) => x.start()),
    waitForSync: async (ms) => {
      await Promise.all(all().map((x) => x.waitForSync(ms)));
    },
    stop: async () => {
      await Promise.all(all().map((x) => x.stop()));
    },
  };
}
