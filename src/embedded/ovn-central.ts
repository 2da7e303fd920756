/**
 * An embedded "OVN central": NB and SB ovsdb-servers plus ovn-northd, so that
 * what we write to the NB is compiled into logical flows. Tests grep northd's
 * log for errors.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startOvsdbServer, NB_SCHEMA, SB_SCHEMA, type EmbeddedServer } from './ovsdb-server.js';
import { logTail, makeTempDir, spawnManaged, type ManagedProcess } from './processes.js';

export interface OvnCentral {
  dir: string;
  nb: EmbeddedServer;
  sb: EmbeddedServer;
  northd: { readonly pid: number; logFile: string; ctl: string };
  /** Environment for ovn-nbctl/ovn-sbctl/ovn-trace: OVN_NB_DB, OVN_SB_DB and run dirs in `dir`. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** `clustered`: the NB as a one-member Raft cluster (see ServerOptions.clustered). */
export async function startOvnCentral(opts: { tcp?: boolean; clustered?: boolean } = {}): Promise<OvnCentral> {
  const dir = makeTempDir('central');
  const started: Array<{ stop(): Promise<unknown> }> = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const nb = await startOvsdbServer({ schema: NB_SCHEMA, dir, name: 'nb', ...(opts.tcp ? { tcp: true } : {}), ...(opts.clustered ? { clustered: true } : {}) });
    started.push(nb);
    const sb = await startOvsdbServer({ schema: SB_SCHEMA, dir, name: 'sb', ...(opts.tcp ? { tcp: true } : {}) });
    started.push(sb);
    const logFile = join(dir, 'northd.log');
    const ctl = join(dir, 'northd.ctl');
    const env = { OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVN_RUNDIR: dir, OVN_LOGDIR: dir, OVN_DBDIR: dir, OVN_NB_DB: nb.remote, OVN_SB_DB: sb.remote };
    const proc: ManagedProcess = spawnManaged(
      'ovn-northd',
      [`--ovnnb-db=${nb.remote}`, `--ovnsb-db=${sb.remote}`, '--no-chdir', `--pidfile=${join(dir, 'northd.pid')}`, `--log-file=${logFile}`, `--unixctl=${ctl}`, '-vconsole:off'],
      { cwd: dir, env },
    );
    started.push(proc);
    const deadline = Date.now() + 10_000;
    while (!existsSync(ctl)) {
      if (!proc.running || Date.now() > deadline) throw new Error(`ovn-northd did not start: ${logTail(logFile)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { dir, nb, sb, northd: { get pid() { return proc.pid; }, logFile, ctl }, env, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
