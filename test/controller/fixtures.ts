/** Record builders for controller tests. */
import type {
  EndpointSliceRecord,
  NetworkPolicyRecord,
  NodeRecord,
  PodRecord,
  ServiceRecord,
  SubnetRecord,
} from '../../src/k8s/records.js';
import type { ClusterConfig } from '../../src/controller/desired/index.js';
import { subnetRecord } from '../../src/controller/options.js';

export const cfg: ClusterConfig = { vendor: 'kube-ovn', clusterRouter: 'ovn-cluster', nodeSwitch: 'join' };

const base = (name: string, namespace = '') => ({
  uid: `uid-${namespace}-${name}`,
  name,
  namespace,
  resourceVersion: '1',
  labels: {},
  annotations: {},
  deleting: false,
});

export function subnet(name: string, cidrBlock: string, more: Partial<SubnetRecord> = {}): SubnetRecord {
  return subnetRecord(name, cidrBlock, { ...base(name), vpc: 'ovn-cluster', ...more });
}

export function node(name: string, ip: string, more: Partial<NodeRecord> = {}): NodeRecord {
  return { ...base(name), internalIPs: [ip], ready: true, ...more };
}

export function pod(namespace: string, name: string, nodeName: string, more: Partial<PodRecord> = {}): PodRecord {
  return { ...base(name, namespace), nodeName, phase: 'Running', hostNetwork: false, podIPs: [], ports: [], ...more };
}

export function policy(namespace: string, name: string, more: Partial<NetworkPolicyRecord> = {}): NetworkPolicyRecord {
  return { ...base(name, namespace), podSelector: {}, policyTypes: ['Ingress'], ingress: [], egress: [], ...more };
}

export function service(namespace: string, name: string, more: Partial<ServiceRecord> = {}): ServiceRecord {
  return { ...base(name, namespace), type: 'ClusterIP', clusterIPs: [], ports: [], selector: {}, ...more };
}

export function slice(namespace: string, name: string, serviceName: string, more: Partial<EndpointSliceRecord> = {}): EndpointSliceRecord {
  return { ...base(name, namespace), serviceName, addressType: 'IPv4', endpoints: [], ports: [], ...more };
}
