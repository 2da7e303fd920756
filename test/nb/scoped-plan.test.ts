/**
 * Scoped plans (a steady-state pass) against a real NB ovsdb-server: only the
 * scope's identities are read and written, references outside the scope
 * resolve to the rows the NB holds, and large sets and maps change by diff.
 */
import { describe, expect, it } from 'vitest';
import { applyOperations, connectNb, existingRows, waitForCache } from '../../src/controller/nb-writer.js';
import { DesiredState, type DesiredRow } from '../../src/nb/desired.js';
import { addToScope, type Scope } from '../../src/nb/scope.js';
import { cacheScopeView } from '../../src/nb/existing-view.js';
import { desiredIn } from '../../src/nb/scope.js';
import { plan } from '../../src/nb/plan.js';
import type { OvsdbClient } from '../../src/ovsdb/index.js';
import { createLogger } from '../../src/util/log.js';
import { useOvsdbServer } from '../support/servers.js';

const server = useOvsdbServer();
const ids = { vendor: 'kube-ovn' };
const O = { vendor: 'kube-ovn' };

const sw = (name: string): DesiredRow => ({ table: 'Logical_Switch', key: name, row: { name, external_ids: ids } });
const lsp = (name: string, ls: string, ip: string): DesiredRow => ({
  table: 'Logical_Switch_Port',
  key: name,
  row: { name, addresses: [`00:00:00:00:00:01 ${ip}`], external_ids: ids },
  parent: { table: 'Logical_Switch', key: ls, column: 'ports' },
});
const pg = (name: string, ports: string[]): DesiredRow => ({ table: 'Port_Group', key: name, row: { name, external_ids: ids }, refs: { ports: { table: 'Logical_Switch_Port', keys: ports, mode: 'exact' } } });
const as = (name: string, addresses: string[]): DesiredRow => ({ table: 'Address_Set', key: name, row: { name, addresses, external_ids: ids } });
const lb = (name: string, vips: Record<string, string>): DesiredRow => ({ table: 'Load_Balancer', key: name, row: { name, protocol: ['tcp'], vips, external_ids: ids } });
const acl = (pgName: string, match: string): DesiredRow => ({
  table: 'ACL',
  key: `Port_Group:${pgName}|to-lport|2001|${match}`,
  row: { priority: 2001, direction: 'to-lport', match, action: 'allow-related', external_ids: ids },
  parent: { table: 'Port_Group', key: pgName, column: 'acls' },
});

const ips = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `10.0.${Math.floor((i + from) / 250)}.${(i + from) % 250}`);

async function converge(nb: OvsdbClient, rows: DesiredRow[]): Promise<void> {
  const d = new DesiredState();
  d.addAll(rows);
  const p = plan(d, existingRows(nb), O);
  const applied = await applyOperations(nb, p.ops, { maxOps: 10_000 });
  await waitForCache(nb, applied.unseen, 10_000);
}

/** Plans `rows` (the changed identities) and `removed` as one scoped pass, with `all` as the whole desired state. */
async function scoped(nb: OvsdbClient, all: DesiredRow[], rows: DesiredRow[], removed: DesiredRow[] = []) {
  const scope: Scope = new Map();
  for (const r of [...rows, ...removed]) addToScope(scope, r.table, r.key);
  const d = new DesiredState();
  d.addAll(rows);
  const everything = new DesiredState();
  everything.addAll(all);
  const p = plan(d, cacheScopeView(nb.cache, scope), { ...O, outside: (t, k) => everything.get(t, k) });
  const applied = await applyOperations(nb, p.ops, { maxOps: 10_000 });
  await waitForCache(nb, applied.unseen, 10_000);
  return p;
}

describe('scoped plans against a real NB', () => {
  it('a new port joins an existing switch and port group; the whole-NB plan then has nothing to do', async () => {
    const nb = await connectNb(server().remote, createLogger({ level: 'error' }));
    try {
      const base = [sw('ls1'), lsp('a.ns', 'ls1', '10.0.0.2'), pg('pg1', ['a.ns']), acl('pg1', 'outport == @pg1 && ip')];
      await converge(nb, base);
      const b = lsp('b.ns', 'ls1', '10.0.0.3');
      const pg1 = pg('pg1', ['a.ns', 'b.ns']);
      const all = [...base.filter((r) => r.key !== 'pg1'), b, pg1];
      const p = await scoped(nb, all, [b, pg1]);
      expect(p.conflicts).toEqual([]);
      expect(p.counts.Logical_Switch_Port.insert).toBe(1);
      expect(p.counts.Port_Group.update).toBe(1);
      // Nothing outside the scope was touched, and the NB is exactly what a full plan wants.
      expect(p.counts.Logical_Switch.update + p.counts.ACL.delete).toBe(0);
      const full = new DesiredState();
      full.addAll(all);
      expect(plan(full, existingRows(nb), O).ops).toEqual([]);

      // The port goes away: it leaves the switch and the group; the switch stays.
      const pgBack = pg('pg1', ['a.ns']);
      const p2 = await scoped(nb, [...base], [pgBack], [b]);
      expect(p2.counts.Logical_Switch_Port.delete).toBe(1);
      const back = new DesiredState();
      back.addAll(base);
      expect(plan(back, existingRows(nb), O).ops).toEqual([]);
      expect([...nb.cache.table('Logical_Switch_Port').rows()].map((r) => r['name'])).toEqual(['a.ns']);
    } finally {
      await nb.close();
    }
  });

  it('a large address set and a large vips map change by diff, not by rewrite', async () => {
    const nb = await connectNb(server().remote, createLogger({ level: 'error' }));
    try {
      const vips = Object.fromEntries(ips(100).map((ip, i) => [`${ip}:80`, `10.1.0.${i % 250}:8080`]));
      await converge(nb, [as('big', ips(500)), lb('lb1', vips)]);
      const nextIps = [...ips(499, 1), '10.9.9.9'];
      const nextVips: Record<string, string> = { ...vips, '10.9.9.9:80': '10.1.1.1:8080', [`${ips(1)[0]}:80`]: '10.1.2.2:8080' };
      delete nextVips[`${ips(2)[1]}:80`];
      const rows = [as('big', nextIps), lb('lb1', nextVips)];
      const p = await scoped(nb, rows, rows);
      expect(p.ops.every((op) => op.op === 'mutate')).toBe(true);
      expect(JSON.stringify(p.ops).length).toBeLessThan(1000);
      const got = nb.cache.table('Address_Set').findOne('name', 'big')!;
      expect([...(got['addresses'] as string[])].sort()).toEqual([...nextIps].sort());
      expect(nb.cache.table('Load_Balancer').findOne('name', 'lb1')!['vips']).toEqual(nextVips);
    } finally {
      await nb.close();
    }
  });

  it('deferNew rounds write a new port group once, complete: with its ports and, in the same transaction, its ACLs', async () => {
    const nb = await connectNb(server().remote, createLogger({ level: 'error' }));
    try {
      const ports = Array.from({ length: 30 }, (_, i) => lsp(`r${i}.ns`, 'ls-r', `10.9.0.${i + 2}`));
      const rows = [sw('ls-r'), ...ports, pg('pg-r', ports.map((p) => p.key)), acl('pg-r', 'outport == @pg-r && ip4'), acl('pg-r', 'inport == @pg-r && ip4'), pg('pg-empty', []), acl('pg-empty', 'outport == @pg-empty')];
      const d = new DesiredState();
      d.addAll(rows);
      const opts = { ...O, deferNew: true, batchSize: 10 };
      let p = plan(d, existingRows(nb), opts);
      const rounds: string[][] = [];
      while (p.ops.length > 0) {
        expect(rounds.length).toBeLessThan(4);
        rounds.push(p.ops.map((o) => `${o.op} ${'table' in o ? o.table : ''}`));
        // One transaction per chunk of 11: a group never exceeds batchSize + 1 operations.
        const applied = await applyOperations(nb, p.ops, { maxOps: 11 });
        await waitForCache(nb, applied.unseen, 10_000);
        p = plan(desiredIn(p.deferredScope, d), cacheScopeView(nb.cache, p.deferredScope), { ...opts, outside: (t, k) => d.get(t, k) });
      }
      // Round 1: the switch, and the port group that names no new port with its ACL; round 2: the ports; round 3: the port group naming them, with its ACLs.
      expect(rounds.map((r) => r.filter((o) => o.startsWith('insert')).sort())).toEqual([
        ['insert ACL', 'insert Logical_Switch', 'insert Port_Group'],
        Array(30).fill('insert Logical_Switch_Port'),
        ['insert ACL', 'insert ACL', 'insert Port_Group'],
      ]);
      expect(rounds.flat().filter((o) => o.endsWith('Port_Group') && !o.startsWith('insert'))).toEqual([]);
      const group = nb.cache.table('Port_Group').findOne('name', 'pg-r')!;
      expect((group['ports'] as string[]).length).toBe(30);
      expect((group['acls'] as string[]).length).toBe(2);
      expect(plan(d, existingRows(nb), O).ops).toEqual([]);
    } finally {
      await nb.close();
    }
  });
});
