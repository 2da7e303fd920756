import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsdbConnectionError } from '../../src/ovsdb/index.js';
import { startProxy, type OvsdbProxy } from '../support/ovsdb-proxy.js';
import { useClients, useOvsdbServer } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

const server = useOvsdbServer();
const open = useClients();
let proxy: OvsdbProxy;

beforeAll(async () => {
  proxy = await startProxy(join(server().dir, 'rpc.sock'), server().remote);
});
afterAll(async () => {
  await proxy?.close();
});

describe('large messages', () => {
  it('sends a transaction larger than one write piece intact, and decodes its large update notification row by row', async () => {
    const watcher = await open({ remotes: server().remote, database: 'OVN_Northbound', monitor: { Address_Set: {} } });
    const writer = await open({ remotes: server().remote, database: 'OVN_Northbound' });
    // ~300 KB each way: several write pieces out, and an update well over the size read as one text.
    const ops = Array.from({ length: 1500 }, (_, i) => ({
      op: 'insert' as const,
      table: 'Address_Set',
      row: { name: `big-${i}`, addresses: [`10.0.${i >> 8}.${i & 255}`], external_ids: { note: `é😀 "quoted" \\ ${'x'.repeat(100)}` } },
    }));
    const results = await writer.transact(ops);
    expect(results).toHaveLength(1500);
    expect(results.every((r) => typeof (r as { uuid?: unknown }).uuid === 'string')).toBe(true);
    await waitFor(() => watcher.cache.table('Address_Set').size >= 1500);
    const row = [...watcher.cache.table('Address_Set').rows()].find((r) => r['name'] === 'big-777');
    expect(row?.['addresses']).toEqual(['10.0.3.9']);
    expect(row?.['external_ids']).toEqual({ note: `é😀 "quoted" \\ ${'x'.repeat(100)}` });
  });
});

describe('JSON-RPC liveness', () => {
  it("answers the server's echo with the same params", async () => {
    await open({ remotes: proxy.remote, database: 'OVN_Northbound' });
    proxy.inject('{"id":"inj-echo","method":"echo","params":["ping",1]}');
    await waitFor(() => proxy.answers.some((a) => a.id === 'inj-echo'));
    expect(proxy.answers.find((a) => a.id === 'inj-echo')).toEqual({ id: 'inj-echo', result: ['ping', 1], error: null });
  });

  it('declares a silent peer dead after the echo timeout and reconnects', async () => {
    const c = await open({ remotes: proxy.remote, database: 'OVN_Northbound', inactivityProbeMs: 100, echoTimeoutMs: 200, backoffInitialMs: 10 });
    const drops: Error[] = [];
    c.on('disconnected', (e) => drops.push(e));
    const n = proxy.connections;
    const t0 = Date.now();
    proxy.blackhole();
    await waitFor(() => drops.length > 0, 5000, 'dead-peer detection');
    const detectedMs = Date.now() - t0;
    expect(drops[0]).toBeInstanceOf(OvsdbConnectionError);
    expect(drops[0]!.message).toMatch(/no reply to echo within 200 ms/);
    expect(detectedMs).toBeLessThan(1000);
    await waitFor(() => c.isConnected && proxy.connections > n);
    await expect(c.transact([{ op: 'comment', comment: 'alive' }])).resolves.toEqual([{}]);
  });

  it('a transaction issued while disconnected waits for the reconnection; with no server it fails with a typed error', async () => {
    const c = await open({ remotes: server().remote, database: 'OVN_Northbound', backoffInitialMs: 20, backoffMaxMs: 100, waitForConnectionMs: 300 });
    await server().kill('SIGKILL');
    await waitFor(() => !c.isConnected);
    await expect(c.transact([{ op: 'comment', comment: 'x' }])).rejects.toThrow(OvsdbConnectionError);
    await expect(c.transact([{ op: 'comment', comment: 'x' }])).rejects.toThrow(/no usable connection to OVN_Northbound within 300 ms/);
    const pending = c.transact([{ op: 'comment', comment: 'waits' }], { waitForConnectionMs: 15_000 });
    await server().restart();
    await expect(pending).resolves.toEqual([{}]);
  });
});
