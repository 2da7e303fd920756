import { describe, expect, it } from 'vitest';
import { RecordError, trimEndpointSlice, trimNetworkPolicy, trimNode, trimPod, trimService, trimSubnet, trimVmi } from '../../src/k8s/index.js';

const md = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({ name, uid: `uid-${name}`, resourceVersion: '7', ...(namespace ? { namespace } : {}), ...extra });

function errorOf(f: () => unknown): RecordError {
  try {
    f();
  } catch (err) {
    if (err instanceof RecordError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('trimming raw objects into records', () => {
  it('keeps what the controller reads of a pod and drops the rest', () => {
    const rec = trimPod({
      metadata: md('p', 'ns', {
        labels: { app: 'web' },
        annotations: { 'ovn.kubernetes.io/ip_address': '10.0.0.5', 'kubectl.kubernetes.io/last-applied-configuration': '{...}' },
        managedFields: [{ manager: 'kubectl' }],
      }),
      spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }] },
      status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] },
    });
    expect(rec).toEqual({
      uid: 'uid-p',
      name: 'p',
      namespace: 'ns',
      resourceVersion: '7',
      labels: { app: 'web' },
      annotations: { 'ovn.kubernetes.io/ip_address': '10.0.0.5' },
      deleting: false,
      nodeName: 'n1',
      phase: 'Running',
      hostNetwork: false,
      podIPs: ['10.0.0.5'],
      ports: [
        { name: 'http', containerPort: 8080, protocol: 'TCP' },
        { containerPort: 53, protocol: 'UDP' },
      ],
    });
  });

  it('shares identical label maps between records', () => {
    const a = trimPod({ metadata: md('a', 'ns', { labels: { app: 'x', tier: 'y' } }) });
    const b = trimPod({ metadata: md('b', 'ns', { labels: { app: 'x', tier: 'y' } }) });
    expect(a.labels).toBe(b.labels);
    expect(Object.isFrozen(a.labels)).toBe(true);
  });

  it('names the object and the field in errors', () => {
    const e1 = errorOf(() => trimPod({ metadata: md('p', 'ns'), spec: { containers: [{ ports: [{ containerPort: 70000 }] }] } }));
    expect(e1.object).toBe('Pod ns/p');
    expect(e1.field).toBe('spec.containers[0].ports[0].containerPort');
    expect(e1.message).toMatch(/expected an integer in 1\.\.65535, got 70000/);
    expect(errorOf(() => trimPod({ metadata: { name: 'p', namespace: 'ns' } })).field).toBe('metadata.uid');
    expect(errorOf(() => trimNode({ metadata: md('n', undefined, { labels: { a: 1 } }) })).field).toBe('metadata.labels[a]');
    expect(errorOf(() => trimSubnet({ metadata: md('s'), spec: { cidrBlock: '10.0.0.0/24', gatewayType: 'sideways' } })).field).toBe('spec.gatewayType');
    expect(errorOf(() => trimNetworkPolicy({ metadata: md('np', 'ns'), spec: { ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] } })).field).toBe('spec.ingress[0].ports[0].endPort');
    expect(errorOf(() => trimPod('nope')).object).toBe('Pod ?');
  });

  it('reads nodes, services, slices, subnets and VMIs', () => {
    const node = trimNode({
      metadata: md('n1'),
      status: { addresses: [{ type: 'InternalIP', address: '172.16.0.1' }, { type: 'Hostname', address: 'n1' }], conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(node).toMatchObject({ namespace: '', internalIPs: ['172.16.0.1'], ready: true });
    const svc = trimService({ metadata: md('s', 'ns'), spec: { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } });
    expect(svc).toMatchObject({ type: 'ClusterIP', clusterIPs: ['10.96.0.20'], selector: { app: 'web' }, ports: [{ protocol: 'TCP', port: 80, targetPort: 'http' }] });
    expect(trimService({ metadata: md('h', 'ns'), spec: { clusterIP: 'None' } }).selector).toBeUndefined();
    expect(svc.sessionAffinity).toBe('None');
    expect(trimService({ metadata: md('a', 'ns'), spec: { clusterIP: '10.96.0.21', sessionAffinity: 'ClientIP' } }).sessionAffinity).toBe('ClientIP');
    expect(() => trimService({ metadata: md('b', 'ns'), spec: { sessionAffinity: 'Sticky' } })).toThrow(/spec\.sessionAffinity/);
    const slice = trimEndpointSlice({
      metadata: md('s-abc', 'ns', { labels: { 'kubernetes.io/service-name': 's' } }),
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.5'], conditions: {}, nodeName: 'n1', targetRef: { kind: 'Pod', name: 'p' } }, { addresses: ['10.0.0.6'], conditions: { ready: false } }],
      ports: [{ name: 'http', port: 8080 }],
    });
    expect(slice).toMatchObject({ serviceName: 's', endpoints: [{ addresses: ['10.0.0.5'], ready: true, nodeName: 'n1', targetPod: 'p' }, { ready: false }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] });
    const subnet = trimSubnet({ metadata: md('ovn-default'), spec: { cidrBlock: '10.16.0.0/16', gateway: '10.16.0.1', excludeIps: ['10.16.0.1'], default: true, namespaces: ['a'] } });
    expect(subnet).toMatchObject({ gatewayType: 'distributed', isDefault: true, protocol: 'IPv4', provider: 'ovn', vpc: 'ovn-cluster', excludeIps: ['10.16.0.1'] });
    const vmi = trimVmi({ metadata: md('vm', 'ns'), status: { nodeName: 'n1', migrationState: { migrationUid: 'm', sourceNode: 'n1', targetNode: 'n2', targetPod: 'virt-launcher-vm-x', completed: false } } });
    expect(vmi.migrationState).toEqual({ migrationUid: 'm', sourceNode: 'n1', targetNode: 'n2', targetPod: 'virt-launcher-vm-x', completed: false, failed: false });
  });

  it('defaults policyTypes as the API server does', () => {
    expect(trimNetworkPolicy({ metadata: md('a', 'ns'), spec: { podSelector: {} } }).policyTypes).toEqual(['Ingress']);
    const np = trimNetworkPolicy({
      metadata: md('b', 'ns'),
      spec: { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 30000, endPort: 32767 }] }] },
    });
    expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.egress).toEqual([{ peers: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 30000, endPort: 32767 }] }]);
    expect(np.podSelector).toEqual({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] });
  });
});
