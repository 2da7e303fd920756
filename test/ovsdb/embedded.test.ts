import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killLeftovers, makeTempDir, RUN_ROOT_ENV, runRoot, runTool, startOvnCentral, startOvsdbServer } from '../../src/embedded/index.js';
import { connect } from '../../src/ovsdb/index.js';

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

describe('embedded processes', () => {
  it('live under the per-run root the global setup created (its teardown kills leftovers)', () => {
    expect(process.env[RUN_ROOT_ENV]).toMatch(/ovnscale-run-/);
    expect(runRoot()).toBe(process.env[RUN_ROOT_ENV]);
    expect(makeTempDir('x').startsWith(runRoot())).toBe(true);
  });

  it('ovn-central: what we write to the NB is compiled by ovn-northd into the SB without errors', async () => {
    const central = await startOvnCentral();
    try {
      const nb = await connect({ remotes: central.nb.remote, database: 'OVN_Northbound' });
      await nb.transact([
        { op: 'insert', table: 'Logical_Switch_Port', uuidName: 'p', row: { name: 'emb-p1', addresses: ['0a:00:00:00:00:01 10.0.0.5'] } },
        { op: 'insert', table: 'Logical_Switch', row: { name: 'emb-ls', ports: ['p'] } },
      ]);
      await nb.close();
      await runTool('ovn-nbctl', [`--db=${central.nb.remote}`, '--timeout=20', '--wait=sb', 'sync'], { env: central.env });
      const flows = await runTool('ovn-sbctl', [`--db=${central.sb.remote}`, 'lflow-list', 'emb-ls'], { env: central.env });
      expect(flows).toMatch(/emb-p1/);
      expect(readFileSync(central.northd.logFile, 'utf8')).not.toMatch(/\|(ERR|EMER)\|/);
    } finally {
      await central.stop();
    }
    expect(alive(central.northd.pid)).toBe(false);
    expect(alive(central.nb.pid)).toBe(false);
  });

  it('a standalone server listens on 127.0.0.1 when asked, and stop() leaves no process or folder', async () => {
    const s = await startOvsdbServer({ tcp: true });
    const c = await connect({ remotes: s.tcpRemote!, database: 'OVN_Northbound' });
    await expect(c.transact([{ op: 'comment', comment: 'tcp' }])).resolves.toEqual([{}]);
    await c.close();
    const pid = s.pid;
    await s.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(s.dir)).toBe(false);
  });

  it('killLeftovers kills processes recorded by pidfiles under a root (a run whose owner died)', async () => {
    const root = makeTempDir('leftover');
    const s = await startOvsdbServer({ dir: root });
    expect(Number(readFileSync(join(root, 'db.pid'), 'utf8'))).toBe(s.pid);
    expect(killLeftovers(root)).toEqual([s.pid]);
    await s.kill(); // reaps the child
    expect(alive(s.pid)).toBe(false);
    expect(existsSync(root)).toBe(false);
  });
});
