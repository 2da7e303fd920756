import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeTempDir, startOvsdbServer } from '../../src/embedded/index.js';
import { connect, OvsdbConnectionError } from '../../src/ovsdb/index.js';
import { makePki } from '../support/pki.js';

describe('ssl: remotes', () => {
  it('connects with key, certificate and CA files, and fails clearly without a client certificate', async () => {
    const pkiDir = makeTempDir('pki');
    const pki = await makePki(pkiDir);
    const s = await startOvsdbServer({ ssl: { ...pki.server, ca: pki.ca } });
    try {
      const c = await connect({ remotes: s.sslRemote!, database: 'OVN_Northbound', tls: { ...pki.client, ca: pki.ca } });
      await expect(c.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'over-ssl' } }])).resolves.toHaveLength(1);
      expect(c.remote).toBe(s.sslRemote);
      await c.close();
      await expect(connect({ remotes: s.sslRemote!, database: 'OVN_Northbound', tls: { ca: pki.ca }, initialConnectTimeoutMs: 1500 })).rejects.toThrow(OvsdbConnectionError);
    } finally {
      await s.stop();
      rmSync(pkiDir, { recursive: true, force: true });
    }
  });
});
