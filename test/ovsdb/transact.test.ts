import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { OvsdbEncodeError, OvsdbTransactError, type Operation } from '../../src/ovsdb/index.js';
import { useClients, useOvsdbServer } from '../support/servers.js';

const server = useOvsdbServer();
const open = useClients();
const nb = () => open({ remotes: server().remote, database: 'OVN_Northbound' });

describe('transact against a real NB ovsdb-server', () => {
  it('runs insert (with uuid-name), select, update, mutate, wait, comment, delete', async () => {
    const c = await nb();
    const [ls, lsp, , sel] = await c.transact([
      { op: 'insert', table: 'Logical_Switch_Port', uuidName: 'p1', row: { name: 'tx-p1', addresses: ['00:00:00:00:00:01 10.0.0.1'], external_ids: { pod: 'ns/p1' } } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'tx-ls', ports: ['p1'], other_config: { subnet: '10.0.0.0/24' } } },
      { op: 'comment', comment: 'ovnscale test' },
      { op: 'select', table: 'Logical_Switch', where: [['name', '==', 'tx-ls']], columns: ['name', 'ports', 'other_config'] },
    ]).then((r) => [r[1], r[0], r[2], r[3]]);
    expect(ls!.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(sel!.rows).toEqual([{ name: 'tx-ls', ports: [lsp!.uuid], other_config: { subnet: '10.0.0.0/24' } }]);

    const upd = await c.transact([
      { op: 'update', table: 'Logical_Switch_Port', where: [['_uuid', '==', lsp!.uuid!]], row: { tag_request: [42], enabled: [true] } },
      { op: 'mutate', table: 'Logical_Switch_Port', where: [['name', '==', 'tx-p1']], mutations: [['external_ids', 'insert', { vendor: 'ovnscale' }], ['tag_request', '+=', 1]] },
      { op: 'wait', table: 'Logical_Switch_Port', where: [['name', '==', 'tx-p1']], columns: ['tag_request'], until: '==', rows: [{ tag_request: [43] }], timeout: 0 },
      { op: 'select', table: 'Logical_Switch_Port', where: [['external_ids', 'includes', { pod: 'ns/p1' }]], columns: ['external_ids', 'tag_request', 'enabled'] },
    ]);
    expect(upd.map((r) => r.count)).toEqual([1, 1, undefined, undefined]);
    expect(upd[3]!.rows).toEqual([{ external_ids: { pod: 'ns/p1', vendor: 'ovnscale' }, tag_request: [43], enabled: [true] }]);

    const del = await c.transact([
      { op: 'mutate', table: 'Logical_Switch_Port', where: [['name', '==', 'tx-p1']], mutations: [['external_ids', 'delete', ['vendor']]] },
      { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'tx-ls']], mutations: [['ports', 'delete', [lsp!.uuid!]]] },
      { op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'tx-ls']] },
    ]);
    expect(del.map((r) => r.count)).toEqual([1, 1, 1]);
    // The port was strongly referenced only by the switch: garbage-collected at commit.
    const [after] = await c.transact([{ op: 'select', table: 'Logical_Switch_Port', where: [['name', '==', 'tx-p1']], columns: ['name'] }]);
    expect(after!.rows).toEqual([]);
  });

  it('reports a failed wait as "timed out" with the operation index', async () => {
    const c = await nb();
    const err = await c
      .transact([
        { op: 'comment', comment: 'x' },
        { op: 'wait', table: 'NB_Global', where: [], columns: ['name'], until: '==', rows: [{ name: 'never' }], timeout: 0 },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbTransactError);
    expect(err).toMatchObject({ opIndex: 1, error: 'timed out', commit: false, op: 'wait' });
  });

  it('reports a commit-time failure (extra result element) as a commit error', async () => {
    const c = await nb();
    await c.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'dup-a' } }]);
    // Logical_Switch_Port.name is an index: two rows with one name violate it at commit.
    const err = await c
      .transact([
        { op: 'insert', table: 'Logical_Switch_Port', uuidName: 'a', row: { name: 'same' } },
        { op: 'insert', table: 'Logical_Switch_Port', uuidName: 'b', row: { name: 'same' } },
        { op: 'insert', table: 'Logical_Switch', row: { name: 'dup-ls', ports: ['a', 'b'] } },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbTransactError);
    expect(err).toMatchObject({ opIndex: 3, error: 'constraint violation', commit: true });
    expect((err as OvsdbTransactError).details).toMatch(/same/);
  });

  it('reports a referential integrity violation', async () => {
    const c = await nb();
    const err = await c
      .transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ri', ports: ['7c5e1b6a-1111-4222-8333-944455556666'] } }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbTransactError);
    expect((err as OvsdbTransactError).error).toBe('referential integrity violation');
  });

  it('rejects values that do not fit the schema before sending, naming table and column', async () => {
    const c = await nb();
    const bad: Operation[] = [{ op: 'insert', table: 'ACL', row: { priority: 'high' } }];
    await expect(c.transact(bad)).rejects.toThrow(OvsdbEncodeError);
    await expect(c.transact(bad)).rejects.toThrow(/operation 0 \(insert ACL\)\.priority: expected integer/);
    await expect(c.transact([{ op: 'select', table: 'Nope', where: [] }])).rejects.toThrow(/no table 'Nope'/);
    await expect(c.transact([{ op: 'insert', table: 'ACL', row: { nope: 1 } }])).rejects.toThrow(/ACL has no column 'nope'/);
  });

  it('runs abort and assert (an unheld lock fails with "not owner")', async () => {
    const c = await nb();
    await expect(c.transact([{ op: 'abort' }])).rejects.toMatchObject({ error: 'aborted', opIndex: 0 });
    await expect(c.transact([{ op: 'assert', lock: 'nolock' }])).rejects.toMatchObject({ error: 'not owner', opIndex: 0 });
    await expect(c.transact([{ op: 'commit', durable: false }])).resolves.toEqual([{}]);
  });

  it('records request latency with db, method and code labels', async () => {
    const seen: Array<{ db: string; method: string; code: string }> = [];
    const c = await open({ remotes: server().remote, database: 'OVN_Northbound', requestLatency: { observe: (l, ms) => (expect(ms).toBeGreaterThanOrEqual(0), seen.push(l)) } });
    await c.transact([{ op: 'comment', comment: 'hi' }]);
    await c.transact([{ op: 'abort' }]).catch(() => undefined);
    expect(seen).toContainEqual({ db: 'OVN_Northbound', method: 'get_schema', code: 'ok' });
    expect(seen).toContainEqual({ db: 'OVN_Northbound', method: 'transact', code: 'ok' });
    expect(seen).toContainEqual({ db: 'OVN_Northbound', method: 'transact', code: 'aborted' });
  });

  it('feeds a prom-client histogram as ovs_client_request_latency_milliseconds{db,method,code}', async () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'ovs_client_request_latency_milliseconds', help: 'OVSDB request latency', labelNames: ['db', 'method', 'code'], registers: [registry] });
    const c = await open({ remotes: server().remote, database: 'OVN_Northbound', requestLatency: histogram });
    await c.transact([{ op: 'comment', comment: 'metrics' }]);
    const text = await registry.metrics();
    expect(text).toMatch(/ovs_client_request_latency_milliseconds_count\{db="OVN_Northbound",method="transact",code="ok"\} 1/);
  });
});
