/**
 * Raw Kubernetes objects → compact records (src/k8s/records.ts). Each
 * function validates what it keeps and throws only RecordError. Records are
 * frozen-shared where alike (labels, port lists): treat them as immutable.
 */
import { intern, internList, isRaw, Reader, RecordError, type Raw } from './fields.js';
import type {
  ContainerPort,
  Endpoint,
  EndpointSliceRecord,
  LabelSelector,
  LeaseRecord,
  NamespaceRecord,
  NetworkPolicyRecord,
  NodeRecord,
  ObjectRecord,
  PodRecord,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
  ServicePort,
  ServiceRecord,
  SubnetRecord,
  VmimRecord,
  VmiRecord,
} from './records.js';

export { RecordError };

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** Annotations the controller reads; the rest (last-applied configs, tool notes) are dropped. */
export function keptAnnotation(key: string): boolean {
  return (
    key.includes('ovn.kubernetes.io/') ||
    key.startsWith('kubevirt.io/') ||
    key.startsWith('kubeovn.io/') ||
    key.startsWith('k8s.v1.cni.cncf.io/')
  );
}

/** "Pod ns/name" for error messages, from whatever the object has. */
function objectName(kind: string, raw: unknown): string {
  const md = isRaw(raw) && isRaw(raw.metadata) ? raw.metadata : {};
  const name = typeof md.name === 'string' ? md.name : '?';
  return typeof md.namespace === 'string' && md.namespace ? `${kind} ${md.namespace}/${name}` : `${kind} ${name}`;
}

function base(kind: string, raw: unknown, namespaced: boolean): { r: Reader; o: Raw; rec: ObjectRecord } {
  const r: Reader = new Reader(objectName(kind, raw));
  if (!isRaw(raw)) r.fail('(object)', 'expected a JSON object');
  const md = r.obj(raw.metadata, 'metadata') ?? r.fail('metadata', 'required');
  const rec: ObjectRecord = {
    uid: r.required(md.uid, 'metadata.uid'),
    name: r.required(md.name, 'metadata.name'),
    namespace: namespaced ? intern(r.required(md.namespace, 'metadata.namespace')) : '',
    resourceVersion: r.str(md.resourceVersion, 'metadata.resourceVersion'),
    labels: r.labels(md.labels, 'metadata.labels'),
    annotations: r.labels(md.annotations, 'metadata.annotations', keptAnnotation),
    deleting: md.deletionTimestamp !== undefined && md.deletionTimestamp !== null,
  };
  return { r, o: raw, rec };
}

export function trimNode(raw: unknown): NodeRecord {
  const { r, o, rec } = base('Node', raw, false);
  const status = r.obj(o.status, 'status') ?? {};
  const internalIPs: string[] = [];
  r.arr(status.addresses, 'status.addresses').forEach((a, i) => {
    const ao = r.obj(a, `status.addresses[${i}]`) ?? {};
    if (ao.type === 'InternalIP') internalIPs.push(r.required(ao.address, `status.addresses[${i}].address`));
  });
  let ready = false;
  r.arr(status.conditions, 'status.conditions').forEach((c, i) => {
    const co = r.obj(c, `status.conditions[${i}]`) ?? {};
    if (co.type === 'Ready') ready = r.str(co.status, `status.conditions[${i}].status`) === 'True';
  });
  return { ...rec, internalIPs, ready };
}

export function trimNamespace(raw: unknown): NamespaceRecord {
  return base('Namespace', raw, false).rec;
}

export function trimPod(raw: unknown): PodRecord {
  const { r, o, rec } = base('Pod', raw, true);
  const spec = r.obj(o.spec, 'spec') ?? {};
  const status = r.obj(o.status, 'status') ?? {};
  const podIPs = r.arr(status.podIPs, 'status.podIPs').map((p, i) => r.required((r.obj(p, `status.podIPs[${i}]`) ?? {}).ip, `status.podIPs[${i}].ip`));
  if (podIPs.length === 0 && r.str(status.podIP, 'status.podIP') !== '') podIPs.push(r.str(status.podIP, 'status.podIP'));
  const ports: ContainerPort[] = [];
  r.arr(spec.containers, 'spec.containers').forEach((c, ci) => {
    const co = r.obj(c, `spec.containers[${ci}]`) ?? {};
    r.arr(co.ports, `spec.containers[${ci}].ports`).forEach((p, pi) => {
      const f = `spec.containers[${ci}].ports[${pi}]`;
      const po = r.obj(p, f) ?? {};
      const name = r.str(po.name, `${f}.name`);
      ports.push({
        ...(name ? { name: intern(name) } : {}),
        containerPort: r.int(po.containerPort, `${f}.containerPort`, 1, 65535),
        protocol: r.oneOf(po.protocol, `${f}.protocol`, PROTOCOLS, 'TCP'),
      });
    });
  });
  return {
    ...rec,
    nodeName: intern(r.str(spec.nodeName, 'spec.nodeName')),
    phase: intern(r.str(status.phase, 'status.phase', 'Pending')),
    hostNetwork: r.bool(spec.hostNetwork, 'spec.hostNetwork'),
    podIPs,
    ports: internList(ports),
  };
}

export function trimService(raw: unknown): ServiceRecord {
  const { r, o, rec } = base('Service', raw, true);
  const spec = r.obj(o.spec, 'spec') ?? {};
  let clusterIPs = r.strings(spec.clusterIPs, 'spec.clusterIPs');
  if (clusterIPs.length === 0 && r.str(spec.clusterIP, 'spec.clusterIP') !== '') clusterIPs = [r.str(spec.clusterIP, 'spec.clusterIP')];
  clusterIPs = clusterIPs.filter((ip) => ip !== 'None');
  const ports: ServicePort[] = r.arr(spec.ports, 'spec.ports').map((p, i) => {
    const f = `spec.ports[${i}]`;
    const po = r.obj(p, f) ?? {};
    const name = r.str(po.name, `${f}.name`);
    const targetPort = r.port(po.targetPort, `${f}.targetPort`);
    return {
      ...(name ? { name: intern(name) } : {}),
      protocol: r.oneOf(po.protocol, `${f}.protocol`, PROTOCOLS, 'TCP'),
      port: r.int(po.port, `${f}.port`, 1, 65535),
      ...(targetPort !== undefined ? { targetPort } : {}),
    };
  });
  const selector = r.labels(spec.selector, 'spec.selector');
  return {
    ...rec,
    type: intern(r.str(spec.type, 'spec.type', 'ClusterIP')),
    clusterIPs,
    ports: internList(ports),
    ...(Object.keys(selector).length > 0 ? { selector } : {}),
    sessionAffinity: r.oneOf(spec.sessionAffinity, 'spec.sessionAffinity', ['ClientIP', 'None'] as const, 'None'),
  };
}

export function trimEndpointSlice(raw: unknown): EndpointSliceRecord {
  const { r, o, rec } = base('EndpointSlice', raw, true);
  const endpoints: Endpoint[] = r.arr(o.endpoints, 'endpoints').map((e, i) => {
    const f = `endpoints[${i}]`;
    const eo = r.obj(e, f) ?? {};
    const cond = r.obj(eo.conditions, `${f}.conditions`) ?? {};
    const target = r.obj(eo.targetRef, `${f}.targetRef`);
    const nodeName = r.str(eo.nodeName, `${f}.nodeName`);
    return {
      addresses: r.strings(eo.addresses, `${f}.addresses`),
      // A nil ready condition means ready (discovery.k8s.io/v1).
      ready: r.bool(cond.ready, `${f}.conditions.ready`, true),
      ...(nodeName ? { nodeName: intern(nodeName) } : {}),
      ...(target && target.kind === 'Pod' ? { targetPod: r.str(target.name, `${f}.targetRef.name`) } : {}),
    };
  });
  const ports = r.arr(o.ports, 'ports').flatMap((p, i) => {
    const po = r.obj(p, `ports[${i}]`) ?? {};
    if (po.port === undefined || po.port === null) return [];
    const name = r.str(po.name, `ports[${i}].name`);
    return [{ ...(name ? { name: intern(name) } : {}), port: r.int(po.port, `ports[${i}].port`, 1, 65535), protocol: r.oneOf(po.protocol, `ports[${i}].protocol`, PROTOCOLS, 'TCP') }];
  });
  return {
    ...rec,
    serviceName: intern(rec.labels['kubernetes.io/service-name'] ?? ''),
    addressType: r.oneOf(o.addressType, 'addressType', ['IPv4', 'IPv6', 'FQDN'] as const, 'IPv4'),
    endpoints,
    ports: internList(ports),
  };
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function selector(r: Reader, v: unknown, field: string): LabelSelector | undefined {
  const o = r.obj(v, field);
  if (!o) return undefined;
  const out: LabelSelector = {};
  const ml = r.labels(o.matchLabels, `${field}.matchLabels`);
  if (Object.keys(ml).length > 0) out.matchLabels = { ...ml };
  const exprs = r.arr(o.matchExpressions, `${field}.matchExpressions`).map((e, i) => {
    const f = `${field}.matchExpressions[${i}]`;
    const eo = r.obj(e, f) ?? {};
    const operator = r.required(eo.operator, `${f}.operator`);
    if (!OPERATORS.includes(operator)) r.fail(`${f}.operator`, `expected one of ${OPERATORS.join(', ')}, got "${operator}"`);
    const values = r.strings(eo.values, `${f}.values`);
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) r.fail(`${f}.values`, `required for operator ${operator}`);
    return { key: r.required(eo.key, `${f}.key`), operator, ...(values.length ? { values } : {}) };
  });
  if (exprs.length > 0) out.matchExpressions = exprs;
  return out;
}

function rules(r: Reader, v: unknown, field: string, peersKey: 'from' | 'to'): PolicyRule[] {
  return r.arr(v, field).map((rule, i) => {
    const f = `${field}[${i}]`;
    const ro = r.obj(rule, f) ?? {};
    const peers: PolicyPeer[] = r.arr(ro[peersKey], `${f}.${peersKey}`).map((p, j) => {
      const pf = `${f}.${peersKey}[${j}]`;
      const po = r.obj(p, pf) ?? {};
      const peer: PolicyPeer = {};
      const pod = selector(r, po.podSelector, `${pf}.podSelector`);
      const ns = selector(r, po.namespaceSelector, `${pf}.namespaceSelector`);
      const block = r.obj(po.ipBlock, `${pf}.ipBlock`);
      if (pod) peer.podSelector = pod;
      if (ns) peer.namespaceSelector = ns;
      if (block) peer.ipBlock = { cidr: r.required(block.cidr, `${pf}.ipBlock.cidr`), except: r.strings(block.except, `${pf}.ipBlock.except`) };
      if (!pod && !ns && !block) r.fail(pf, 'a peer needs podSelector, namespaceSelector or ipBlock');
      return peer;
    });
    const ports: PolicyPort[] = r.arr(ro.ports, `${f}.ports`).map((p, j) => {
      const pf = `${f}.ports[${j}]`;
      const po = r.obj(p, pf) ?? {};
      const port = r.port(po.port, `${pf}.port`);
      const endPort = po.endPort === undefined || po.endPort === null ? undefined : r.int(po.endPort, `${pf}.endPort`, 1, 65535);
      if (endPort !== undefined && (typeof port !== 'number' || endPort < port)) r.fail(`${pf}.endPort`, 'needs a numeric port not above it');
      return { protocol: r.oneOf(po.protocol, `${pf}.protocol`, PROTOCOLS, 'TCP'), ...(port !== undefined ? { port } : {}), ...(endPort !== undefined ? { endPort } : {}) };
    });
    return { peers, ports };
  });
}

export function trimNetworkPolicy(raw: unknown): NetworkPolicyRecord {
  const { r, o, rec } = base('NetworkPolicy', raw, true);
  const spec = r.obj(o.spec, 'spec') ?? r.fail('spec', 'required');
  const ingress = rules(r, spec.ingress, 'spec.ingress', 'from');
  const egress = rules(r, spec.egress, 'spec.egress', 'to');
  let policyTypes = r.arr(spec.policyTypes, 'spec.policyTypes').map((t, i) => r.oneOf(t, `spec.policyTypes[${i}]`, ['Ingress', 'Egress'] as const, 'Ingress'));
  // The API server's default: Ingress always, Egress when egress rules exist.
  if (policyTypes.length === 0) policyTypes = spec.egress !== undefined && spec.egress !== null ? ['Ingress', 'Egress'] : ['Ingress'];
  return { ...rec, podSelector: selector(r, spec.podSelector, 'spec.podSelector') ?? {}, policyTypes, ingress, egress };
}

export function trimSubnet(raw: unknown): SubnetRecord {
  const { r, o, rec } = base('Subnet', raw, false);
  const spec = r.obj(o.spec, 'spec') ?? r.fail('spec', 'required');
  const cidrBlock = r.required(spec.cidrBlock, 'spec.cidrBlock');
  const derived = cidrBlock.includes(',') ? 'Dual' : cidrBlock.includes(':') ? 'IPv6' : 'IPv4';
  return {
    ...rec,
    cidrBlock,
    gateway: r.str(spec.gateway, 'spec.gateway'),
    excludeIps: r.strings(spec.excludeIps, 'spec.excludeIps'),
    gatewayType: r.oneOf(spec.gatewayType, 'spec.gatewayType', ['distributed', 'centralized'] as const, 'distributed'),
    gatewayNode: r.str(spec.gatewayNode, 'spec.gatewayNode'),
    private: r.bool(spec.private, 'spec.private'),
    allowSubnets: r.strings(spec.allowSubnets, 'spec.allowSubnets'),
    namespaces: r.strings(spec.namespaces, 'spec.namespaces'),
    isDefault: r.bool(spec.default, 'spec.default'),
    protocol: r.oneOf(spec.protocol, 'spec.protocol', ['IPv4', 'IPv6', 'Dual'] as const, derived),
    provider: r.str(spec.provider, 'spec.provider', 'ovn'),
    vpc: r.str(spec.vpc, 'spec.vpc', 'ovn-cluster'),
  };
}

export function trimVmi(raw: unknown): VmiRecord {
  const { r, o, rec } = base('VirtualMachineInstance', raw, true);
  const status = r.obj(o.status, 'status') ?? {};
  const ms = r.obj(status.migrationState, 'status.migrationState');
  return {
    ...rec,
    nodeName: intern(r.str(status.nodeName, 'status.nodeName')),
    ...(ms
      ? {
          migrationState: {
            migrationUid: r.str(ms.migrationUid, 'status.migrationState.migrationUid'),
            sourceNode: r.str(ms.sourceNode, 'status.migrationState.sourceNode'),
            targetNode: r.str(ms.targetNode, 'status.migrationState.targetNode'),
            targetPod: r.str(ms.targetPod, 'status.migrationState.targetPod'),
            completed: r.bool(ms.completed, 'status.migrationState.completed'),
            failed: r.bool(ms.failed, 'status.migrationState.failed'),
          },
        }
      : {}),
  };
}

export function trimVmim(raw: unknown): VmimRecord {
  const { r, o, rec } = base('VirtualMachineInstanceMigration', raw, true);
  const spec = r.obj(o.spec, 'spec') ?? r.fail('spec', 'required');
  const status = r.obj(o.status, 'status') ?? {};
  return { ...rec, vmiName: r.required(spec.vmiName, 'spec.vmiName'), phase: r.str(status.phase, 'status.phase') };
}

export function trimLease(raw: unknown): LeaseRecord {
  const { r, o, rec } = base('Lease', raw, true);
  const spec = r.obj(o.spec, 'spec') ?? {};
  return {
    ...rec,
    holderIdentity: r.str(spec.holderIdentity, 'spec.holderIdentity'),
    leaseDurationSeconds: r.int(spec.leaseDurationSeconds, 'spec.leaseDurationSeconds', 0, 2 ** 31 - 1, 0),
    acquireTime: r.str(spec.acquireTime, 'spec.acquireTime'),
    renewTime: r.str(spec.renewTime, 'spec.renewTime'),
    leaseTransitions: r.int(spec.leaseTransitions, 'spec.leaseTransitions', 0, 2 ** 31 - 1, 0),
  };
}
