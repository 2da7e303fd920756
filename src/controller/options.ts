import type { SubnetRecord } from '../k8s/records.js';
import type { HeapTarget } from '../util/heap-governor.js';
import type { ClusterConfig } from './desired/common.js';

/** What `ovnscale controller` is told by its flags (defaults as kube-ovn-controller's). */
export interface ControllerOptions {
  clusterRouter: string;
  defaultSubnet: string;
  defaultCidr: string;
  /** '' = the CIDR's first host address. */
  defaultGateway: string;
  defaultExcludeIps: string[];
  nodeSwitch: string;
  nodeSwitchCidr: string;
  vendor: string;
  maxOpsPerTxn: number;
  workerNum: number;
  wasmWorkers: number;
  /** Soft target of the V8 heap in MiB or auto (util/heap-governor.ts); 0: V8's own heuristics. */
  heapTargetMb: HeapTarget;
}

export const DEFAULT_OPTIONS: ControllerOptions = {
  clusterRouter: 'ovn-cluster',
  defaultSubnet: 'ovn-default',
  defaultCidr: '10.16.0.0/16',
  defaultGateway: '',
  defaultExcludeIps: [],
  nodeSwitch: 'join',
  nodeSwitchCidr: '100.64.0.0/16',
  vendor: 'kube-ovn',
  maxOpsPerTxn: 1000,
  workerNum: 3,
  wasmWorkers: 2,
  heapTargetMb: 0,
};

export const clusterConfig = (o: ControllerOptions): ClusterConfig => ({ vendor: o.vendor, clusterRouter: o.clusterRouter, nodeSwitch: o.nodeSwitch });

/** A Subnet record with Kube-OVN's defaults (distributed, IPv4, not private), for subnets the controller makes up. */
export function subnetRecord(name: string, cidrBlock: string, more: Partial<SubnetRecord> = {}): SubnetRecord {
  return {
    uid: `ovnscale-builtin-${name}`,
    name,
    namespace: '',
    resourceVersion: '0',
    labels: {},
    annotations: {},
    deleting: false,
    cidrBlock,
    gateway: '',
    excludeIps: [],
    gatewayType: 'distributed',
    gatewayNode: '',
    private: false,
    allowSubnets: [],
    namespaces: [],
    isDefault: false,
    protocol: 'IPv4',
    provider: 'ovn',
    vpc: '',
    ...more,
  };
}

/**
 * The Subnets the controller works with: those in the API, plus the default
 * and join subnets from the flags when the API has none of that name (as
 * kube-ovn-controller creates them).
 */
export function effectiveSubnets(fromApi: Iterable<SubnetRecord>, o: ControllerOptions): SubnetRecord[] {
  const out = [...fromApi];
  const has = (n: string) => out.some((s) => s.name === n);
  if (!has(o.defaultSubnet)) out.push(subnetRecord(o.defaultSubnet, o.defaultCidr, { gateway: o.defaultGateway, excludeIps: o.defaultExcludeIps, isDefault: true }));
  if (!has(o.nodeSwitch)) out.push(subnetRecord(o.nodeSwitch, o.nodeSwitchCidr));
  return out;
}
