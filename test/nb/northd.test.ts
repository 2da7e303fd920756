/**
 * A planned small cluster applied to a real NB ovsdb-server with ovn-northd
 * beside it: the server accepts every transaction, northd compiles the rows
 * without errors, and a second plan from the replicated cache is empty.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { desiredCluster, type ResolvedPolicy } from '../../src/controller/desired/index.js';
import { Ipam, nodeOwner, podOwner } from '../../src/controller/ipam/ipam.js';
import { parseSubnets } from '../../src/controller/subnet-spec.js';
import { runTool } from '../../src/embedded/index.js';
import type { DesiredState } from '../../src/nb/desired.js';
import { plan, type ExistingRows, type PlanOptions } from '../../src/nb/plan.js';
import { NB_TABLES } from '../../src/nb/rows.js';
import { chunkGroups, chunkOperations, type OvsdbClient } from '../../src/ovsdb/index.js';
import { useClients, useOvnCentral } from '../support/servers.js';
import { cfg, node, pod, policy, service, slice, subnet } from '../controller/fixtures.js';

function cluster(): { state: DesiredState; addr: (pod: string) => { ip: string; mac: string } } {
  const subnets = [subnet('join', '100.64.0.0/16', { gatewayType: 'centralized' }), subnet('ovn-default', '10.16.0.0/16'), subnet('apps', '10.17.0.0/16', { private: true, allowSubnets: ['10.16.0.0/16'] })];
  const ipam = new Ipam();
  ipam.setSubnets(subnets);
  const nodes = [node('node-a', '172.18.0.2'), node('node-b', '172.18.0.3')];
  for (const n of nodes) ipam.allocate(nodeOwner(n), 'join', { kind: 'Node', namespace: '', name: n.name });
  const pods = [
    pod('default', 'web-0', 'node-a', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }),
    pod('default', 'client', 'node-b', { labels: { app: 'client' } }),
    pod('apps', 'db-0', 'node-b', { labels: { app: 'db' } }),
  ];
  pods.forEach((p, i) => ipam.allocate(podOwner(p), i < 2 ? 'ovn-default' : 'apps', { kind: 'Pod', namespace: p.namespace, name: p.name }));
  const ip = (name: string) => ipam.get(podOwner(pods.find((p) => p.name === name)!))!.ip;
  const np = policy('default', 'web-allow', {
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ peers: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ protocol: 'TCP', port: 'http' }, { protocol: 'TCP', port: 9000, endPort: 9010 }] }],
    egress: [{ peers: [{ ipBlock: { cidr: '10.17.0.0/16', except: ['10.17.1.0/24'] } }, { namespaceSelector: {} }], ports: [{ protocol: 'UDP', port: 53 }] }],
  });
  const resolved: ResolvedPolicy = {
    policy: np,
    selectedPorts: ['web-0.default'],
    selectedContainerPorts: pods[0]!.ports,
    ingress: [{ peers: [{ podIPs: [ip('client')], serviceIPs: [] }], peerContainerPorts: [] }],
    egress: [{ peers: [{ podIPs: [], serviceIPs: [] }, { podIPs: pods.map((p) => ip(p.name)), serviceIPs: ['10.96.0.20'] }], peerContainerPorts: [] }],
  };
  const svc = service('default', 'web', { clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] });
  const eps = slice('default', 'web-1', 'web', { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: [ip('web-0')], ready: true }] });
  const { state, errors } = desiredCluster(
    {
      subnets: parseSubnets(subnets).subnets,
      nodes,
      pods,
      services: [svc],
      endpointSlices: [eps],
      policies: [resolved],
      podAllocation: (p) => ipam.get(podOwner(p)),
      nodeAllocation: (n) => ipam.get(nodeOwner(n)),
    },
    cfg,
  );
  expect(errors).toEqual([]);
  return { state, addr: (name) => ipam.get(podOwner(pods.find((p) => p.name === name)!))! };
}

function snapshot(nb: OvsdbClient): ExistingRows {
  const out: ExistingRows = {};
  for (const t of NB_TABLES) out[t] = [...nb.cache.table(t).rows()];
  return out;
}

/** Deletes every root row (and so every row) of the NB. */
async function wipe(nb: OvsdbClient): Promise<void> {
  const roots = ['Logical_Router', 'Logical_Switch', 'Port_Group', 'Address_Set', 'Load_Balancer'] as const;
  const ops = roots.flatMap((t) => [...nb.cache.table(t).rows()].map((r) => ({ op: 'delete' as const, table: t, where: [['_uuid', '==', r._uuid] as const] })));
  if (ops.length > 0) await nb.transact(ops);
  await new Promise((r) => setTimeout(r, 50));
  expect(NB_TABLES.every((t) => nb.cache.table(t).size === 0)).toBe(true);
}

/** Plans and applies (chunked) until a plan is empty; returns the number of rounds that wrote. */
async function converge(nb: OvsdbClient, desired: DesiredState, opts: PlanOptions, maxOps: number): Promise<number> {
  for (let round = 0; round < 6; round++) {
    const p = plan(desired, snapshot(nb), opts);
    expect(p.conflicts).toEqual([]);
    if (p.ops.length === 0 && p.deferred === 0) return round;
    for (const chunk of p.groups ? chunkGroups(p.ops, p.groups, maxOps) : chunkOperations(p.ops, maxOps)) await nb.transact(chunk);
    // The monitor update for our own transaction can trail its reply.
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('plan did not converge in 6 rounds');
}

describe('plan against a real NB and ovn-northd', () => {
  const central = useOvnCentral();
  const open = useClients();

  it('applies a small cluster, northd compiles it without errors, and a second plan is empty', async () => {
    const c = central();
    const nb = await open({ remotes: c.nb.remote, database: 'OVN_Northbound', monitor: [...NB_TABLES] });
    const { state: desired } = cluster();
    expect(await converge(nb, desired, { vendor: 'kube-ovn' }, 10_000)).toBe(1);
    expect(plan(desired, snapshot(nb), { vendor: 'kube-ovn' }).ops).toEqual([]);
    await runTool('ovn-nbctl', [`--db=${c.nb.remote}`, '--timeout=20', '--wait=sb', 'sync'], { env: c.env });
    const flows = await runTool('ovn-sbctl', [`--db=${c.sb.remote}`, 'lflow-list'], { env: c.env });
    expect(flows).toContain('web.allow.default.ingress.allow.IPv4.0');
    expect(flows).toMatch(/ip4.dst == 172.18.0.2/);
    expect(readFileSync(c.northd.logFile, 'utf8')).not.toMatch(/\|(ERR|EMER|WARN)\|/);
  });

  it('ovn-trace: the policy admits its peer on the named port and drops other ports and other sources', async () => {
    const c = central();
    const nb = await open({ remotes: c.nb.remote, database: 'OVN_Northbound', monitor: [...NB_TABLES] });
    const { state, addr } = cluster();
    await converge(nb, state, { vendor: 'kube-ovn' }, 10_000);
    await runTool('ovn-nbctl', [`--db=${c.nb.remote}`, '--timeout=20', '--wait=sb', 'sync'], { env: c.env });
    // Same switch: one --ct=new per conntrack pass, or the to-lport ACLs see an established flow.
    const trace = async (from: string, to: string, l4: string) => {
      const [f, t] = [addr(from), addr(to)];
      const flow = `inport == "${from}.default" && eth.src == ${f.mac} && eth.dst == ${t.mac} && ip4.src == ${f.ip} && ip4.dst == ${t.ip} && ip.ttl == 64 && ${l4}`;
      const out = await runTool('ovn-trace', [`--db=${c.sb.remote}`, '--ct=new', '--ct=new', '--ct=new', '--ct=new', 'ovn-default', flow], { env: c.env });
      return new RegExp(`output to "${to}\\.default"`).test(out) ? 'allow' : /drop;/.test(out) ? 'drop' : out;
    };
    const tcp = (port: number) => `tcp && tcp.src == 40000 && tcp.dst == ${port}`;
    // Ingress: from the client peer on the named port http (8080) and 9000-9010 only.
    expect(await trace('client', 'web-0', tcp(8080))).toBe('allow');
    expect(await trace('client', 'web-0', tcp(8081))).toBe('drop');
    expect(await trace('client', 'web-0', tcp(9005))).toBe('allow');
    // Egress (applied after the LB): UDP 53 to any pod of any namespace, nothing else.
    expect(await trace('web-0', 'client', 'udp && udp.src == 40000 && udp.dst == 53')).toBe('allow');
    expect(await trace('web-0', 'client', tcp(80))).toBe('drop');
  });

  it('in deferNew rounds of small transactions, reaches the same NB and stays converged', async () => {
    const c = central();
    const nb = await open({ remotes: c.nb.remote, database: 'OVN_Northbound', monitor: [...NB_TABLES] });
    const { state: desired } = cluster();
    await converge(nb, desired, { vendor: 'kube-ovn' }, 10_000);
    expect(plan(desired, snapshot(nb), { vendor: 'kube-ovn', deferNew: true }).ops).toEqual([]);
    // Wipe our rows, then rebuild them in rounds of ≤ 6-operation transactions.
    await wipe(nb);
    expect(await converge(nb, desired, { vendor: 'kube-ovn', deferNew: true, batchSize: 5 }, 6)).toBe(3);
    expect(nb.cache.table('Logical_Switch_Port').size).toBe(3 + 2 + 3); // pods, node ports, router links
    await runTool('ovn-nbctl', [`--db=${c.nb.remote}`, '--timeout=20', '--wait=sb', 'sync'], { env: c.env });
    expect(readFileSync(c.northd.logFile, 'utf8')).not.toMatch(/\|(ERR|EMER|WARN)\|/);
  });

  it('with client-chosen row uuids, one round of small transactions, each naming only rows already written, builds the same NB', async () => {
    const c = central();
    const nb = await open({ remotes: c.nb.remote, database: 'OVN_Northbound', monitor: [...NB_TABLES] });
    const { state: desired } = cluster();
    await wipe(nb);
    const opts: PlanOptions = { vendor: 'kube-ovn', deferNew: true, batchSize: 2, rowUuids: randomUUID };
    const first = plan(desired, snapshot(nb), opts);
    // The router's policies and the switches' ports go in groups under their new parents; the port groups after their ports.
    expect(first.deferred).toBe(0);
    expect(first.ops.every((op) => op.op !== 'insert' || (op.uuid !== undefined && op.uuidName === undefined))).toBe(true);
    expect(chunkGroups(first.ops, first.groups!, 3).length).toBeGreaterThan(10);
    expect(await converge(nb, desired, opts, 3)).toBe(1);
    expect(plan(desired, snapshot(nb), { vendor: 'kube-ovn' }).ops).toEqual([]);
    expect(nb.cache.table('Logical_Switch_Port').size).toBe(3 + 2 + 3);
    await runTool('ovn-nbctl', [`--db=${c.nb.remote}`, '--timeout=20', '--wait=sb', 'sync'], { env: c.env });
    expect(readFileSync(c.northd.logFile, 'utf8')).not.toMatch(/\|(ERR|EMER|WARN)\|/);
  });
});
