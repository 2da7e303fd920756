/** The resources the simulator serves, with what discovery says about them. */
export interface SimResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  /** Field selectors served beside metadata.name / metadata.namespace. */
  fields: string[];
  /** Served only when the simulator runs with KubeVirt enabled. */
  kubevirt?: boolean;
}

export const simResources: readonly SimResource[] = [
  { group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], fields: [] },
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], fields: [] },
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], fields: ['spec.nodeName'] },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], fields: [] },
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], fields: [] },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true, shortNames: [], fields: [] },
  { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'], fields: [] },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true, shortNames: [], fields: [] },
  { group: 'kubeovn.io', version: 'v1', plural: 'subnets', singular: 'subnet', kind: 'Subnet', namespaced: false, shortNames: ['subnet'], fields: [] },
  { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances', singular: 'virtualmachineinstance', kind: 'VirtualMachineInstance', namespaced: true, shortNames: ['vmi', 'vmis'], fields: [], kubevirt: true },
  { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstancemigrations', singular: 'virtualmachineinstancemigration', kind: 'VirtualMachineInstanceMigration', namespaced: true, shortNames: ['vmim', 'vmims'], fields: [], kubevirt: true },
];

export const apiVersionOf = (r: SimResource): string => (r.group === '' ? r.version : `${r.group}/${r.version}`);

/** Resource key inside the simulator: "group/version/plural" ("v1/pods" for core). */
export const resourceId = (r: SimResource): string => `${apiVersionOf(r)}/${r.plural}`;

export function findByKind(apiVersion: string, kind: string): SimResource | undefined {
  return simResources.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}
