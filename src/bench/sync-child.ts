/**
 * A restart as an operator sees it: `ovnscale sync` in a process of its own
 * (node startup, list, NB replication, plan, apply), with the V8 flags the
 * bin uses. Its wall time and peak RSS are the controller's alone, not shared
 * with the benchmark's earlier controllers and their garbage.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ControllerOptions } from '../controller/options.js';
import type { SyncReport } from '../controller/sync-once.js';
import { packageRoot } from '../util/paths.js';

export interface OwnProcessSync {
  report: SyncReport & { peakRssMiB: number };
  /** From spawn to exit. */
  ms: number;
}

export async function syncInOwnProcess(nbRemote: string, kubeconfig: string, controller: Partial<ControllerOptions>, timeoutMs: number): Promise<OwnProcessSync> {
  const args = ['--max-semi-space-size=64', join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'sync', '--json', '--log-level', 'warn', '--kubeconfig', kubeconfig, '--ovn-nb-addr', nbRemote];
  if (controller.maxOpsPerTxn !== undefined) args.push('--max-ops-per-txn', String(controller.maxOpsPerTxn));
  if (controller.wasmWorkers !== undefined) args.push('--wasm-workers', String(controller.wasmWorkers));
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`ovnscale sync exited with ${code ?? 'a signal'} (is dist/ built?): ${stderr}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return { report: JSON.parse(last) as OwnProcessSync['report'], ms };
  } catch {
    throw new Error(`ovnscale sync printed no JSON report: ${last.slice(0, 200)}`);
  }
}
