import { describe, expect, it } from 'vitest';
import { desiredCluster } from '../../src/controller/desired/index.js';
import { Ipam, nodeOwner, podOwner } from '../../src/controller/ipam/ipam.js';
import { parseSubnets } from '../../src/controller/subnet-spec.js';
import { DesiredState } from '../../src/nb/desired.js';
import { policyKey } from '../../src/nb/identity.js';
import { plan } from '../../src/nb/plan.js';
import { kubeOvnFeatureRow } from '../../src/nb/ownership.js';
import { NB_TABLES } from '../../src/nb/rows.js';
import { chunkOperations } from '../../src/ovsdb/chunk.js';
import type { Operation, Value } from '../../src/ovsdb/types.js';
import { cfg, node, pod, subnet } from '../controller/fixtures.js';
import { MemDb } from './memdb.js';

function smallCluster(extraPods = 0) {
  const subnets = [subnet('join', '100.64.0.0/16', { gatewayType: 'centralized' }), subnet('ovn-default', '10.16.0.0/16')];
  const ipam = new Ipam();
  ipam.setSubnets(subnets);
  const nodes = [node('node-a', '172.18.0.2'), node('node-b', '172.18.0.3')];
  for (const n of nodes) ipam.allocate(nodeOwner(n), 'join', { kind: 'Node', namespace: '', name: n.name });
  const pods = [pod('default', 'web-0', 'node-a'), pod('default', 'web-1', 'node-b')];
  for (let i = 0; i < extraPods; i++) pods.push(pod('default', `extra-${i}`, 'node-a'));
  for (const p of pods) ipam.allocate(podOwner(p), 'ovn-default', { kind: 'Pod', namespace: p.namespace, name: p.name });
  const { state } = desiredCluster(
    {
      subnets: parseSubnets(subnets).subnets,
      nodes,
      pods,
      services: [],
      endpointSlices: [],
      policies: [],
      podAllocation: (p) => ipam.get(podOwner(p)),
      nodeAllocation: (n) => ipam.get(nodeOwner(n)),
    },
    cfg,
  );
  return state;
}

/** Every text in a reference position that is not a UUID must be a uuidName of an insert in the same plan. */
function danglingNames(ops: readonly Operation[]): string[] {
  const defined = new Set(ops.flatMap((o) => (o.op === 'insert' && o.uuidName ? [o.uuidName] : [])));
  const isUuid = (s: string) => /^[0-9a-f-]{36}$/.test(s);
  const refs: string[] = [];
  const collect = (v: Value) => {
    if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && /^row\d+$/.test(x)) refs.push(x);
  };
  for (const o of ops) {
    if (o.op === 'insert') for (const c of ['ports', 'policies', 'acls', 'load_balancer']) if (o.row[c] !== undefined) collect(o.row[c]!);
    if (o.op === 'mutate') for (const [, , v] of o.mutations) collect(v);
  }
  return refs.filter((r) => !isUuid(r) && !defined.has(r));
}

describe('plan', () => {
  it('creates a cluster from scratch with consistent named-uuid references, then plans nothing', () => {
    const db = new MemDb();
    const desired = smallCluster();
    const first = plan(desired, db.snapshot(), { vendor: 'kube-ovn' });
    expect(first.conflicts).toEqual([]);
    expect(danglingNames(first.ops)).toEqual([]);
    expect(first.ops.every((o) => o.op === 'insert')).toBe(true);
    db.apply(first.ops);
    const lr = db.byName('Logical_Router', 'ovn-cluster')!;
    expect((lr['policies'] as string[]).length).toBe(2 + 2 + 2); // 2×31000, 2×30000, 2×29000
    expect((db.byName('Port_Group', 'node.node.a')!['ports'] as string[]).length).toBe(1);
    const second = plan(desired, db.snapshot(), { vendor: 'kube-ovn' });
    expect(second.ops).toEqual([]);
  });

  it('is deterministic, whatever order the desired rows arrive in', () => {
    const db = new MemDb();
    const a = plan(smallCluster(5), db.snapshot(), { vendor: 'kube-ovn' }).ops;
    const reversed = new DesiredState();
    const src = smallCluster(5);
    for (const t of NB_TABLES) reversed.addAll([...src.rows(t).values()].reverse());
    expect(plan(reversed, db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual(a);
    db.apply(a);
    const lsp = db.byName('Logical_Switch_Port', 'web-0.default')!;
    lsp['addresses'] = [];
    const drift = db.byName('Logical_Switch_Port', 'web-1.default')!;
    drift['addresses'] = [];
    expect(plan(reversed, db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual(plan(smallCluster(5), db.snapshot(), { vendor: 'kube-ovn' }).ops);
  });

  it('adopts rows kube-ovn-controller wrote: no duplicate, no rewrite of its MAC or extra keys', () => {
    const db = new MemDb();
    const lsp = db.add('Logical_Switch_Port', {
      name: 'ovn-default-ovn-cluster',
      type: 'router',
      addresses: ['router'],
      options: { 'router-port': 'ovn-cluster-ovn-default' },
      external_ids: { ls: 'ovn-default', vendor: 'kube-ovn' },
    });
    db.add('Logical_Switch', { name: 'ovn-default', ports: [lsp], acls: [], load_balancer: [], external_ids: { vendor: 'kube-ovn' } });
    const lrp = db.add('Logical_Router_Port', { name: 'ovn-cluster-ovn-default', networks: ['10.16.0.1/16'], mac: '00:00:00:aa:bb:cc', external_ids: { lr: 'ovn-cluster', vendor: 'kube-ovn', extra: 'kept' } });
    const pol = db.add('Logical_Router_Policy', { priority: 31000, match: 'ip4.dst == 10.16.0.0/16', action: 'allow', nexthops: [], external_ids: { vendor: 'kube-ovn', subnet: 'ovn-default' } });
    db.add('Logical_Router', { name: 'ovn-cluster', ports: [lrp], policies: [pol], external_ids: { vendor: 'kube-ovn' } });
    const desired = smallCluster();
    const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn' });
    db.apply(p.ops);
    expect(db.rows('Logical_Router').length).toBe(1);
    expect(db.rows('Logical_Router_Port').filter((r) => r['name'] === 'ovn-cluster-ovn-default').length).toBe(1);
    expect(db.tables.get('Logical_Router_Port')!.get(lrp)!['mac']).toBe('00:00:00:aa:bb:cc');
    expect(db.tables.get('Logical_Router_Port')!.get(lrp)!['external_ids']).toMatchObject({ extra: 'kept' });
    expect(db.rows('Logical_Router_Policy').filter((r) => r['priority'] === 31000 && r['match'] === 'ip4.dst == 10.16.0.0/16').length).toBe(1);
    // Adopted rows are not written at all.
    const touched = p.ops.filter((o) => o.op !== 'insert' && o.op !== 'mutate' && 'where' in o).map((o) => ('where' in o ? o.where[0]![2] : ''));
    expect(touched).not.toContain(lrp);
    expect(touched).not.toContain(pol);
    expect(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual([]);
  });

  it('tells `kept` of every row it keeps, with the desired values, also when it updates some of its columns', () => {
    const db = new MemDb();
    const desired = smallCluster();
    db.apply(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops);
    const lsp = db.byName('Logical_Switch_Port', 'web-0.default')!;
    lsp['addresses'] = ['00:00:00:00:00:01 10.16.9.9'];
    const kept = new Map<string, unknown>();
    const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn', kept: (table, uuid, row) => kept.set(`${table} ${uuid}`, row) });
    expect(p.ops).toHaveLength(1);
    expect(kept.size).toBe(desired.size);
    expect(kept.get(`Logical_Switch_Port ${lsp._uuid}`)).toBe(desired.get('Logical_Switch_Port', 'web-0.default')!.row);
  });

  it('updates only the columns that changed, keeping other writers’ map keys', () => {
    const db = new MemDb();
    const desired = smallCluster();
    db.apply(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops);
    const lsp = db.byName('Logical_Switch_Port', 'web-0.default')!;
    lsp['addresses'] = ['00:00:00:00:00:01 10.16.9.9'];
    (lsp['external_ids'] as Record<string, string>)['sgs'] = 'x';
    const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn' });
    expect(p.ops).toHaveLength(1);
    expect(p.ops[0]).toMatchObject({ op: 'update', table: 'Logical_Switch_Port', where: [['_uuid', '==', lsp._uuid]] });
    expect(Object.keys((p.ops[0] as { row: object }).row)).toEqual(['addresses']);
    expect(p.counts.Logical_Switch_Port.update).toBe(1);
  });

  it('deletes rows of its own vendor that nothing wants and never touches other vendors', () => {
    const db = new MemDb();
    const desired = smallCluster();
    db.apply(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops);
    const lr = db.byName('Logical_Router', 'ovn-cluster')!;
    const mine = db.add('Logical_Router_Policy', { priority: 30000, match: 'ip4.dst == 1.2.3.4', action: 'reroute', nexthops: ['100.64.0.9'], external_ids: { vendor: 'kube-ovn', node: 'gone' } });
    const theirs = db.add('Logical_Router_Policy', { priority: 30000, match: 'ip4.dst == 5.6.7.8', action: 'reroute', nexthops: ['100.64.0.9'], external_ids: { vendor: 'other' } });
    const unowned = db.add('Logical_Router_Policy', { priority: 100, match: 'ip4.dst == 9.9.9.9', action: 'allow', nexthops: [], external_ids: {} });
    lr['policies'] = [...(lr['policies'] as string[]), mine, theirs, unowned];
    db.add('Address_Set', { name: 'other.set', addresses: [], external_ids: { vendor: 'other' } });
    db.add('Address_Set', { name: 'stale.set', addresses: [], external_ids: { vendor: 'kube-ovn' } });
    const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn' });
    expect(p.counts.Logical_Router_Policy.delete).toBe(1);
    expect(p.counts.Address_Set.delete).toBe(1);
    db.apply(p.ops);
    const ids = db.rows('Logical_Router_Policy').map((r) => r._uuid);
    expect(ids).not.toContain(mine);
    expect(ids).toContain(theirs);
    expect(ids).toContain(unowned);
    expect(db.byName('Address_Set', 'other.set')).toBeDefined();
    expect(db.byName('Address_Set', 'stale.set')).toBeUndefined();
    expect(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual([]);
  });

  it('collapses an existing duplicate to one row', () => {
    const db = new MemDb();
    const desired = smallCluster();
    db.apply(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops);
    const lr = db.byName('Logical_Router', 'ovn-cluster')!;
    const orig = db.rows('Logical_Router_Policy').find((r) => r['priority'] === 30000)!;
    const { _uuid: _, ...copy } = orig;
    const dup = db.add('Logical_Router_Policy', copy);
    lr['policies'] = [...(lr['policies'] as string[]), dup];
    const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn' });
    expect(p.ops).toHaveLength(1);
    expect(p.ops[0]).toMatchObject({ op: 'mutate', table: 'Logical_Router', mutations: [['policies', 'delete', [[orig._uuid, dup].sort()[1]]]] });
    db.apply(p.ops);
    expect(db.rows('Logical_Router_Policy').filter((r) => r['match'] === orig['match']).length).toBe(1);
  });

  it('emits a desired row produced twice once, and records a conflicting second producer', () => {
    const state = new DesiredState();
    const row = { priority: 29000, match: 'ip4.src == $a.b_ip4', action: 'reroute', nexthops: ['100.64.0.2'], external_ids: { vendor: 'kube-ovn' } };
    state.add({ table: 'Logical_Router', key: 'ovn-cluster', row: { name: 'ovn-cluster' } });
    const key = policyKey('ovn-cluster', 29000, row.match);
    const parent = { table: 'Logical_Router' as const, key: 'ovn-cluster', column: 'policies' };
    state.add({ table: 'Logical_Router_Policy', key, row, parent });
    state.add({ table: 'Logical_Router_Policy', key, row: { ...row, nexthops: ['100.64.0.2'] }, parent });
    state.add({ table: 'Logical_Router_Policy', key, row: { ...row, nexthops: ['100.64.0.3'] }, parent });
    const p = plan(state, {}, { vendor: 'kube-ovn' });
    expect(p.ops.filter((o) => o.op === 'insert' && o.table === 'Logical_Router_Policy')).toHaveLength(1);
    expect(p.conflicts).toEqual([{ table: 'Logical_Router_Policy', key, reason: 'two different desired rows under one identity' }]);
  });

  it('wires new children of existing parents with one mutate per parent', () => {
    const db = new MemDb();
    db.apply(plan(smallCluster(), db.snapshot(), { vendor: 'kube-ovn' }).ops);
    const p = plan(smallCluster(3), db.snapshot(), { vendor: 'kube-ovn' });
    const mutates = p.ops.filter((o) => o.op === 'mutate');
    const ls = db.byName('Logical_Switch', 'ovn-default')!;
    const lsMutate = mutates.find((o) => o.table === 'Logical_Switch');
    expect(lsMutate).toMatchObject({ where: [['_uuid', '==', ls._uuid]] });
    expect(lsMutate?.op === 'mutate' ? lsMutate.mutations[0]![2] : []).toHaveLength(3);
    expect(danglingNames(p.ops)).toEqual([]);
    db.apply(p.ops);
    expect((db.byName('Port_Group', 'node.node.a')!['ports'] as string[]).length).toBe(4);
    expect(plan(smallCluster(3), db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual([]);
  });

  it('does not adopt a row whose identity another vendor holds', () => {
    const db = new MemDb();
    db.add('Logical_Router', { name: 'ovn-cluster', ports: [], policies: [], external_ids: { vendor: 'someone-else' } });
    const p = plan(smallCluster(), db.snapshot(), { vendor: 'kube-ovn' });
    expect(p.conflicts.some((c) => c.table === 'Logical_Router' && c.reason.includes('someone-else'))).toBe(true);
    expect(p.ops.some((o) => 'table' in o && o.table === 'Logical_Router')).toBe(false);
  });

  it('with deferNew, converges over rounds of small independent transactions', () => {
    const db = new MemDb();
    const desired = smallCluster(60);
    let rounds = 0;
    for (;;) {
      const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn', deferNew: true, batchSize: 10 });
      if (p.ops.length === 0 && p.deferred === 0) break;
      const chunks = chunkOperations(p.ops, 11);
      expect(chunks.every((c) => c.length <= 11)).toBe(true);
      // Each chunk is its own transaction: named-uuids never cross chunks.
      for (const c of chunks) {
        expect(danglingNames(c)).toEqual([]);
        db.apply(c);
      }
      expect(++rounds).toBeLessThan(5);
    }
    expect(rounds).toBe(3); // roots; children of new parents; memberships of new ports
    const once = new MemDb();
    once.apply(plan(desired, once.snapshot(), { vendor: 'kube-ovn' }).ops);
    for (const t of ['Logical_Switch_Port', 'Port_Group', 'Logical_Router_Policy'] as const) expect(db.rows(t).length).toBe(once.rows(t).length);
    expect((db.byName('Port_Group', 'node.node.a')!['ports'] as string[]).length).toBe(61);
  });

  it('keeps new ports and their port-group memberships in one small group per batch, so chunks stay independent', () => {
    const db = new MemDb();
    db.apply(plan(smallCluster(), db.snapshot(), { vendor: 'kube-ovn' }).ops);
    const p = plan(smallCluster(60), db.snapshot(), { vendor: 'kube-ovn', batchSize: 10 });
    // Per group: 10 port inserts, the switch mutate, node.node.a and ovn.default.node.a memberships.
    const chunks = chunkOperations(p.ops, 13);
    expect(chunks.length).toBeGreaterThanOrEqual(6);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(13);
      expect(danglingNames(c)).toEqual([]);
      db.apply(c);
    }
    expect(plan(smallCluster(60), db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual([]);
  });

  it('replaces a port that changes switch instead of moving it, in one plan or in deferNew rounds', () => {
    for (const deferNew of [false, true]) {
      const db = new MemDb();
      db.apply(plan(smallCluster(), db.snapshot(), { vendor: 'kube-ovn' }).ops);
      const ls2 = db.add('Logical_Switch', { name: 'other', ports: [], acls: [], load_balancer: [], external_ids: { vendor: 'kube-ovn' } });
      const desired = smallCluster();
      const before = db.byName('Logical_Switch_Port', 'web-0.default')!;
      const moved = new DesiredState();
      for (const t of NB_TABLES) {
        for (const d of desired.rows(t).values()) {
          moved.add(d.key === 'web-0.default' ? { ...d, parent: { table: 'Logical_Switch', key: 'other', column: 'ports' } } : d);
        }
      }
      moved.add({ table: 'Logical_Switch', key: 'other', row: { name: 'other', external_ids: { vendor: 'kube-ovn' } } });
      for (let round = 0; round < 3; round++) {
        const p = plan(moved, db.snapshot(), { vendor: 'kube-ovn', deferNew, batchSize: 1 });
        for (const c of chunkOperations(p.ops, 2)) db.apply(c);
      }
      expect(plan(moved, db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual([]);
      const after = db.byName('Logical_Switch_Port', 'web-0.default')!;
      expect(after._uuid).not.toBe(before._uuid);
      expect(db.tables.get('Logical_Switch')!.get(ls2)!['ports']).toEqual([after._uuid]);
      expect(db.byName('Port_Group', 'node.node.a')!['ports']).toEqual([after._uuid]);
      expect(db.rows('Logical_Switch_Port').filter((r) => r['name'] === 'web-0.default')).toHaveLength(1);
    }
  });

  it('leaves Kube-OVN feature rows it does not manage, and children under parents it does not manage', () => {
    const db = new MemDb();
    const desired = smallCluster();
    db.apply(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops);
    const acl = db.add('ACL', { priority: 2003, direction: 'to-lport', match: 'outport == @ovn.sg.web && ip', action: 'drop', external_ids: { vendor: 'kube-ovn', parent: 'ovn.sg.web' } });
    db.add('Port_Group', { name: 'ovn.sg.web', ports: [], acls: [acl], external_ids: { vendor: 'kube-ovn', type: 'security_group', sg: 'web' } });
    db.add('Address_Set', { name: 'ovn.sg.web.associated.v4', addresses: [], external_ids: { vendor: 'kube-ovn', sg: 'web' } });
    const lr = db.byName('Logical_Router', 'ovn-cluster')!;
    const dns = db.add('Logical_Router_Policy', { priority: 30100, match: 'ip4.dst == 169.254.20.10', action: 'reroute', nexthops: ['100.64.0.2'], external_ids: { vendor: 'kube-ovn', isLocalDnsCache: 'true', node: 'node-a' } });
    lr['policies'] = [...(lr['policies'] as string[]), dns];
    const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn', keep: kubeOvnFeatureRow });
    expect(p.ops).toEqual([]);
    // Without keep the feature rows go; the ACL is not removed on its own (its port group is not managed), it leaves with it.
    const q = plan(desired, db.snapshot(), { vendor: 'kube-ovn' });
    expect(q.counts.Port_Group.delete).toBe(1);
    expect(q.counts.ACL.delete).toBe(0);
    expect(q.counts.Logical_Router_Policy.delete).toBe(1);
  });
});
