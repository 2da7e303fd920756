import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { runTool } from '../../src/embedded/index.js';
import { OvsdbConnectionError, type CacheSnapshot, type OvsdbClient, type RowChange } from '../../src/ovsdb/index.js';
import { createLogger } from '../../src/util/log.js';
import { useClients, useRaftCluster } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

const cluster = useRaftCluster(3);
const open = useClients();

type Monitor = NonNullable<Parameters<typeof open>[0]['monitor']>;

/**
 * A client started from `snap`, carried through v8 serialization as a file
 * between two processes would carry it; `found`: each table's
 * monitor_cond_since answer, and the client's log lines.
 */
async function resumeFrom(snap: CacheSnapshot | undefined, monitor: Monitor): Promise<{ client: OvsdbClient; found: boolean[]; lines: string[] }> {
  const lines: string[] = [];
  const client = await open({
    remotes: cluster().remote,
    database: 'OVN_Northbound',
    leaderOnly: true,
    monitor,
    resume: deserialize(serialize(snap)) as CacheSnapshot,
    logger: createLogger({ level: 'debug', write: (l) => void lines.push(l) }),
  });
  const found = lines.filter((l) => l.includes('"msg":"monitor_cond_since"')).map((l) => (JSON.parse(l) as { found: boolean }).found);
  return { client, found, lines };
}

describe('clustered NB (3-member Raft)', () => {
  it('connects to the leader through _Server, whatever the order of remotes', async () => {
    const leader = await cluster().waitForLeader();
    // Put the leader last: the client must skip the followers.
    const remotes = [...cluster().remotes.filter((_, i) => i !== leader), cluster().remotes[leader]!];
    const c = await open({ remotes: remotes.join(','), database: 'OVN_Northbound', leaderOnly: true });
    expect(c.remote).toBe(cluster().remotes[leader]);
    await c.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'raft-r0' } }]);
  });

  it('with leaderOnly false, uses the first member that is connected to the cluster', async () => {
    const c = await open({ remotes: cluster().remotes, database: 'OVN_Northbound', leaderOnly: false });
    expect(c.remote).toBe(cluster().remotes[0]);
  });

  it('after a reconnect, the monitor of each table resumes from its last transaction: only what changed meanwhile arrives', async () => {
    const lines: string[] = [];
    const c = await open({
      remotes: cluster().remote,
      database: 'OVN_Northbound',
      leaderOnly: true,
      monitor: { Logical_Router: { columns: ['name'] }, Logical_Switch: { columns: ['name'] } },
      logger: createLogger({ level: 'debug', write: (l) => void lines.push(l) }),
      backoffInitialMs: 20,
    });
    const writer = await open({ remotes: cluster().remote, database: 'OVN_Northbound', leaderOnly: true });
    await c.transact([
      { op: 'insert', table: 'Logical_Router', row: { name: 'resume-r1' } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'resume-s1' } },
    ]);
    const changes: RowChange[] = [];
    c.cache.onChange((ch) => changes.push(ch));
    const resumed = () => lines.filter((l) => l.includes('"msg":"monitor_cond_since"')).map((l) => JSON.parse(l) as { table: string; found: boolean });
    const before = resumed().length;
    const reconnected = new Promise((r) => c.once('connected', r));
    c.disconnect('test: drop the connection');
    await writer.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'resume-s2' } }]);
    await reconnected;
    expect(resumed().slice(before).map((m) => [m.table, m.found]).sort()).toEqual([
      ['Logical_Router', true],
      ['Logical_Switch', true],
    ]);
    await waitFor(() => c.cache.table('Logical_Switch').findOne('name', 'resume-s2') !== undefined, 10_000, 'the switch written while disconnected');
    expect(changes.map((ch) => [ch.table, ch.kind, ch.row['name']])).toEqual([['Logical_Switch', 'insert', 'resume-s2']]);
  });

  it('a new process resumes from a snapshot of the cache: only what changed since arrives; a foreign or stale snapshot still converges', async () => {
    const monitor = { Logical_Switch: { columns: ['name', 'other_config'] }, Address_Set: { columns: ['name', 'addresses'], intern: ['addresses'] } };
    const writer = await open({ remotes: cluster().remote, database: 'OVN_Northbound', leaderOnly: true });
    // The server keeps no more history than the database holds atoms: a few rows' worth would keep one transaction only.
    const pad = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, 'v']));
    await writer.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'snap-pad', external_ids: pad } }]);
    await writer.transact([
      { op: 'insert', table: 'Logical_Switch', row: { name: 'snap-keep', other_config: { a: '1' } } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'snap-change', other_config: { a: '1' } } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'snap-drop' } },
      { op: 'insert', table: 'Address_Set', row: { name: 'snap-as', addresses: ['10.0.0.1', '10.0.0.2'] } },
    ]);
    const first = await open({ remotes: cluster().remote, database: 'OVN_Northbound', leaderOnly: true, monitor });
    const snap = (await first.snapshot())!;
    await first.close();
    expect(Object.keys(snap.tables).sort()).toEqual(['Address_Set', 'Logical_Switch']);
    await writer.transact([
      { op: 'insert', table: 'Logical_Switch', row: { name: 'snap-new' } },
      { op: 'update', table: 'Logical_Switch', where: [['name', '==', 'snap-change']], row: { other_config: { a: '2' } } },
      { op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'snap-drop']] },
    ]);
    const fresh = await open({ remotes: cluster().remote, database: 'OVN_Northbound', leaderOnly: true, monitor });
    const content = (c: OvsdbClient) => ({
      switches: [...c.cache.table('Logical_Switch').rows()].map((r) => [r._uuid, r['name'], r['other_config']]).sort(),
      sets: [...c.cache.table('Address_Set').rows()].map((r) => [r._uuid, r['name'], r['addresses']]).sort(),
    });

    const { client: resumed, found } = await resumeFrom(snap, monitor);
    expect(found).toEqual([true, true]);
    expect(content(resumed)).toEqual(content(fresh));
    expect(resumed.resumedUnchanged).toBe(false);
    expect(fresh.resumedUnchanged).toBe(false);
    // Nothing written since this one: the server confirms every table as it was.
    const { client: quiet } = await resumeFrom(await resumed.snapshot(), monitor);
    expect(quiet.resumedUnchanged).toBe(true);
    expect(content(quiet)).toEqual(content(fresh));
    // Later updates apply on top of the loaded rows.
    await writer.transact([{ op: 'insert', table: 'Address_Set', row: { name: 'snap-as2', addresses: ['10.0.0.1'] } }]);
    await waitFor(() => resumed.cache.table('Address_Set').size === 2, 10_000, 'the second address set');
    // The cache no longer holds just the snapshot's rows.
    await waitFor(() => quiet.cache.table('Address_Set').size === 2, 10_000, 'the second address set, resumed quietly');
    expect(quiet.resumedUnchanged).toBe(false);

    // A snapshot of a transaction the server does not know: every table's full content, diffed against the rows loaded.
    const stale: CacheSnapshot = { ...snap, tables: Object.fromEntries(Object.entries(snap.tables).map(([t, v]) => [t, { ...v, lastTxnId: '00000000-1111-4222-8333-444444444444' }])) };
    const { client: again, found: staleFound } = await resumeFrom(stale, monitor);
    expect(staleFound).toEqual([false, false]);
    expect(content(again)).toEqual(content(resumed));
    expect(again.resumedUnchanged).toBe(false);

    // A snapshot of other columns is not used (logged with the reason); the cache is replicated as usual.
    const { client: other, lines: otherLines } = await resumeFrom(snap, { ...monitor, Logical_Switch: { columns: ['name'] } });
    expect(otherLines.find((l) => l.includes('cache snapshot not used'))).toMatch(/table Logical_Switch holds columns name,other_config, the monitor asks for name/);
    expect(other.cache.table('Logical_Switch').size).toBe(fresh.cache.table('Logical_Switch').size);
  });

  it('a snapshot after many writes to one table resumes every table, also those whose own last transaction the server has dropped', async () => {
    const monitor = { Logical_Router: { columns: ['name'] }, Load_Balancer: { columns: ['name', 'vips'] } };
    const writer = await open({ remotes: cluster().remote, database: 'OVN_Northbound', leaderOnly: true });
    const pad = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'v']));
    await writer.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'rounds-pad', external_ids: pad } }]);
    const c = await open({ remotes: cluster().remote, database: 'OVN_Northbound', leaderOnly: true, monitor });
    await c.transact([{ op: 'insert', table: 'Load_Balancer', row: { name: 'rounds-lb', vips: {} } }]);
    // The server keeps about a hundred transactions: the routers' own last one falls out of its history.
    for (let i = 0; i < 120; i++) await c.transact([{ op: 'update', table: 'Load_Balancer', where: [['name', '==', 'rounds-lb']], row: { vips: { [`10.0.0.${i % 250}:80`]: '10.1.0.1:80' } } }]);
    const snap = await c.snapshot();
    const { client: resumed, found } = await resumeFrom(snap, monitor);
    expect(found).toEqual([true, true]);
    expect(resumed.resumedUnchanged).toBe(true);
    expect(new Set(Object.values(snap!.tables).map((t) => t.lastTxnId)).size).toBe(1);
    expect(resumed.cache.table('Load_Balancer').findOne('name', 'rounds-lb')?.['vips']).toEqual({ '10.0.0.119:80': '10.1.0.1:80' });
  });

  it('follows the new leader after SIGKILL of the leader while transactions flow; later transactions succeed', async () => {
    const c: OvsdbClient = await open({
      remotes: cluster().remote,
      database: 'OVN_Northbound',
      leaderOnly: true,
      monitor: { Logical_Router: { columns: ['name'] } },
      backoffInitialMs: 50,
      backoffMaxMs: 500,
      waitForConnectionMs: 20_000,
    });
    const oldLeader = cluster().remotes.indexOf(c.remote!);
    expect(oldLeader).toBeGreaterThanOrEqual(0);

    let ok = 0;
    const acked: string[] = [];
    const failures: Error[] = [];
    let stop = false;
    const flow = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await c.transact([{ op: 'insert', table: 'Logical_Router', row: { name: `flow-${i}` } }]);
          acked.push(`flow-${i}`);
          ok++;
        } catch (err) {
          failures.push(err as Error);
        }
      }
    })();
    await waitFor(() => ok >= 20, 10_000, '20 transactions before the kill');
    await cluster().kill(oldLeader, 'SIGKILL');
    const okAtKill = ok;
    await waitFor(() => c.isConnected && c.remote !== cluster().remotes[oldLeader] && ok > okAtKill + 20, 30_000, 'transactions on the new leader');
    stop = true;
    await flow;

    const newLeader = await cluster().leaderIndex();
    expect(c.remote).toBe(cluster().remotes[newLeader!]);
    // A transaction in flight at the kill fails with a connection error (outcome unknown), never silently replayed.
    for (const f of failures) expect(f).toBeInstanceOf(OvsdbConnectionError);
    expect(failures.length).toBeLessThanOrEqual(2);
    // Every acknowledged insert is in the replicated cache.
    const routers = c.cache.table('Logical_Router');
    await waitFor(() => acked.every((name) => routers.findOne('name', name) !== undefined), 10_000, 'acknowledged rows in the cache');

    await cluster().restart(oldLeader);
    await cluster().waitForLeader();
    await expect(c.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'after-restart' } }])).resolves.toHaveLength(1);
  });

  it('leaves a leader that _Server reports has lost leadership (frozen, then back as a follower)', async () => {
    const leader = await cluster().waitForLeader();
    const c = await open({ remotes: cluster().remote, database: 'OVN_Northbound', leaderOnly: true, inactivityProbeMs: 60_000, echoTimeoutMs: 60_000, backoffInitialMs: 50 });
    expect(c.remote).toBe(cluster().remotes[leader]);
    const drops: Error[] = [];
    c.on('disconnected', (e) => drops.push(e));
    const role = async (i: number) => (await runTool('ovs-appctl', ['-t', cluster().servers[i]!.ctl, 'cluster/status', 'OVN_Northbound'])).match(/^Role: (\w+)$/m)?.[1];
    const others = [0, 1, 2].filter((i) => i !== leader);
    cluster().servers[leader]!.signal('SIGSTOP');
    let newLeader = -1;
    try {
      const deadline = Date.now() + 15_000;
      while (newLeader < 0 && Date.now() < deadline) {
        for (const i of others) if ((await role(i)) === 'leader') newLeader = i;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      cluster().servers[leader]!.signal('SIGCONT');
    }
    expect(newLeader).toBeGreaterThanOrEqual(0);
    // The old leader comes back as a follower and says so through _Server: the client moves.
    await waitFor(() => drops.length > 0 && c.isConnected, 15_000, 'move to the new leader');
    expect(drops[0]!.message).toMatch(/not the cluster leader/);
    expect(c.remote).toBe(cluster().remotes[newLeader]);
    await expect(c.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'after-freeze' } }])).resolves.toHaveLength(1);
  });
});
