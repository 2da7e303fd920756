import type { AppShape, K8sObject } from './objects.js';

export interface PolicyContext {
  namespace: string;
  uid: string;
  /** An app of the namespace the policy protects. */
  app: AppShape;
  /** A team label value of some namespace (for namespaceSelector peers). */
  peerTeam: string;
  /** A subnet CIDR to carve out of an ipBlock. */
  exceptCidr: string;
}

/** The common kinds, cycled by index: what clusters actually carry. */
export const POLICY_KINDS = [
  'default-deny-ingress',
  'allow-same-namespace',
  'allow-from-team',
  'allow-ipblock',
  'allow-port-range',
  'egress-dns',
  'default-deny-egress',
] as const;

export function policyObj(kind: (typeof POLICY_KINDS)[number], name: string, c: PolicyContext): K8sObject {
  const appSel = { matchLabels: { app: c.app.name } };
  const spec = ((): K8sObject => {
    switch (kind) {
      case 'default-deny-ingress':
        return { podSelector: {}, policyTypes: ['Ingress'] };
      case 'allow-same-namespace':
        return { podSelector: appSel, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] };
      case 'allow-from-team':
        return {
          podSelector: appSel,
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { team: c.peerTeam } }, podSelector: { matchLabels: { tier: 'frontend' } } }],
              ports: [{ protocol: 'TCP', port: c.app.port }],
            },
          ],
        };
      case 'allow-ipblock':
        return {
          podSelector: appSel,
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ ipBlock: { cidr: '10.128.0.0/9', except: [c.exceptCidr] } }], ports: [{ protocol: 'TCP', port: 443 }] }],
        };
      case 'allow-port-range':
        return {
          podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend', 'cache', 'db'] }] },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }] } }],
              ports: [
                { protocol: 'TCP', port: 30000, endPort: 32767 },
                { protocol: 'TCP', port: 'http' },
                { protocol: 'UDP', port: 5000, endPort: 5010 },
              ],
            },
          ],
        };
      case 'egress-dns':
        return {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
              ports: [
                { protocol: 'UDP', port: 53 },
                { protocol: 'TCP', port: 53 },
              ],
            },
          ],
        };
      case 'default-deny-egress':
        return { podSelector: appSel, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }] }] };
    }
  })();
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: c.namespace, uid: c.uid, generation: 1, labels: {} },
    spec,
  };
}
