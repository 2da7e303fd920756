/** A synthetic cluster (the simulator's generator) as the trimmed records the controller reads. */
import type { ClusterSnapshot } from '../../src/controller/bulk-desired.js';
import { trimEndpointSlice, trimNamespace, trimNetworkPolicy, trimNode, trimPod, trimService, trimSubnet } from '../../src/k8s/trim.js';
import { clusterSpec, generateCluster } from '../../src/sim/gen/cluster.js';

export function generatedSnapshot(spec: Parameters<typeof clusterSpec>[0]): ClusterSnapshot {
  const s: ClusterSnapshot = { subnets: [], nodes: [], namespaces: [], pods: [], services: [], endpointSlices: [], policies: [] };
  for (const o of generateCluster(clusterSpec(spec))) {
    const kind = (o as { kind: string }).kind;
    if (kind === 'Namespace') s.namespaces.push(trimNamespace(o));
    else if (kind === 'Pod') s.pods.push(trimPod(o));
    else if (kind === 'NetworkPolicy') s.policies.push(trimNetworkPolicy(o));
    else if (kind === 'Service') s.services.push(trimService(o));
    else if (kind === 'EndpointSlice') s.endpointSlices.push(trimEndpointSlice(o));
    else if (kind === 'Node') s.nodes.push(trimNode(o));
    else if (kind === 'Subnet') s.subnets.push(trimSubnet(o));
  }
  return s;
}
