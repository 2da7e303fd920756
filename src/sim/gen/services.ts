import type { AppShape, K8sObject, PodIdentity } from './objects.js';

/** Kubernetes puts at most 100 endpoints in one EndpointSlice by default. */
const SLICE_MAX = 100;

export interface ServiceShape {
  name: string;
  namespace: string;
  uid: string;
  clusterIP: string;
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: number | string; protocol: 'TCP' | 'UDP' }[];
}

export function serviceObj(s: ServiceShape, i: number): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace, uid: s.uid, creationTimestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z'), labels: { ...s.selector } },
    spec: {
      type: 'ClusterIP',
      clusterIP: s.clusterIP,
      clusterIPs: [s.clusterIP],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
      selector: s.selector,
      ports: s.ports,
    },
    status: { loadBalancer: {} },
  };
}

/**
 * EndpointSlices as the EndpointSlice controller writes them: one address
 * per ready pod (its pod IP), chunks of 100, target ports resolved from the
 * Service's targetPort. A greenfield cluster's pods have no IP yet, so their
 * slices have no endpoints.
 */
export function endpointSliceObjs(s: ServiceShape, pods: readonly PodIdentity[], app: AppShape | undefined, uid: () => string, suffix: () => string): K8sObject[] {
  const ready = pods.filter((p) => p.ip !== '');
  const ports = s.ports.map((p) => ({
    name: p.name,
    protocol: p.protocol,
    port: typeof p.targetPort === 'number' ? p.targetPort : p.targetPort === 'http' && app ? app.port : 9100,
  }));
  const slices: K8sObject[] = [];
  for (let k = 0; k === 0 || k < ready.length; k += SLICE_MAX) {
    const chunk = ready.slice(k, k + SLICE_MAX);
    slices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${s.name}-${suffix()}`,
        generateName: `${s.name}-`,
        namespace: s.namespace,
        uid: uid(),
        labels: { 'kubernetes.io/service-name': s.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: s.name, uid: s.uid, controller: true, blockOwnerDeletion: true }],
      },
      addressType: 'IPv4',
      endpoints: chunk.map((p) => ({
        addresses: [p.ip],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: p.nodeName,
        targetRef: { kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid },
      })),
      ports,
    });
  }
  return slices;
}
