import { describe, expect, it } from 'vitest';
import { runTool } from '../../src/embedded/index.js';
import type { Operation, Row, RowChange } from '../../src/ovsdb/index.js';
import { useClients, useOvsdbServer } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

interface LogicalSwitch extends Row {
  name: string;
  ports: string[];
  external_ids: Record<string, string>;
}

const server = useOvsdbServer();
const open = useClients();
const monitored = () =>
  open({
    remotes: server().remote,
    database: 'OVN_Northbound',
    monitor: { Logical_Switch: { columns: ['name', 'ports', 'external_ids'] }, Logical_Switch_Port: {} },
    backoffInitialMs: 20,
    backoffMaxMs: 200,
  });

describe('monitor: replicated cache and change events', () => {
  it('reports insert, modify and delete with old and new rows, and keeps indexes current', async () => {
    const reader = await monitored();
    const writer = await open({ remotes: server().remote, database: 'OVN_Northbound' });
    const events: RowChange[] = [];
    reader.cache.onChange((e) => events.push(e));
    const switches = reader.cache.table<LogicalSwitch>('Logical_Switch');
    expect(switches.findOne('name', 'm1')).toBeUndefined(); // builds the name index while empty

    await writer.transact([
      { op: 'insert', table: 'Logical_Switch_Port', uuidName: 'p', row: { name: 'm1-p' } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'm1', ports: ['p'], external_ids: { vendor: 'ovnscale', subnet: 'a' } } },
    ]);
    await waitFor(() => switches.findOne('name', 'm1') !== undefined);
    const inserted = switches.findOne('name', 'm1')!;
    expect(inserted.ports).toHaveLength(1);
    expect(reader.cache.table('Logical_Switch_Port').get(inserted.ports[0]!)?.name).toBe('m1-p');
    expect(events.filter((e) => e.table === 'Logical_Switch')).toEqual([{ table: 'Logical_Switch', kind: 'insert', row: inserted }]);
    expect(switches.findByExternalId('subnet', 'a').map((r) => r.name)).toEqual(['m1']);

    events.length = 0;
    await writer.transact([
      { op: 'update', table: 'Logical_Switch', where: [['name', '==', 'm1']], row: { name: 'm1-renamed' } },
      { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'm1-renamed']], mutations: [['external_ids', 'insert', { extra: 'x' }], ['external_ids', 'delete', ['subnet']]] },
    ]);
    await waitFor(() => events.length > 0);
    expect(events).toHaveLength(1);
    const mod = events[0]!;
    expect(mod.kind).toBe('modify');
    expect(mod.old).toBe(inserted);
    expect(mod.row).toMatchObject({ name: 'm1-renamed', external_ids: { vendor: 'ovnscale', extra: 'x' }, ports: inserted.ports });
    expect(inserted.name).toBe('m1'); // rows handed out earlier are snapshots
    expect(switches.findOne('name', 'm1')).toBeUndefined();
    expect(switches.findOne('name', 'm1-renamed')?._uuid).toBe(inserted._uuid);
    expect(switches.findByExternalId('subnet', 'a')).toEqual([]);

    events.length = 0;
    await writer.transact([{ op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'm1-renamed']] }]);
    await waitFor(() => events.length >= 2);
    expect(events.map((e) => [e.table, e.kind])).toEqual(
      expect.arrayContaining([
        ['Logical_Switch', 'delete'],
        ['Logical_Switch_Port', 'delete'],
      ]),
    );
    expect(switches.get(inserted._uuid)).toBeUndefined();
    expect(switches.findOne('name', 'm1-renamed')).toBeUndefined();
  });

  it('fills columns the server omits with their defaults', async () => {
    const c = await monitored();
    await c.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'bare' } }]);
    await waitFor(() => c.cache.table('Logical_Switch').findOne('name', 'bare') !== undefined);
    const row = c.cache.table<LogicalSwitch>('Logical_Switch').findOne('name', 'bare')!;
    expect(row).toEqual({ _uuid: row._uuid, name: 'bare', ports: [], external_ids: {} });
  });

  it('after the server is killed and restarted, the cache converges and reports the deletes, modifies and inserts it missed', async () => {
    const c = await monitored();
    await c.transact([
      { op: 'insert', table: 'Logical_Switch', row: { name: 'keep' } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'gone' } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'changed', external_ids: { v: '1' } } },
    ]);
    const switches = c.cache.table<LogicalSwitch>('Logical_Switch');
    await waitFor(() => switches.findOne('name', 'changed') !== undefined);
    const before = { keep: switches.findOne('name', 'keep')!, gone: switches.findOne('name', 'gone')!, changed: switches.findOne('name', 'changed')! };
    const events: RowChange[] = [];
    c.cache.onChange((e) => events.push(e));
    const disconnected = new Promise((r) => c.once('disconnected', r));

    await server().kill('SIGKILL');
    await disconnected;
    expect(c.isConnected).toBe(false);
    // Change the database while the server is down.
    const txn = JSON.stringify([
      'OVN_Northbound',
      { op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'gone']] },
      { op: 'update', table: 'Logical_Switch', where: [['name', '==', 'changed']], row: { external_ids: ['map', [['v', '2']]] } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'new' } },
    ]);
    await runTool('ovsdb-tool', ['transact', server().dbFile, txn]);
    const reconnected = new Promise((r) => c.once('connected', r));
    await server().restart();
    await reconnected;

    expect(switches.findOne('name', 'gone')).toBeUndefined();
    expect(switches.findOne('name', 'keep')).toBe(before.keep);
    const kinds = events.filter((e) => e.table === 'Logical_Switch').map((e) => [e.kind, e.row.name]);
    expect(kinds).toHaveLength(3);
    expect(kinds).toEqual(expect.arrayContaining([['delete', 'gone'], ['modify', 'changed'], ['insert', 'new']]));
    const mod = events.find((e) => e.kind === 'modify')!;
    expect(mod.old).toBe(before.changed);
    expect(mod.row.external_ids).toEqual({ v: '2' });
    // And the connection is usable again.
    await expect(c.transact([{ op: 'comment', comment: 'back' }])).resolves.toEqual([{}]);
  });

  it('a throwing change listener is reported as a warning and does not break the update path', async () => {
    const c = await monitored();
    const warnings: Error[] = [];
    c.on('warning', (e) => warnings.push(e));
    c.cache.onChange(() => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    c.cache.onChange((e) => seen.push(String(e.row.name)));
    await c.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'listener-1' } }]);
    await c.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'listener-2' } }]);
    await waitFor(() => seen.includes('listener-2'));
    expect(warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/change listener failed on insert of Logical_Switch row .*: listener bug/));
    expect(c.isConnected).toBe(true);
  });

  it('replicates replies and updates over a megabyte (rows parsed one by one) exactly', async () => {
    const writer = await open({ remotes: server().remote, database: 'OVN_Northbound' });
    const pad = 'x'.repeat(300);
    const batch = (from: number, n: number): Operation[] => {
      const names = Array.from({ length: n }, (_, i) => `big-${from + i}`);
      return [
        ...names.map((name): Operation => ({ op: 'insert', table: 'Logical_Switch_Port', uuidName: name.replace('-', '_'), row: { name, external_ids: { pad, n: name } } })),
        { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'big']], mutations: [['ports', 'insert', names.map((x) => x.replace('-', '_'))]] },
      ];
    };
    await writer.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'big' } }]);
    await writer.transact(batch(0, 4000));
    const reader = await monitored();
    const ports = reader.cache.table('Logical_Switch_Port');
    const big = () => reader.cache.table<LogicalSwitch>('Logical_Switch').findOne('name', 'big')!;
    expect(ports.size).toBe(4000);
    expect(big().ports).toHaveLength(4000);
    expect(ports.findOne('name', 'big-123')?.external_ids).toEqual({ pad, n: 'big-123' });

    await writer.transact(batch(4000, 4000));
    await waitFor(() => ports.size === 8000);
    const held = new Set(big().ports);
    expect(held.size).toBe(8000);
    expect([...ports.uuids()].every((u) => held.has(u))).toBe(true);
    expect(ports.findOne('name', 'big-7999')?.external_ids).toEqual({ pad, n: 'big-7999' });
  });

  it('offers no snapshot of a standalone database: it keeps no transaction history to resume from', async () => {
    const reader = await monitored();
    expect(await reader.snapshot()).toBeUndefined();
  });
});
