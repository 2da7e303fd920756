import { describe, expect, it } from 'vitest';
import { PolicyResolver } from '../../src/controller/policy-resolver.js';
import { matchesSpec, policyPeerSpec, policyTargetSpec } from '../../src/index/index.js';
import type { PodRecord } from '../../src/k8s/records.js';
import { generatedSnapshot } from '../support/generated.js';

function cluster(seed: number) {
  const { namespaces, pods, policies, services } = generatedSnapshot({ seed, nodes: 6, pods: 900, namespaces: 8, policies: 60, services: 40 });
  return { namespaces, pods, policies, services };
}

const ip = (p: PodRecord) => p.podIPs[0];
const port = (p: PodRecord) => `${p.name}.${p.namespace}`;

describe('policy resolver against the reference selector semantics', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: targets, peers and Service fan-out match a direct evaluation`, async () => {
      const c = cluster(seed);
      const r = new PolicyResolver(c.pods.length, { ip, port });
      for (const ns of c.namespaces) r.upsertNamespace(ns);
      for (const p of c.pods) r.upsertPod(p);
      expect(r.compile(c.policies, c.services)).toEqual([]);
      expect(r.selectorCount).toBeLessThan(c.policies.length * 3 + c.services.length);
      await r.evaluate();
      const resolved = r.resolveAll();
      const nsLabels = new Map(c.namespaces.map((n) => [n.name, n.labels]));
      const select = (spec: Parameters<typeof matchesSpec>[0]) => c.pods.filter((p) => matchesSpec(spec, p, nsLabels.get(p.namespace)));
      let serviceHits = 0;
      expect(resolved.map((x) => x.policy.name)).toEqual(c.policies.map((p) => p.name));
      for (const res of resolved) {
        const np = res.policy;
        expect(res.selectedPorts).toEqual([...new Set(select(policyTargetSpec(np)).map(port))].sort());
        for (const dir of ['ingress', 'egress'] as const) {
          np[dir].forEach((rule, k) =>
            rule.peers.forEach((peer, j) => {
              const got = res[dir][k]!.peers[j]!;
              const spec = policyPeerSpec(np.namespace, peer);
              const pods = spec ? select(spec) : [];
              expect(got.podIPs).toEqual([...new Set(pods.map(ip).filter((x): x is string => !!x))].sort());
              const uids = new Set(pods.map((p) => p.uid));
              const svcIPs = c.services
                .filter((s) => s.selector && Object.keys(s.selector).length && c.pods.some((p) => uids.has(p.uid) && p.namespace === s.namespace && Object.entries(s.selector!).every(([kk, v]) => p.labels[kk] === v)))
                .flatMap((s) => s.clusterIPs.filter((x) => x && x !== 'None'));
              expect(got.serviceIPs).toEqual([...new Set(svcIPs)].sort());
              serviceHits += got.serviceIPs.length;
            }),
          );
        }
      }
      expect(serviceHits).toBeGreaterThan(0);
      r.dispose();
    });
  }
});
