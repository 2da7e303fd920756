/**
 * Real ovsdb-server processes in temp folders: a standalone database and a
 * Raft cluster, on unix sockets (and 127.0.0.1 when asked), for tests, the
 * demo and the benchmarks.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, logTail, makeTempDir, runTool, spawnManaged, waitForSocket, type ManagedProcess } from './processes.js';

export const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';
export const SB_SCHEMA = '/usr/share/ovn/ovn-sb.ovsschema';

export interface EmbeddedServer {
  /** `unix:<dir>/<name>.sock` */
  remote: string;
  /** `tcp:127.0.0.1:<port>` when started with `tcp: true`. */
  tcpRemote?: string;
  /** `ssl:127.0.0.1:<port>` when started with `ssl` files. */
  sslRemote?: string;
  dir: string;
  dbFile: string;
  logFile: string;
  /** The unixctl socket, for `ovs-appctl -t`. */
  ctl: string;
  readonly pid: number;
  readonly running: boolean;
  /** Sends a signal without waiting (SIGSTOP/SIGCONT to freeze a member). */
  signal(signal: NodeJS.Signals): void;
  /** Sends a signal (SIGKILL to simulate a crash) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same files and sockets (after kill). */
  restart(): Promise<void>;
  /** Stops the server and removes its folder (unless the folder was given by the caller). */
  stop(): Promise<void>;
}

export interface ServerOptions {
  schema?: string;
  /** Folder to use (kept on stop); a fresh temp folder by default (removed on stop). */
  dir?: string;
  /** File and socket base name (default: "db"). */
  name?: string;
  /** Also listen on 127.0.0.1 on a free port. */
  tcp?: boolean;
  /** Also listen for SSL on 127.0.0.1 (PEM files: private key, certificate, CA certificate that signs the clients'). */
  ssl?: { key: string; cert: string; ca: string };
  /**
   * A clustered database of one member (ovsdb-tool create-cluster), as
   * Kube-OVN's ovn-central runs the NB: it keeps the transaction history
   * monitor_cond_since resumes from, which a standalone database does not.
   */
  clustered?: boolean;
}

export function schemaName(schemaFile: string): string {
  const s = JSON.parse(readFileSync(schemaFile, 'utf8')) as { name?: unknown };
  if (typeof s.name !== 'string') throw new Error(`${schemaFile}: schema has no name`);
  return s.name;
}

const toolEnv = (dir: string): NodeJS.ProcessEnv => ({ OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVN_RUNDIR: dir, OVN_LOGDIR: dir, OVN_DBDIR: dir });

class Server implements EmbeddedServer {
  remote: string;
  tcpRemote?: string;
  sslRemote?: string;
  dbFile: string;
  logFile: string;
  ctl: string;
  private sock: string;
  private pidFile: string;
  private proc?: ManagedProcess;

  constructor(
    readonly dir: string,
    name: string,
    private readonly ownsDir: boolean,
    private readonly tcpPort?: number,
    private readonly ssl?: { port: number; key: string; cert: string; ca: string },
  ) {
    this.sock = join(dir, `${name}.sock`);
    this.remote = `unix:${this.sock}`;
    if (tcpPort) this.tcpRemote = `tcp:127.0.0.1:${tcpPort}`;
    if (ssl) this.sslRemote = `ssl:127.0.0.1:${ssl.port}`;
    this.dbFile = join(dir, `${name}.db`);
    this.logFile = join(dir, `${name}.log`);
    this.ctl = join(dir, `${name}.ctl`);
    this.pidFile = join(dir, `${name}.pid`);
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  /** Spawns ovsdb-server; with `waitSocket` false the caller decides when it is ready (Raft joins). */
  async start(waitSocket = true): Promise<void> {
    rmSync(this.sock, { force: true });
    const args = [
      this.dbFile,
      `--remote=punix:${this.sock}`,
      `--unixctl=${this.ctl}`,
      `--pidfile=${this.pidFile}`,
      `--log-file=${this.logFile}`,
      '--no-chdir',
      '-vconsole:off',
      '-vfile:info',
    ];
    if (this.tcpPort) args.push(`--remote=ptcp:${this.tcpPort}:127.0.0.1`);
    if (this.ssl) {
      const { port, key, cert, ca } = this.ssl;
      args.push(`--remote=pssl:${port}:127.0.0.1`, `--private-key=${key}`, `--certificate=${cert}`, `--ca-cert=${ca}`);
    }
    this.proc = spawnManaged('ovsdb-server', args, { cwd: this.dir, env: toolEnv(this.dir) });
    if (!waitSocket) return;
    try {
      await waitForSocket({ path: this.sock }, this.proc, `ovsdb-server ${this.dbFile}`);
      if (this.tcpPort) await waitForSocket({ port: this.tcpPort }, this.proc, `ovsdb-server ${this.dbFile} tcp`);
      if (this.ssl) await waitForSocket({ port: this.ssl.port }, this.proc, `ovsdb-server ${this.dbFile} ssl`);
    } catch (err) {
      throw new Error(`${(err as Error).message}; log: ${logTail(this.logFile)}`);
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.proc?.kill(signal);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.proc?.running) return;
    this.proc.kill(signal);
    await this.proc.exited;
  }

  async restart(): Promise<void> {
    if (this.proc?.running) await this.proc.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.proc) await this.proc.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Creates a database from `schema` (the OVN NB schema by default) and serves it. */
export async function startOvsdbServer(opts: ServerOptions = {}): Promise<EmbeddedServer> {
  const schema = opts.schema ?? NB_SCHEMA;
  const dir = opts.dir ?? makeTempDir('ovsdb');
  const port = opts.tcp ? await freePort() : undefined;
  const ssl = opts.ssl ? { ...opts.ssl, port: await freePort() } : undefined;
  const s = new Server(dir, opts.name ?? 'db', opts.dir === undefined, port, ssl);
  try {
    if (opts.clustered) await runTool('ovsdb-tool', ['create-cluster', s.dbFile, schema, `tcp:127.0.0.1:${await freePort()}`], { cwd: dir });
    else await runTool('ovsdb-tool', ['create', s.dbFile, schema], { cwd: dir });
    await s.start();
  } catch (err) {
    await s.stop();
    throw err;
  }
  return s;
}

export interface RaftCluster {
  /** Client remotes of the members, in member order. */
  remotes: string[];
  /** All remotes comma-separated, as OVN tools take them. */
  remote: string;
  database: string;
  servers: EmbeddedServer[];
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  restart(i: number): Promise<void>;
  /** The member that is leader now (asked through cluster/status), if any. */
  leaderIndex(): Promise<number | undefined>;
  /** Waits until some member is leader and every running member has joined. */
  waitForLeader(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

async function clusterStatus(server: EmbeddedServer, database: string): Promise<string> {
  return runTool('ovs-appctl', ['-t', server.ctl, 'cluster/status', database], { timeoutMs: 5000 }).catch(() => '');
}

/** A Raft cluster of `members` servers (ovsdb-tool create-cluster / join-cluster) on 127.0.0.1 ports, clients on unix sockets. */
export async function startRaftCluster(opts: { schema?: string; members?: number; dir?: string } = {}): Promise<RaftCluster> {
  const schema = opts.schema ?? NB_SCHEMA;
  const n = opts.members ?? 3;
  const dir = opts.dir ?? makeTempDir('raft');
  const database = schemaName(schema);
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const servers = ports.map((_, i) => new Server(dir, `s${i}`, false));
  const raft = (i: number) => `tcp:127.0.0.1:${ports[i]}`;
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await runTool('ovsdb-tool', ['create-cluster', servers[0]!.dbFile, schema, raft(0)], { cwd: dir });
    for (let i = 1; i < n; i++) await runTool('ovsdb-tool', ['join-cluster', servers[i]!.dbFile, database, raft(i), raft(0)], { cwd: dir });
    await servers[0]!.start();
    await Promise.all(servers.slice(1).map((s) => s.start()));
  } catch (err) {
    await stopAll();
    throw err;
  }
  const cluster: RaftCluster = {
    remotes: servers.map((s) => s.remote),
    remote: servers.map((s) => s.remote).join(','),
    database,
    servers,
    kill: (i, signal = 'SIGKILL') => servers[i]!.kill(signal),
    restart: (i) => servers[i]!.restart(),
    async leaderIndex() {
      const st = await Promise.all(servers.map((s) => (s.running ? clusterStatus(s, database) : Promise.resolve(''))));
      const i = st.findIndex((t) => /^Role: leader$/m.test(t));
      return i < 0 ? undefined : i;
    },
    async waitForLeader(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const st = await Promise.all(servers.map((s) => (s.running ? clusterStatus(s, database) : Promise.resolve(null))));
        const leader = st.findIndex((t) => t !== null && /^Role: leader$/m.test(t));
        const joined = st.every((t) => t === null || /^Status: cluster member$/m.test(t));
        if (leader >= 0 && joined) return leader;
        if (Date.now() > deadline) throw new Error(`raft cluster: no leader with all members joined within ${timeoutMs} ms: ${st.map((t) => t?.split('\n').find((l) => l.startsWith('Role')) ?? 'down').join('; ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: stopAll,
  };
  try {
    await cluster.waitForLeader();
  } catch (err) {
    await stopAll();
    throw err;
  }
  return cluster;
}
