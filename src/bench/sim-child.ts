/**
 * The simulated API server as an `ovnscale sim` child process (dist/ must be
 * built), so the benchmark process's memory is the controller's, not the
 * simulator's 150k objects.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ClusterSpec } from '../sim/gen/cluster.js';
import { cliPath } from '../util/paths.js';

export interface SimChild {
  kubeconfig: string;
  objects: number;
  loadMs: number;
  stop(): Promise<void>;
}

export async function startSimChild(spec: ClusterSpec): Promise<SimChild> {
  const dir = mkdtempSync(join(tmpdir(), 'ovnscale-bench-sim-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const args = [cliPath(), 'sim', '--kubeconfig', kubeconfig, '--log-level', 'warn', '--history', '200000'];
  for (const f of ['seed', 'nodes', 'subnets', 'pods', 'namespaces', 'policies', 'services'] as const) args.push(`--${f}`, String(spec[f]));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const ready = await new Promise<{ objects: number; loadMs: number }>((resolve, reject) => {
      const lines = createInterface(child.stdout);
      lines.on('line', (line) => {
        try {
          const m = JSON.parse(line) as { msg?: string; objects?: number; loadMs?: number };
          if (m.msg === 'sim listening') resolve({ objects: m.objects ?? 0, loadMs: m.loadMs ?? 0 });
        } catch {
          // not a log line of ours
        }
      });
      child.once('exit', (code) => reject(new Error(`ovnscale sim exited with ${code} (is dist/ built?): ${stderr}`)));
    });
    return {
      kubeconfig,
      ...ready,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
