import { describe, expect, it } from 'vitest';
import { bulkDesired, rebuildModel, type ClusterSnapshot } from '../../src/controller/bulk-desired.js';
import { infrastructureRows, writtenAsDesired, type AheadWrite, type InfrastructureWrite } from '../../src/controller/infrastructure.js';
import { emptyCounts } from '../../src/nb/plan.js';
import { Ipam } from '../../src/controller/ipam/ipam.js';
import { ClusterModel } from '../../src/controller/model/cluster-model.js';
import { DEFAULT_OPTIONS, type ControllerOptions } from '../../src/controller/options.js';
import { NODE_KEY, POD_KEY } from '../../src/nb/naming.js';
import { NB_TABLES } from '../../src/nb/rows.js';
import { generatedSnapshot } from '../support/generated.js';
import { node } from './fixtures.js';

const O: ControllerOptions = { ...DEFAULT_OPTIONS, wasmWorkers: 0 };

function snapshot(): ClusterSnapshot {
  // Subnet 9 is centralized: its gateway policy depends on the NB's active gateway, so it is not written ahead.
  const s = generatedSnapshot({ seed: 3, nodes: 6, pods: 300, policies: 20, services: 10, subnets: 10 });
  // A node that joined since: its join address comes from the full pass's IPAM.
  s.nodes.push(node('new-node', '192.168.9.9'));
  return s;
}

describe('the Subnet- and Node-only rows written ahead', () => {
  it('are the full desired state rows of their tables, the switches without their load balancers', async () => {
    const snap = snapshot();
    const ahead = infrastructureRows(snap.subnets, snap.nodes, O);
    const full = (await bulkDesired(snap, new Ipam(), O)).state;
    const tables = NB_TABLES.filter((t) => [...ahead.rows(t)].length > 0);
    expect(tables.sort()).toEqual(['Logical_Router', 'Logical_Router_Policy', 'Logical_Router_Port', 'Logical_Switch', 'Logical_Switch_Port'].sort());
    for (const table of tables) {
      for (const [key, d] of ahead.rows(table)) {
        const f = full.get(table, key);
        expect(f, `${table} ${key}`).toBeDefined();
        expect(d.row).toEqual(f!.row);
        expect(d.parent).toEqual(f!.parent);
        expect(d.insertOnly).toEqual(f!.insertOnly);
        if (table === 'Logical_Switch') expect(d.refs).toBeUndefined();
        else expect(d.refs).toEqual(f!.refs);
      }
      // What the full pass adds in these tables: pods' ports, the new node's rows, the centralized subnet's gateway policy.
      for (const [key, f] of full.rows(table)) {
        if (ahead.get(table, key)) continue;
        const ids = f.row['external_ids'] as Record<string, string>;
        const newNode = key.includes('new-node') || ids[NODE_KEY] === 'new-node';
        const gateway = table === 'Logical_Router_Policy' && /^ip4\.src == [0-9./]+$/.test(String(f.row['match']));
        const podPort = ids[POD_KEY] !== undefined;
        expect(podPort || newNode || gateway, `${table} ${key} is not written ahead`).toBe(true);
      }
    }
    expect(ahead.get('Logical_Switch_Port', 'node-new-node')).toBeUndefined();
    expect(full.get('Logical_Switch_Port', 'node-new-node')).toBeDefined();
    expect(ahead.size).toBeGreaterThan(6 * 10);
  });

  it('a settled write ahead spares the full pass its rows only when made from the same records without conflict, the switches aside', () => {
    const snap = snapshot();
    const rows = infrastructureRows(snap.subnets, snap.nodes, O);
    const ahead: AheadWrite = { rows, inputs: { subnets: snap.subnets, nodes: snap.nodes }, done: Promise.resolve(undefined) };
    const ok: InfrastructureWrite = { operations: 1, transactions: 1, ms: 1, plan: { counts: emptyCounts(), conflicts: [] } };
    const [policy] = [...rows.rows('Logical_Router_Policy')][0]!;
    const [ls] = [...rows.rows('Logical_Switch')][0]!;
    const written = writtenAsDesired(ahead, ok, { subnets: [...snap.subnets].reverse(), nodes: snap.nodes })!;
    expect(written('Logical_Router_Policy', policy)).toBe(true);
    expect(written('Logical_Switch', ls)).toBe(false);
    expect(written('Port_Group', 'node.new-node')).toBe(false);
    // A node updated since, a failed write, a conflict: planned again.
    const nodes = snap.nodes.map((n, i) => (i === 0 ? { ...n, resourceVersion: '2' } : n));
    expect(writtenAsDesired(ahead, ok, { subnets: snap.subnets, nodes })).toBeUndefined();
    expect(writtenAsDesired(ahead, undefined, snap)).toBeUndefined();
    expect(writtenAsDesired(ahead, { ...ok, plan: { counts: emptyCounts(), conflicts: [{ table: 'Logical_Switch', key: ls, reason: 'x' }] } }, snap)).toBeUndefined();
  });

  it('are the rows the full pass holds for its nodes where equal: one copy of each', async () => {
    const snap = snapshot();
    const rows = infrastructureRows(snap.subnets, snap.nodes, O);
    const model = new ClusterModel(O, new Ipam());
    try {
      const full = (await rebuildModel(model, snap, rows)).state;
      let taken = 0;
      for (const table of ['Logical_Switch_Port', 'Logical_Router_Policy'] as const) {
        for (const [key, d] of rows.rows(table)) {
          // Node rows are taken; the subnets' own (31000 policies, router ports) are computed apart.
          const ofNode = table === 'Logical_Switch_Port' ? key.startsWith('node-') : NODE_KEY in (d.row['external_ids'] as object);
          expect(full.get(table, key) === d, `${table} ${key}`).toBe(ofNode);
          if (ofNode) taken++;
        }
      }
      // The 6 recorded nodes' join ports and 30000 policies, and their 29000 policies of each distributed subnet.
      expect(taken).toBeGreaterThan(6 * 2 + 6);
      expect(full.get('Logical_Switch_Port', 'node-new-node')).toBeDefined();
    } finally {
      model.dispose();
    }
  });
});
