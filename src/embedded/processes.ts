/**
 * Child processes that never outlive us. Every process is our own child (no
 * --detach), is killed when this process exits or is interrupted, and writes
 * a pidfile under the run root, so a harness can kill leftovers of a run whose
 * node process itself was killed (see killLeftovers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Environment variable naming the per-run temp root (set by the test harness). */
export const RUN_ROOT_ENV = 'OVNSCALE_RUN_ROOT';

const live = new Set<ChildProcess>();
let hooked = false;
let ownRoot: string | undefined;

function killAllNow(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    killAllNow();
    if (ownRoot) rmSync(ownRoot, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllNow();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/**
 * The folder every embedded process lives under: the harness's run root when
 * set, else one temp folder per process, removed at exit. Paths stay short:
 * unix socket paths are limited to ~107 bytes.
 */
export function runRoot(): string {
  const fromEnv = process.env[RUN_ROOT_ENV];
  if (fromEnv) {
    mkdirSync(fromEnv, { recursive: true });
    return fromEnv;
  }
  if (!ownRoot) {
    ownRoot = mkdtempSync(join(tmpdir(), 'ovnscale-'));
    hookExit();
  }
  return ownRoot;
}

/** A fresh folder under the run root. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(runRoot(), `${prefix}-`));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly exited: Promise<Exit>;
  private exitInfo?: Exit;

  constructor(
    readonly child: ChildProcess,
    readonly description: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 3000): Promise<Exit> {
    if (!this.running) return this.exitInfo!;
    this.kill('SIGTERM');
    const t = setTimeout(() => this.kill('SIGKILL'), graceMs);
    const e = await this.exited;
    clearTimeout(t);
    return e;
  }
}

/** Starts `cmd` as our own child, registered for cleanup. stdio goes nowhere: the tools log to files. */
export function spawnManaged(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): ManagedProcess {
  hookExit();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: 'ignore' });
  live.add(child);
  child.once('error', () => live.delete(child));
  return new ManagedProcess(child, `${cmd} ${args.join(' ')}`);
}

/** Runs a command to completion, failing with its output when it exits non-zero. */
export function runTool(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', (e) => (clearTimeout(timer), reject(new Error(`${cmd}: ${e.message}`))));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${(err || out).trim()}`));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until a stream connection to the unix socket or TCP port succeeds. */
export async function waitForSocket(target: { path: string } | { port: number }, proc: ManagedProcess, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error(`${what} exited before it was ready`);
    const ok = await new Promise<boolean>((resolve) => {
      if ('path' in target && !existsSync(target.path)) return resolve(false);
      const s = 'path' in target ? net.createConnection({ path: target.path }) : net.createConnection({ host: '127.0.0.1', port: target.port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await delay(20);
  }
}

/** The last lines of a log file, for error messages. */
export function logTail(path: string, lines = 5): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Kills every process whose pidfile lies under `root` and whose command line
 * still mentions `root` (so a recycled pid is never hit), then removes `root`.
 * Returns the pids it killed.
 */
export function killLeftovers(root: string): number[] {
  const killed: number[] = [];
  const walk = (dir: string): string[] => {
    let out: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) out = out.concat(walk(p));
      else if (e.name.endsWith('.pid')) out.push(p);
    }
    return out;
  };
  if (!existsSync(root)) return killed;
  for (const file of walk(root)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(root)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  rmSync(root, { recursive: true, force: true });
  return killed;
}
