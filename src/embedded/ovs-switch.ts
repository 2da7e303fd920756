/**
 * A real Open vSwitch in a temp folder: the Open_vSwitch ovsdb-server and
 * ovs-vswitchd with the userspace (netdev) datapath, so br-int and its
 * br-int.mgmt socket are real without a kernel module. ovs-vswitchd runs in
 * a network namespace of its own (unshare --net): the tap devices the netdev
 * datapath creates vanish with it instead of lingering on the host.
 */
import { join } from 'node:path';
import { logTail, runTool, spawnManaged, waitForSocket, type ManagedProcess } from './processes.js';
import { startOvsdbServer, type EmbeddedServer } from './ovsdb-server.js';

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsSwitch {
  /** The Open_vSwitch database server (`db.remote` is `unix:<dir>/conf.sock`). */
  db: EmbeddedServer;
  /** Where ovs-vswitchd puts br-int.mgmt (its OVS_RUNDIR). */
  rundir: string;
  readonly vswitchdRunning: boolean;
  /** Starts ovs-vswitchd (started by default unless `vswitchd: false`). */
  startVswitchd(): Promise<void>;
  stopVswitchd(): Promise<void>;
  /** ovs-vsctl against this switch's database. */
  vsctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startOvsSwitch(opts: { vswitchd?: boolean } = {}): Promise<OvsSwitch> {
  const db = await startOvsdbServer({ schema: VSWITCH_SCHEMA, name: 'conf' });
  const rundir = db.dir;
  const env = { OVS_RUNDIR: rundir, OVS_LOGDIR: rundir, OVS_DBDIR: rundir };
  const vsctl = (...args: string[]): Promise<string> =>
    runTool('ovs-vsctl', [`--db=${db.remote}`, '--timeout=10', ...args], { env });
  await vsctl('--no-wait', 'init');
  let proc: ManagedProcess | undefined;
  const logFile = join(rundir, 'ovs-vswitchd.log');

  const sw: OvsSwitch = {
    db,
    rundir,
    get vswitchdRunning() {
      return proc?.running ?? false;
    },
    async startVswitchd() {
      if (proc?.running) return;
      const ctl = join(rundir, 'ovs-vswitchd.ctl');
      proc = spawnManaged(
        'unshare',
        [
          '--net',
          'ovs-vswitchd',
          db.remote,
          '--no-chdir',
          '--disable-system',
          `--pidfile=${join(rundir, 'ovs-vswitchd.pid')}`,
          `--log-file=${logFile}`,
          `--unixctl=${ctl}`,
        ],
        { cwd: rundir, env },
      );
      try {
        await waitForSocket({ path: ctl }, proc, 'ovs-vswitchd');
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${logTail(logFile)}`);
      }
    },
    async stopVswitchd() {
      await proc?.stop();
    },
    vsctl,
    async stop() {
      await proc?.stop();
      await db.stop();
    },
  };
  if (opts.vswitchd ?? true) await sw.startVswitchd();
  return sw;
}
