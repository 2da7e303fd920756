import { describe, expect, it } from 'vitest';
import {
  aclName,
  clusterLoadBalancerName,
  nodePortGroupName,
  nodePortName,
  podPortName,
  policyAddressSetName,
  policyPortGroupName,
  policyRuleAclName,
  routerPortName,
  subnetNodePortGroupName,
  switchRouterPortName,
} from '../../src/nb/naming.js';

describe('Kube-OVN names', () => {
  it('names ports and router links like Kube-OVN', () => {
    expect(podPortName('web-0', 'default')).toBe('web-0.default');
    expect(switchRouterPortName('ovn-cluster', 'ovn-default')).toBe('ovn-default-ovn-cluster');
    expect(routerPortName('ovn-cluster', 'ovn-default')).toBe('ovn-cluster-ovn-default');
    expect(nodePortName('kube-node-1')).toBe('node-kube-node-1');
  });

  it("replaces '-' by '.' in port group names", () => {
    expect(nodePortGroupName('kube-node-1')).toBe('node.kube.node.1');
    expect(subnetNodePortGroupName('ovn-default', 'kube-node-1')).toBe('ovn.default.kube.node.1');
    expect(policyPortGroupName('my-ns', 'allow-web')).toBe('allow.web.my.ns');
  });

  it("prefixes policy names that do not start with a letter with 'np'", () => {
    expect(policyPortGroupName('ns', '1-deny')).toBe('np1.deny.ns');
    expect(policyAddressSetName('ns', '1-deny', 'ingress', 'allow', 0)).toBe('np1.deny.ns.ingress.allow.IPv4.0');
  });

  it('names address sets and ACLs per direction, kind and rule', () => {
    expect(policyAddressSetName('my-ns', 'allow-web', 'egress', 'except', 2)).toBe('allow.web.my.ns.egress.except.IPv4.2');
    expect(policyAddressSetName('ns', 'np', 'ingress', 'allow', 'all')).toBe('np.ns.ingress.allow.IPv4.all');
    expect(policyRuleAclName('my-ns', 'allow-web', 'ingress', 1)).toBe('np/allow-web.my-ns/ingress/IPv4/1');
    expect(policyRuleAclName('ns', 'np', 'egress', 0, true)).toBe('np/np.ns/egress/IPv4/0/ipBlock');
  });

  it('cuts ACL names to 63 characters the way Kube-OVN does', () => {
    const long = 'x'.repeat(70);
    expect(aclName(long)).toBe('x'.repeat(60) + '...');
    expect(aclName('short')).toBe('short');
  });

  it('names the cluster load balancers', () => {
    expect(clusterLoadBalancerName('TCP')).toBe('cluster-tcp-loadbalancer');
    expect(clusterLoadBalancerName('SCTP')).toBe('cluster-sctp-loadbalancer');
  });
});
