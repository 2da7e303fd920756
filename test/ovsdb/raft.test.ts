import { describe, expect, it } from 'vitest';
import { runTool } from '../../src/embedded/index.js';
import { OvsdbConnectionError, type OvsdbClient, type RowChange } from '../../src/ovsdb/index.js';
import { createLogger } from '../../src/util/log.js';
import { useClients, useRaftCluster } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

const cluster = useRaftCluster(3);
const open = useClients();

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
