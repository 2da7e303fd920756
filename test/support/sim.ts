/**
 * Starts the simulated API server for a test, in this process or as an
 * `ovnscale sim` child (dist/ must be built), on 127.0.0.1 with a kubeconfig
 * in a temp dir; stop() ends it and removes the dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeApi, loadKubeConfig } from '../../src/k8s/index.js';
import { clusterSpec, generateCluster, type ClusterSpec } from '../../src/sim/gen/cluster.js';
import { writeKubeconfig } from '../../src/sim/kubeconfig.js';
import { SimServer, type SimServerOptions } from '../../src/sim/server.js';
import { packageRoot } from '../../src/util/paths.js';

export interface SimHandle {
  url: string;
  port: number;
  kubeconfig: string;
  dir: string;
  /** In-process only: the server, to mutate its store or simulate outages. */
  server?: SimServer;
  api(): KubeApi;
  stop(): Promise<void>;
}

export interface StartSimOptions extends SimServerOptions {
  /** Load a generated cluster. */
  cluster?: Partial<ClusterSpec>;
  /** Run `ovnscale sim` as a child process instead. */
  child?: boolean;
  /** Reuse this temp dir (and kubeconfig path), e.g. to restart on the same port. */
  dir?: string;
}

export async function startSim(opts: StartSimOptions = {}): Promise<SimHandle> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ovnscale-sim-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const cleanupDir = opts.dir === undefined;
  if (opts.child) return startChild(opts, dir, kubeconfig, cleanupDir);
  const server = new SimServer(opts);
  if (opts.cluster) server.load(generateCluster(clusterSpec(opts.cluster)));
  const url = await server.start(opts.port ?? 0);
  writeKubeconfig(kubeconfig, url);
  return {
    url,
    port: server.port,
    kubeconfig,
    dir,
    server,
    api: () => new KubeApi(loadKubeConfig(kubeconfig)),
    async stop() {
      await server.stop();
      if (cleanupDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startChild(opts: StartSimOptions, dir: string, kubeconfig: string, cleanupDir: boolean): Promise<SimHandle> {
  const args = [join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'sim', '--port', String(opts.port ?? 0), '--kubeconfig', kubeconfig, '--log-level', 'warn'];
  if (opts.historySize) args.push('--history', String(opts.historySize));
  if (opts.bookmarkIntervalMs) args.push('--bookmark-interval-ms', String(opts.bookmarkIntervalMs));
  if (opts.kubevirt) args.push('--kubevirt');
  for (const [k, v] of Object.entries(opts.cluster ?? {})) {
    const flag = k === 'vmShare' ? 'vm-share' : k;
    if (typeof v === 'boolean') {
      if (v) args.push(`--${flag}`);
    } else args.push(`--${flag}`, String(v));
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    const lines = createInterface(child.stdout!);
    const timer = setTimeout(() => reject(new Error(`ovnscale sim did not start: ${stderr}`)), 60_000);
    lines.on('line', (line) => {
      const m = JSON.parse(line) as { msg?: string; url?: string; port?: number };
      if (m.msg === 'sim listening') {
        clearTimeout(timer);
        resolve({ url: m.url!, port: m.port! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ovnscale sim exited with ${code}: ${stderr}`));
    });
  });
  return {
    ...ready,
    kubeconfig,
    dir,
    api: () => new KubeApi(loadKubeConfig(kubeconfig)),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (cleanupDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
