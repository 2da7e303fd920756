import { describe, expect, it } from 'vitest';
import { judgeServer, type ServerDatabaseRow } from '../../src/ovsdb/server-db.js';

const row = (over: Partial<ServerDatabaseRow>): ServerDatabaseRow => ({
  _uuid: 'u',
  name: 'OVN_Northbound',
  model: 'clustered',
  connected: true,
  leader: true,
  index: [10],
  ...over,
});

describe('choosing a server from _Server.Database', () => {
  it('accepts a standalone server and a connected leader, reporting its log index', () => {
    expect(judgeServer(row({ model: 'standalone', leader: true, index: [] }), 'OVN_Northbound', true, 0)).toEqual({ ok: true });
    expect(judgeServer(row({}), 'OVN_Northbound', true, 5)).toEqual({ ok: true, index: 10 });
  });

  it('rejects followers when leaderOnly, disconnected members, missing databases, and servers behind an index already seen', () => {
    expect(judgeServer(row({ leader: false }), 'OVN_Northbound', true, 0)).toMatchObject({ ok: false, reason: 'the server is not the cluster leader' });
    expect(judgeServer(row({ leader: false }), 'OVN_Northbound', false, 0)).toMatchObject({ ok: true });
    expect(judgeServer(row({ connected: false }), 'OVN_Northbound', false, 0)).toMatchObject({ ok: false, reason: 'the server is not connected to its cluster' });
    expect(judgeServer(undefined, 'OVN_Northbound', true, 0)).toMatchObject({ ok: false, reason: 'the server does not serve database OVN_Northbound' });
    expect(judgeServer(row({ index: [7] }), 'OVN_Northbound', true, 9)).toMatchObject({ ok: false, reason: 'the server is behind (log index 7 < 9 seen before)' });
  });
});
