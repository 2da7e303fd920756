import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOvsdbServer, NB_SCHEMA, type EmbeddedServer } from '../../src/embedded/index.js';
import { connect, type OvsdbClient } from '../../src/ovsdb/index.js';

let server: EmbeddedServer;
let client: OvsdbClient;
beforeAll(async () => {
  server = await startOvsdbServer({ schema: NB_SCHEMA });
  client = await connect({ remotes: server.remote, database: 'OVN_Northbound', monitor: { Load_Balancer: { columns: ['name', 'protocol'] } } });
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
});

const protocolOf = (uuid: string) => client.cache.table('Load_Balancer').get(uuid)?.protocol;

async function setProtocol(uuid: string, protocol: string[]): Promise<void> {
  await client.transact([{ op: 'update', table: 'Load_Balancer', where: [['_uuid', '==', uuid]], row: { protocol } }]);
  for (let i = 0; i < 200 && JSON.stringify(protocolOf(uuid)) !== JSON.stringify(protocol); i++) await new Promise((r) => setTimeout(r, 5));
}

it('replaces an optional column that changes from one value to another (update2 sends the new value)', async () => {
  const [ins] = await client.transact([{ op: 'insert', table: 'Load_Balancer', row: { name: 'lb', protocol: ['tcp'] } }]);
  const uuid = ins!.uuid!;
  for (const p of [['udp'], [], ['sctp'], ['tcp']]) {
    await setProtocol(uuid, p);
    expect(protocolOf(uuid)).toEqual(p);
  }
});
