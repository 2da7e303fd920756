/** What the cluster model reads and returns, and the ids of its units. */
import type { EndpointSliceRecord, NamespaceRecord, NetworkPolicyRecord, NodeRecord, PodRecord, ServiceRecord, SubnetRecord } from '../../k8s/records.js';
import { recordKey } from '../../k8s/resources.js';
import type { Scope } from '../../nb/scope.js';
import type { ValidationError } from '../validation.js';

export interface ClusterSnapshot {
  subnets: SubnetRecord[];
  nodes: NodeRecord[];
  namespaces: NamespaceRecord[];
  pods: PodRecord[];
  services: ServiceRecord[];
  endpointSlices: EndpointSliceRecord[];
  policies: NetworkPolicyRecord[];
}

/** Read access to the current objects (the reflectors' stores), by `ns/name` or name. */
export interface ClusterStores {
  pods: ReadonlyMap<string, PodRecord>;
  nodes: ReadonlyMap<string, NodeRecord>;
  namespaces: ReadonlyMap<string, NamespaceRecord>;
  services: ReadonlyMap<string, ServiceRecord>;
  endpointSlices: ReadonlyMap<string, EndpointSliceRecord>;
  policies: ReadonlyMap<string, NetworkPolicyRecord>;
}

/** Keys of the objects that changed since the last pass, per kind. */
export interface DirtyKeys {
  pods: Set<string>;
  nodes: Set<string>;
  namespaces: Set<string>;
  services: Set<string>;
  endpointSlices: Set<string>;
  policies: Set<string>;
}

export const emptyDirty = (): DirtyKeys => ({ pods: new Set(), nodes: new Set(), namespaces: new Set(), services: new Set(), endpointSlices: new Set(), policies: new Set() });
export const noneDirty = (d: DirtyKeys): boolean => Object.values(d).every((keys: Set<string>) => keys.size === 0);

export interface UpdateResult {
  scope: Scope;
  /** Units recomputed. */
  units: number;
  /** Pods and nodes handled, for the annotation write-back. */
  pods: PodRecord[];
  nodes: NodeRecord[];
}

export const SUBNETS_UNIT = 'subnets';
/** The centralized subnets' gateway policies: they read the nodes too, so node events recompute only these. */
export const GATEWAYS_UNIT = 'gateways';
export const SERVICES_UNIT = 'services';
const CLUSTER_ERRORS = 'cluster';
/**
 * A pod's unit is its key (`<ns>/<name>`, one slash), the string the model
 * already holds: 150k pods. No other unit can be one: the rest have no
 * slash, two, or a colon, which a namespace cannot hold.
 */
export const podUnit = (key: string) => key;
/** IPAM errors of a node (its join address), apart from its rows' errors. */
export const nodeIpamUnit = (name: string) => `node-ipam:${name}`;
export const nodeUnit = (name: string) => `node:${name}`;
export const policyUnit = (key: string) => `policy/${key}`;

/** The unit an error belongs to, so it goes away when that unit is recomputed clean. */
export function unitOfError(e: ValidationError): string {
  switch (e.kind) {
    case 'Pod':
      return podUnit(recordKey(e));
    case 'Node':
      return nodeIpamUnit(e.name);
    case 'NetworkPolicy':
      return policyUnit(recordKey(e));
    case 'Service':
      return SERVICES_UNIT;
    default:
      // Subnet and other cluster-wide errors are found by a rebuild only.
      return CLUSTER_ERRORS;
  }
}
