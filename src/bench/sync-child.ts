/**
 * A restart as an operator sees it: `ovnscale sync` in a process of its own
 * (node startup, list, NB replication, plan, apply), with the V8 flags the
 * bin uses. Its wall time and peak RSS are the controller's alone, not shared
 * with the benchmark's earlier controllers and their garbage.
 */
import type { ControllerOptions } from '../controller/options.js';
import type { SyncReport } from '../controller/sync-once.js';
import { runTool } from '../embedded/index.js';
import { CLI_NODE_FLAGS, cliNodeEnv, cliPath } from '../util/paths.js';

export interface OwnProcessSync {
  report: SyncReport & { peakRssMiB: number };
  /** From spawn to exit. */
  ms: number;
}

export async function syncInOwnProcess(nbRemote: string, kubeconfig: string, controller: Partial<ControllerOptions>, timeoutMs: number): Promise<OwnProcessSync> {
  const args = [...CLI_NODE_FLAGS, cliPath(), 'sync', '--json', '--log-level', 'warn', '--kubeconfig', kubeconfig, '--ovn-nb-addr', nbRemote];
  if (controller.maxOpsPerTxn !== undefined) args.push('--max-ops-per-txn', String(controller.maxOpsPerTxn));
  if (controller.wasmWorkers !== undefined) args.push('--wasm-workers', String(controller.wasmWorkers));
  if (controller.heapTargetMb !== undefined) args.push('--heap-target-mb', String(controller.heapTargetMb));
  const t0 = performance.now();
  const stdout = await runTool(process.execPath, args, { timeoutMs, env: cliNodeEnv() });
  const ms = performance.now() - t0;
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return { report: JSON.parse(last) as OwnProcessSync['report'], ms };
  } catch {
    throw new Error(`ovnscale sync printed no JSON report: ${last.slice(0, 200)}`);
  }
}
