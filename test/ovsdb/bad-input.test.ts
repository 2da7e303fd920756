import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsdbProtocolError, type OvsdbClient } from '../../src/ovsdb/index.js';
import { startProxy, type OvsdbProxy } from '../support/ovsdb-proxy.js';
import { useClients, useOvsdbServer } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

const server = useOvsdbServer();
const open = useClients();
let proxy: OvsdbProxy;

beforeAll(async () => {
  proxy = await startProxy(join(server().dir, 'proxy.sock'), server().remote);
});
afterAll(async () => {
  await proxy?.close();
});

async function client(): Promise<{ c: OvsdbClient; warnings: Error[]; drops: Error[] }> {
  const c = await open({ remotes: proxy.remote, database: 'OVN_Northbound', monitor: { Logical_Switch: { columns: ['name'] } }, backoffInitialMs: 10, backoffMaxMs: 50 });
  const warnings: Error[] = [];
  const drops: Error[] = [];
  c.on('warning', (e) => warnings.push(e));
  c.on('disconnected', (e) => drops.push(e));
  return { c, warnings, drops };
}

/** Waits for the drop and the reconnection that follows, then checks the connection works. */
async function recovers(c: OvsdbClient, drops: Error[], connectionsBefore: number): Promise<void> {
  await waitFor(() => drops.length > 0 && c.isConnected && proxy.connections > connectionsBefore, 10_000, 'reconnection');
  await expect(c.transact([{ op: 'comment', comment: 'still works' }])).resolves.toEqual([{}]);
}

describe('bad input from the server', () => {
  it('truncated JSON: clear protocol error, then reconnects', async () => {
    const { c, drops } = await client();
    const n = proxy.connections;
    proxy.injectAndClose('{"id":null,"method":"update2","params":["ovnscale",{"Logical_Switch":{');
    await recovers(c, drops, n);
    expect(drops[0]).toBeInstanceOf(OvsdbProtocolError);
    expect(drops[0]!.message).toMatch(/connection closed inside a JSON value \(\d+ bytes of a truncated message\)/);
  });

  it('invalid JSON: clear protocol error, then reconnects', async () => {
    const { c, drops } = await client();
    const n = proxy.connections;
    proxy.inject('{"id":null,"method":"update2","params":nul}');
    await recovers(c, drops, n);
    expect(drops[0]!.message).toMatch(/invalid JSON from server/);
  });

  it('unknown method: answered with an error, reported, and the connection stays up', async () => {
    const { c, warnings, drops } = await client();
    proxy.inject('{"id":"inj-1","method":"frobnicate","params":[]}');
    proxy.inject('{"id":null,"method":"frobnicated","params":[1]}');
    await waitFor(() => warnings.length >= 2 && proxy.answers.length >= 1);
    expect(proxy.answers[0]).toEqual({ id: 'inj-1', result: null, error: 'unknown method' });
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/request with unknown method 'frobnicate'/),
      expect.stringMatching(/unexpected notification 'frobnicated'/),
    ]);
    expect(drops).toEqual([]);
    await expect(c.transact([{ op: 'comment', comment: 'ok' }])).resolves.toEqual([{}]);
  });

  it('wrong type in an update: error names table, row and column; the cache resyncs on the new connection', async () => {
    const { c, drops } = await client();
    const n = proxy.connections;
    proxy.mangleNext(
      (m) => m.method === 'update3' || m.method === 'update2',
      (m) => JSON.stringify(m).replace('"name":"typed"', '"name":42'),
    );
    // The mangled update may close the connection before the reply is read: the outcome is then unknown to us.
    await c.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'typed' } }]).catch((err: unknown) => expect(err).toBeInstanceOf(OvsdbProtocolError));
    await recovers(c, drops, n);
    expect(drops[0]).toBeInstanceOf(OvsdbProtocolError);
    expect(drops[0]!.message).toMatch(/Logical_Switch row [0-9a-f-]{36} column name: expected a string, got 42/);
    expect(c.cache.table('Logical_Switch').findOne('name', 'typed')).toBeDefined();
  });

  it('wrong type in a transact reply: the transaction fails with a protocol error, then reconnects', async () => {
    const { c, drops } = await client();
    const n = proxy.connections;
    proxy.mangleNext(
      (m) => Array.isArray(m.result) && m.result.length === 1 && JSON.stringify(m.result) === '[{}]',
      (m) => JSON.stringify({ ...m, result: 'oops' }),
    );
    await expect(c.transact([{ op: 'comment', comment: 'x' }])).rejects.toThrow(/transact: expected an array of results, got string/);
    await recovers(c, drops, n);
  });

  it('a reply that is not a JSON-RPC object: protocol error, then reconnects', async () => {
    const { c, drops } = await client();
    const n = proxy.connections;
    proxy.inject('[1,2,3]');
    await recovers(c, drops, n);
    expect(drops[0]!.message).toMatch(/expected a JSON-RPC object, got an array/);
  });
});

describe('servers without monitor_cond_since', () => {
  it('falls back to monitor_cond and keeps the cache current', async () => {
    const old = await startProxy(join(server().dir, 'old.sock'), server().remote);
    try {
      old.interceptRequests('monitor_cond_since', (m) => JSON.stringify({ id: m.id, result: null, error: 'unknown method' }));
      const c = await open({ remotes: old.remote, database: 'OVN_Northbound', monitor: { Logical_Switch: { columns: ['name'] } } });
      const [ins] = await c.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'via-monitor-cond' } }]);
      await waitFor(() => c.cache.table('Logical_Switch').get(ins!.uuid!) !== undefined);
      expect(c.cache.table('Logical_Switch').get(ins!.uuid!)!.name).toBe('via-monitor-cond');
    } finally {
      await old.close();
    }
  });
});
