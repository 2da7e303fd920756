/** The resources the controller watches: where they live in the API and how they are trimmed. */
import type {
  EndpointSliceRecord,
  LeaseRecord,
  NamespaceRecord,
  NetworkPolicyRecord,
  NodeRecord,
  ObjectRecord,
  PodRecord,
  ServiceRecord,
  SubnetRecord,
  VmimRecord,
  VmiRecord,
} from './records.js';
import {
  trimEndpointSlice,
  trimLease,
  trimNamespace,
  trimNetworkPolicy,
  trimNode,
  trimPod,
  trimService,
  trimSubnet,
  trimVmi,
  trimVmim,
} from './trim.js';

export interface ResourceType<R extends ObjectRecord> {
  kind: string;
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** Throws RecordError on bad input. */
  trim: (raw: unknown) => R;
}

const rt = <R extends ObjectRecord>(kind: string, group: string, version: string, plural: string, namespaced: boolean, trim: (raw: unknown) => R): ResourceType<R> => ({
  kind,
  group,
  version,
  plural,
  namespaced,
  trim,
});

export const Nodes = rt<NodeRecord>('Node', '', 'v1', 'nodes', false, trimNode);
export const Namespaces = rt<NamespaceRecord>('Namespace', '', 'v1', 'namespaces', false, trimNamespace);
export const Pods = rt<PodRecord>('Pod', '', 'v1', 'pods', true, trimPod);
export const Services = rt<ServiceRecord>('Service', '', 'v1', 'services', true, trimService);
export const EndpointSlices = rt<EndpointSliceRecord>('EndpointSlice', 'discovery.k8s.io', 'v1', 'endpointslices', true, trimEndpointSlice);
export const NetworkPolicies = rt<NetworkPolicyRecord>('NetworkPolicy', 'networking.k8s.io', 'v1', 'networkpolicies', true, trimNetworkPolicy);
export const Subnets = rt<SubnetRecord>('Subnet', 'kubeovn.io', 'v1', 'subnets', false, trimSubnet);
export const Vmis = rt<VmiRecord>('VirtualMachineInstance', 'kubevirt.io', 'v1', 'virtualmachineinstances', true, trimVmi);
export const Vmims = rt<VmimRecord>('VirtualMachineInstanceMigration', 'kubevirt.io', 'v1', 'virtualmachineinstancemigrations', true, trimVmim);
export const Leases = rt<LeaseRecord>('Lease', 'coordination.k8s.io', 'v1', 'leases', true, trimLease);

/** Every resource above, for code that gets a kind by name (the list worker). */
export const RESOURCE_TYPES: readonly ResourceType<ObjectRecord>[] = [Nodes, Namespaces, Pods, Services, EndpointSlices, NetworkPolicies, Subnets, Vmis, Vmims, Leases];

export const groupVersionPath = (t: ResourceType<ObjectRecord>): string => (t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`);

/** Collection path: all namespaces when `namespace` is empty; an object path when `name` is given. */
export function resourcePath(t: ResourceType<ObjectRecord>, namespace = '', name = ''): string {
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(t)}${ns}/${t.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Store key of a record: "ns/name", or "name" for cluster-scoped kinds. */
export const recordKey = (r: { namespace: string; name: string }): string => (r.namespace ? `${r.namespace}/${r.name}` : r.name);
