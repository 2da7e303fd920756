/**
 * Property: whatever state the NB is in (empty, converged, rows deleted,
 * columns changed, duplicates, foreign rows), one plan applied brings it to
 * the desired state, the next plan is empty, and rows of other vendors are
 * never changed.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { desiredCluster } from '../../src/controller/desired/index.js';
import { Ipam, nodeOwner, podOwner } from '../../src/controller/ipam/ipam.js';
import { parseSubnets } from '../../src/controller/subnet-spec.js';
import { cacheScopeView, type IndexedCache } from '../../src/nb/existing-view.js';
import { plan, type ExistingRows, type PlanResult } from '../../src/nb/plan.js';
import { desiredIn } from '../../src/nb/scope.js';
import { DesiredState } from '../../src/nb/desired.js';
import { chunkGroups, chunkOperations } from '../../src/ovsdb/chunk.js';
import { NB_TABLES, ROOT_TABLES, type NbTable } from '../../src/nb/rows.js';
import type { Row } from '../../src/ovsdb/types.js';
import { cfg, node, pod, policy, subnet } from '../controller/fixtures.js';
import { MemDb } from './memdb.js';

function cluster(nodes: number, pods: number, withPolicy: boolean) {
  const subnets = [subnet('join', '100.64.0.0/16', { gatewayType: 'centralized' }), subnet('ovn-default', '10.16.0.0/16'), subnet('s2', '10.17.0.0/16')];
  const ipam = new Ipam();
  ipam.setSubnets(subnets);
  const ns = Array.from({ length: nodes }, (_, i) => node(`n-${i}`, `172.18.0.${i + 2}`));
  for (const n of ns) ipam.allocate(nodeOwner(n), 'join', { kind: 'Node', namespace: '', name: n.name });
  const ps = Array.from({ length: pods }, (_, i) => pod('default', `p-${i}`, `n-${i % nodes}`));
  ps.forEach((p, i) => ipam.allocate(podOwner(p), i % 2 ? 's2' : 'ovn-default', { kind: 'Pod', namespace: p.namespace, name: p.name }));
  const np = policy('default', 'np', { policyTypes: ['Ingress', 'Egress'], ingress: [{ peers: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 80 }] }] });
  const ports = ps.slice(0, 3).map((p) => `${p.name}.default`);
  const ips = ps.map((p) => ipam.get(podOwner(p))!.ip);
  return desiredCluster(
    {
      subnets: parseSubnets(subnets).subnets,
      nodes: ns,
      pods: ps,
      services: [],
      endpointSlices: [],
      policies: withPolicy ? [{ policy: np, selectedPorts: ports, selectedContainerPorts: [], ingress: [{ peers: [{ podIPs: ips, serviceIPs: [] }], peerContainerPorts: [] }], egress: [] }] : [],
      podAllocation: (p) => ipam.get(podOwner(p)),
      nodeAllocation: (n) => ipam.get(nodeOwner(n)),
    },
    cfg,
  ).state;
}

type Damage =
  | { kind: 'delete'; table: NbTable; pick: number }
  | { kind: 'edit'; table: NbTable; pick: number }
  | { kind: 'duplicate'; table: NbTable; pick: number }
  | { kind: 'foreign'; n: number };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), table: fc.constantFrom(...NB_TABLES), pick: fc.nat() }),
  fc.record({ kind: fc.constant('edit' as const), table: fc.constantFrom(...NB_TABLES), pick: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), table: fc.constantFrom('Logical_Router_Policy' as const, 'ACL' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('foreign' as const), n: fc.nat({ max: 50 }) }),
);

/** Where a child row hangs, so damage can add a duplicate beside it. */
function holder(db: MemDb, uuid: string): { row: Row; column: string } | undefined {
  for (const [t, cols] of [['Logical_Router', ['ports', 'policies']], ['Logical_Switch', ['ports', 'acls']], ['Port_Group', ['acls']]] as const) {
    for (const r of db.rows(t)) for (const c of cols) if ((r[c] as string[] | undefined)?.includes(uuid)) return { row: r, column: c };
  }
  return undefined;
}

function hurt(db: MemDb, d: Damage, foreign: Map<string, string>): void {
  if (d.kind === 'foreign') {
    const lr = db.byName('Logical_Router', 'ovn-cluster');
    const u = db.add('Address_Set', { name: `foreign.${d.n}.${foreign.size}`, addresses: ['1.2.3.4'], external_ids: { vendor: 'someone-else' } });
    foreign.set(u, JSON.stringify(db.tables.get('Address_Set')!.get(u)));
    if (lr) {
      const p = db.add('Logical_Router_Policy', { priority: 100 + d.n, match: `ip4.dst == 9.9.9.${d.n}`, action: 'allow', nexthops: [], external_ids: { vendor: 'someone-else' } });
      lr['policies'] = [...((lr['policies'] as string[]) ?? []), p];
      foreign.set(p, JSON.stringify(db.tables.get('Logical_Router_Policy')!.get(p)));
    }
    return;
  }
  const rows = db.rows(d.table).filter((r) => !foreign.has(r._uuid));
  if (rows.length === 0) return;
  const r = rows[d.pick % rows.length]!;
  if (d.kind === 'delete') {
    if (ROOT_TABLES.has(d.table)) db.apply([{ op: 'delete', table: d.table, where: [['_uuid', '==', r._uuid]] }]);
    else {
      const h = holder(db, r._uuid);
      if (h) h.row[h.column] = (h.row[h.column] as string[]).filter((u) => u !== r._uuid);
      db.apply([]);
    }
  } else if (d.kind === 'edit') {
    if ('addresses' in r) r['addresses'] = ['00:00:00:00:00:99 6.6.6.6'];
    else if ('nexthops' in r) r['nexthops'] = ['100.64.9.9'];
    else r['external_ids'] = { vendor: 'kube-ovn', changed: 'yes' };
  } else {
    const { _uuid: _, ...copy } = r;
    const u = db.add(d.table, structuredClone(copy));
    // Policies and ACLs have no name index, so Kube-OVN could write them twice.
    const h = holder(db, r._uuid);
    if (h) h.row[h.column] = [...(h.row[h.column] as string[]), u];
  }
}

describe('plan (property)', () => {
  it('converges in one plan from any damaged NB and never touches other vendors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 12 }), fc.boolean(), fc.boolean(), fc.array(damage, { maxLength: 12 }), (nodes, pods, withPolicy, startConverged, damages) => {
        const desired = cluster(nodes, pods, withPolicy);
        const db = new MemDb();
        if (startConverged) db.apply(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops);
        const foreign = new Map<string, string>();
        for (const d of damages) hurt(db, d, foreign);
        // Damage may have taken foreign children with their parent.
        for (const u of [...foreign.keys()]) if (!NB_TABLES.some((t) => db.tables.get(t)!.has(u))) foreign.delete(u);
        const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn' });
        expect(p.conflicts).toEqual([]);
        db.apply(p.ops);
        expect(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual([]);
        for (const [u, before] of foreign) {
          const t = NB_TABLES.find((x) => db.tables.get(x)!.has(u))!;
          expect(JSON.stringify(db.tables.get(t)!.get(u))).toBe(before);
        }
        // One row per identity in name-indexed tables.
        for (const t of ['Logical_Switch_Port', 'Port_Group', 'Address_Set', 'Logical_Router_Port'] as const) {
          const names = db.rows(t).map((r) => r['name']);
          expect(new Set(names).size).toBe(names.length);
        }
      }),
      { numRuns: 150 },
    );
  });

  /** A cluster's desired state and an NB damaged from empty or from converged; `rounds` brings the NB back. */
  const roundsRepair = (rounds: (desired: DesiredState, db: MemDb, batchSize: number) => void) =>
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 10 }), fc.boolean(), fc.array(damage, { maxLength: 8 }), fc.integer({ min: 1, max: 6 }), (nodes, pods, startConverged, damages, batchSize) => {
        const desired = cluster(nodes, pods, true);
        const db = new MemDb();
        if (startConverged) db.apply(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops);
        const foreign = new Map<string, string>();
        for (const d of damages) hurt(db, d, foreign);
        rounds(desired, db, batchSize);
        expect(plan(desired, db.snapshot(), { vendor: 'kube-ovn' }).ops).toEqual([]);
      }),
      { numRuns: 100 },
    );

  it('in deferNew rounds of independent small transactions, reaches the same NB from any damaged one', () => {
    roundsRepair((desired, db, batchSize) => {
      for (let round = 0; ; round++) {
        expect(round).toBeLessThan(4);
        const p = plan(desired, db.snapshot(), { vendor: 'kube-ovn', deferNew: true, batchSize });
        if (p.ops.length === 0 && p.deferred === 0) break;
        for (const c of chunkOperations(p.ops, batchSize + 1)) db.apply(c);
      }
    });
  });

  it('with client-chosen row uuids, transactions in order never name a row not yet written, and an empty NB takes one round', () => {
    let n = 0;
    const rowUuids = () => `00000000-0000-4000-8000-${(n++).toString(16).padStart(12, '0')}`;
    roundsRepair((desired, db, batchSize) => {
      const strict = new MemDb(true);
      for (const t of NB_TABLES) for (const [u, r] of db.tables.get(t)!) strict.tables.get(t)!.set(u, r);
      const empty = NB_TABLES.every((t) => db.tables.get(t)!.size === 0);
      let p = plan(desired, strict.snapshot(), { vendor: 'kube-ovn', deferNew: true, batchSize, rowUuids });
      if (empty) expect(p.deferred).toBe(0);
      for (let round = 0; p.ops.length > 0 || p.deferred > 0; round++) {
        expect(round).toBeLessThan(4);
        expect(p.ops.some((op) => op.op === 'insert' && op.uuidName !== undefined)).toBe(false);
        const chunks = chunkGroups(p.ops, p.groups!, batchSize + 1);
        expect(chunks.flat()).toEqual(p.ops);
        for (const c of chunks) strict.apply(c);
        const scope = p.deferredScope;
        p = plan(desiredIn(scope, desired), cacheScopeView(indexed(strict.snapshot()), scope), { vendor: 'kube-ovn', deferNew: true, batchSize, rowUuids, outside: (t, k) => desired.get(t, k) });
      }
      for (const t of NB_TABLES) db.tables.set(t, strict.tables.get(t)!);
    });
  });

  it("later rounds planned over only the previous round's deferred identities reach the same NB", () => {
    roundsRepair((desired, db, batchSize) => {
      let p = plan(desired, db.snapshot(), { vendor: 'kube-ovn', deferNew: true, batchSize });
      for (let round = 0; p.ops.length > 0 || p.deferred > 0; round++) {
        expect(round).toBeLessThan(4);
        for (const c of chunkOperations(p.ops, batchSize + 1)) db.apply(c);
        const scope = p.deferredScope;
        p = plan(desiredIn(scope, desired), cacheScopeView(indexed(db.snapshot()), scope), { vendor: 'kube-ovn', deferNew: true, batchSize, outside: (t, k) => desired.get(t, k) });
      }
    });
  });

  it.each([
    ['named-uuids', {}],
    ['client-chosen uuids', { rowUuids: () => randomUUID() }],
  ] as const)('with rows another writer is writing meanwhile (pending), the rounds write none of them twice and reach the same NB (%s)', (_, mode) => {
    roundsRepair((desired, db, batchSize) => {
      // The other writer: the router, switches (without their load balancers), router ports and policies, as infrastructure.ts writes them ahead.
      const aheadTables = ['Logical_Router', 'Logical_Switch', 'Logical_Router_Port', 'Logical_Router_Policy'] as const;
      const ahead = new DesiredState();
      for (const t of aheadTables)
        for (const [, d] of desired.rows(t)) ahead.add(t === 'Logical_Switch' ? { table: t, key: d.key, row: d.row } : d);
      const aheadOpts = { vendor: 'kube-ovn', deferNew: true, batchSize, ...mode, prune: false };
      // Half of its first round lands before our first plan reads the NB, the rest after.
      const first = chunks(plan(ahead, db.snapshot(), aheadOpts), batchSize);
      const half = Math.ceil(first.length / 2);
      for (const c of first.slice(0, half)) db.apply(c);
      let p = plan(desired, db.snapshot(), { vendor: 'kube-ovn', deferNew: true, batchSize, ...mode, pending: (t, k) => ahead.get(t, k) !== undefined });
      const unique = () => {
        for (const t of ['Logical_Router', 'Logical_Switch', 'Logical_Router_Port'] as const) {
          const names = db.rows(t).map((r) => r['name']);
          expect(new Set(names).size, t).toBe(names.length);
        }
      };
      // Every row of the other writer's is inserted by it alone.
      const insertsAhead = () => aheadTables.reduce((n, t) => n + p.counts[t].insert, 0);
      expect(insertsAhead()).toBe(0);
      for (const c of first.slice(half)) db.apply(c);
      for (const c of chunks(p, batchSize)) db.apply(c);
      unique();
      for (let round = 0; ; round++) {
        expect(round).toBeLessThan(4);
        const other = plan(ahead, db.snapshot(), aheadOpts);
        if (other.ops.length === 0 && other.deferred === 0) break;
        for (const c of chunks(other, batchSize)) db.apply(c);
      }
      // It has settled: our later rounds, over the identities the first one left.
      for (let round = 0; p.ops.length > 0 || p.deferred > 0; round++) {
        expect(round).toBeLessThan(4);
        const scope = p.deferredScope;
        p = plan(desiredIn(scope, desired), cacheScopeView(indexed(db.snapshot()), scope), { vendor: 'kube-ovn', deferNew: true, batchSize, ...mode, outside: (t, k) => desired.get(t, k) });
        expect(insertsAhead()).toBe(0);
        for (const c of chunks(p, batchSize)) db.apply(c);
      }
      unique();
    });
  });
});

/** A plan's transactions: its groups with client-chosen uuids, else cut around named-uuids. */
function chunks(p: PlanResult, batchSize: number) {
  return p.groups ? chunkGroups(p.ops, p.groups, batchSize + 1) : chunkOperations(p.ops, batchSize + 1);
}

/** The cache lookups cacheScopeView needs, by scanning a snapshot (fine at test size). */
function indexed(snap: ExistingRows): IndexedCache {
  return {
    table: (name) => ({
      find: (column, value) =>
        (snap[name as NbTable] ?? []).filter((r) => {
          const v = r[column];
          return Array.isArray(v) ? v.includes(value) : v === value;
        }),
    }),
  };
}
