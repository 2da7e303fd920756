/**
 * Builders for generated Kubernetes objects, shaped like what an API server
 * returns for them (without managedFields), so that list/watch payloads and
 * the heap they take are realistic.
 */
import type { Json } from '../patch.js';
import type { SubnetPlan } from './ipam.js';

export type K8sObject = { [k: string]: Json };

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
  nodeName: string;
  nodeIP: string;
  /** '' in a greenfield cluster (IPAM has not run). */
  ip: string;
  mac: string;
}

export interface AppShape {
  name: string;
  namespace: string;
  tier: string;
  team: string;
  env: string;
  version: string;
  port: number;
  hash: string;
}

const stamp = (i: number): string => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

export function namespaceObj(name: string, uid: string, labels: Record<string, string>, i: number, annotations: Record<string, string> = {}): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, uid, creationTimestamp: stamp(i), labels: { 'kubernetes.io/metadata.name': name, ...labels }, annotations },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function subnetObj(plan: SubnetPlan, uid: string, i: number, isDefault: boolean, centralizedNode: string): K8sObject {
  return {
    apiVersion: 'kubeovn.io/v1',
    kind: 'Subnet',
    metadata: { name: plan.name, uid, creationTimestamp: stamp(i), labels: {} },
    spec: {
      cidrBlock: plan.cidr,
      gateway: plan.gateway,
      excludeIps: plan.excludeIps,
      gatewayType: centralizedNode ? 'centralized' : 'distributed',
      ...(centralizedNode ? { gatewayNode: centralizedNode } : {}),
      namespaces: plan.namespaces,
      default: isDefault,
      protocol: 'IPv4',
      provider: 'ovn',
      vpc: 'ovn-cluster',
      natOutgoing: true,
      private: false,
    },
  };
}

export function nodeObj(name: string, uid: string, i: number, ip: string, join?: { ip: string; mac: string }): K8sObject {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'topology.kubernetes.io/zone': `zone-${i % 3}`,
  };
  if (i < 3) labels['node-role.kubernetes.io/control-plane'] = '';
  const annotations: Record<string, string> = { 'node.alpha.kubernetes.io/ttl': '0' };
  if (join) {
    Object.assign(annotations, {
      'ovn.kubernetes.io/allocated': 'true',
      'ovn.kubernetes.io/ip_address': join.ip,
      'ovn.kubernetes.io/mac_address': join.mac,
      'ovn.kubernetes.io/cidr': '100.64.0.0/16',
      'ovn.kubernetes.io/gateway': '100.64.0.1',
      'ovn.kubernetes.io/logical_switch': 'join',
    });
  }
  const cond = (type: string, status: string, reason: string) => ({
    type,
    status,
    lastHeartbeatTime: stamp(i),
    lastTransitionTime: stamp(i),
    reason,
    message: reason,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid, creationTimestamp: stamp(i), labels, annotations },
    spec: { podCIDR: '', providerID: `sim://${name}` },
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      allocatable: { cpu: '31500m', memory: '128000Mi', pods: '250' },
      capacity: { cpu: '32', memory: '131072Mi', pods: '250' },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        cond('Ready', 'True', 'KubeletReady'),
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://1.7.22',
        kernelVersion: '6.1.0-26-amd64',
        kubeProxyVersion: 'v1.32.0',
        kubeletVersion: 'v1.32.0',
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
      },
    },
  };
}

export interface PodExtras {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReference?: { apiVersion: string; kind: string; name: string; uid: string };
  image?: string;
  subnet?: SubnetPlan;
}

export function podObj(p: PodIdentity, app: AppShape, i: number, x: PodExtras = {}): K8sObject {
  const annotations: Record<string, string> = { ...(x.annotations ?? {}) };
  if (p.ip && x.subnet) {
    Object.assign(annotations, {
      'ovn.kubernetes.io/allocated': 'true',
      'ovn.kubernetes.io/cidr': x.subnet.cidr,
      'ovn.kubernetes.io/gateway': x.subnet.gateway,
      'ovn.kubernetes.io/ip_address': p.ip,
      'ovn.kubernetes.io/logical_switch': x.subnet.name,
      'ovn.kubernetes.io/mac_address': p.mac,
      'ovn.kubernetes.io/pod_nic_type': 'veth-pair',
      'ovn.kubernetes.io/routed': 'true',
    });
  }
  const labels = x.labels ?? {
    app: app.name,
    tier: app.tier,
    team: app.team,
    env: app.env,
    version: app.version,
    'pod-template-hash': app.hash,
  };
  const owner = x.ownerReference ?? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app.name}-${app.hash}`, uid: `rs-${app.namespace}-${app.name}` };
  const running = p.ip !== '';
  const t = stamp(100_000 + i);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      generateName: `${owner.name}-`,
      namespace: p.namespace,
      uid: p.uid,
      creationTimestamp: t,
      labels,
      annotations,
      ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [
        {
          name: app.name,
          image: x.image ?? `registry.example.com/${app.team}/${app.name}:${app.version}`,
          imagePullPolicy: 'IfNotPresent',
          ports: [
            { name: 'http', containerPort: app.port, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9100, protocol: 'TCP' },
          ],
          env: [
            { name: 'APP_ENV', value: app.env },
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          ],
          resources: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      nodeName: p.nodeName,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
      volumes: [
        {
          name: 'kube-api-access',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        },
      ],
    },
    status: running
      ? {
          phase: 'Running',
          conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
            type,
            status: 'True',
            lastTransitionTime: t,
          })),
          hostIP: p.nodeIP,
          hostIPs: [{ ip: p.nodeIP }],
          podIP: p.ip,
          podIPs: [{ ip: p.ip }],
          startTime: t,
          qosClass: 'Burstable',
          containerStatuses: [
            {
              name: app.name,
              ready: true,
              restartCount: 0,
              started: true,
              image: `registry.example.com/${app.team}/${app.name}:${app.version}`,
              imageID: `registry.example.com/${app.team}/${app.name}@sha256:${app.hash.padEnd(64, '0')}`,
              containerID: `containerd://${p.uid.replace(/-/g, '')}${p.uid.replace(/-/g, '')}`,
              state: { running: { startedAt: t } },
            },
          ],
        }
      : {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: t }],
          qosClass: 'Burstable',
        },
  };
}
