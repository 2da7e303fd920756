/**
 * Compact records: what the controller keeps of each Kubernetes object.
 * Objects are trimmed to these on arrival (no managedFields, no status the
 * controller does not read), which is what keeps 150k pods affordable.
 * These types are the contract between src/k8s (producer) and
 * src/controller / src/index (consumers).
 */
export type Labels = Readonly<Record<string, string>>;

export interface ObjectRecord {
  uid: string;
  name: string;
  /** Empty for cluster-scoped kinds. */
  namespace: string;
  resourceVersion: string;
  labels: Labels;
  /** Only annotations the controller reads (ovn.kubernetes.io/*, kubevirt.io/*, ...). */
  annotations: Labels;
  deleting: boolean;
}

export interface NodeRecord extends ObjectRecord {
  internalIPs: string[];
  ready: boolean;
}

export type NamespaceRecord = ObjectRecord;

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface PodRecord extends ObjectRecord {
  nodeName: string;
  phase: string;
  hostNetwork: boolean;
  podIPs: string[];
  /** Named ports are resolved from these by NetworkPolicy port rules. */
  ports: ContainerPort[];
}

export interface ServicePort {
  name?: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  targetPort?: number | string;
}

export interface ServiceRecord extends ObjectRecord {
  type: string;
  clusterIPs: string[];
  ports: ServicePort[];
  /** undefined: a Service without selector (endpoints managed by hand). */
  selector?: Labels;
  /** spec.sessionAffinity; 'ClientIP' puts the VIPs in the session load balancers. */
  sessionAffinity?: 'ClientIP' | 'None';
}

export interface Endpoint {
  addresses: string[];
  ready: boolean;
  nodeName?: string;
  targetPod?: string;
}

export interface EndpointSliceRecord extends ObjectRecord {
  serviceName: string;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[];
  ports: { name?: string; port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** A Kubernetes LabelSelector; `undefined` where the object has none (selects nothing for peers). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except: string[] };
}

export interface PolicyPort {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** undefined: all ports of the protocol. */
  port?: number | string;
  endPort?: number;
}

export interface PolicyRule {
  /** Empty: all peers. */
  peers: PolicyPeer[];
  /** Empty: all ports. */
  ports: PolicyPort[];
}

export interface NetworkPolicyRecord extends ObjectRecord {
  podSelector: LabelSelector;
  policyTypes: ('Ingress' | 'Egress')[];
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

/** kubeovn.io/v1 Subnet (cluster-scoped). */
export interface SubnetRecord extends ObjectRecord {
  cidrBlock: string;
  gateway: string;
  excludeIps: string[];
  gatewayType: 'distributed' | 'centralized';
  gatewayNode: string;
  private: boolean;
  allowSubnets: string[];
  namespaces: string[];
  isDefault: boolean;
  protocol: 'IPv4' | 'IPv6' | 'Dual';
  provider: string;
  vpc: string;
}

/** kubevirt.io/v1 VirtualMachineInstance, as far as live migration needs it. */
export interface VmiRecord extends ObjectRecord {
  nodeName: string;
  migrationState?: {
    migrationUid: string;
    sourceNode: string;
    targetNode: string;
    targetPod: string;
    completed: boolean;
    failed: boolean;
  };
}

/** kubevirt.io/v1 VirtualMachineInstanceMigration. */
export interface VmimRecord extends ObjectRecord {
  vmiName: string;
  phase: string;
}

export interface LeaseRecord extends ObjectRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** When the current holder took the lease ('' when unset). */
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}
