/**
 * The controller in a process of its own, as the benchmark drives it (the
 * way an operator runs it): its heap and collections are its own, not shared
 * with the benchmark's NB watcher and dataset. Every pass comes back over IPC
 * with its time, on this process's performance clock, so a phase can sum the
 * NB work the passes it caused did.
 */
import { fork } from 'node:child_process';
import type { ControllerRunOptions } from '../controller/controller.js';
import type { SyncReport } from '../controller/sync-once.js';
import { CLI_NODE_FLAGS, cliNodeEnv, controllerChildPath } from '../util/paths.js';
import type { Pass, Running } from './controller-run.js';
import type { MemoryPeak } from './stats.js';

export type ParentMessage = { type: 'start'; options: ControllerRunOptions } | { type: 'stop' };
export type ChildMessage =
  | { type: 'pass'; at: number; first: boolean; report: SyncReport }
  | { type: 'stopped'; memory: MemoryPeak }
  | { type: 'failed'; message: string };

/** Forks the controller process (dist/ must be built) and starts its controller; ready settles with the startup sync. */
export function startControllerChild(o: ControllerRunOptions): Running {
  const t0 = performance.now();
  const passes: Pass[] = [];
  let stderr = '';
  const child = fork(controllerChildPath(), [], { execArgv: [...CLI_NODE_FLAGS], env: cliNodeEnv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let lastMessage = performance.now();
  let stopped: ((m: MemoryPeak) => void) | undefined;
  let peak: MemoryPeak | undefined;
  let failed!: (err: Error) => void;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  failure.catch(() => undefined);
  let resolveReady!: (v: { report: SyncReport; ms: number }) => void;
  const ready = Promise.race([new Promise<{ report: SyncReport; ms: number }>((r) => (resolveReady = r)), failure]);
  child.on('message', (m: ChildMessage) => {
    lastMessage = performance.now();
    if (m.type === 'pass') {
      // Both clocks count from their process's start on the same epoch: the child's pass time in this process's frame.
      const pass = { at: m.at - performance.timeOrigin, first: m.first, report: m.report };
      passes.push(pass);
      if (m.first) resolveReady({ report: m.report, ms: pass.at - t0 });
    } else if (m.type === 'stopped') stopped?.(m.memory);
    else failed(new Error(`controller process failed: ${m.message}`));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('exit', (code, signal) => failed(new Error(`controller process exited (${signal ?? code}) ${stderr.trim().slice(-1500)}`)));
  // A send to a process that is already going away: its failure or exit says why.
  child.on('error', (err) => failed(new Error(`controller process: ${err.message}`)));
  child.send({ type: 'start', options: o } satisfies ParentMessage);
  return {
    passes,
    ready,
    async settled(quietMs = 200) {
      while (performance.now() - lastMessage < quietMs) await new Promise((r) => setTimeout(r, quietMs / 4));
    },
    async stop() {
      // Once the channel is closed (it failed, or it stopped already) the process is on its way out.
      if (child.connected) {
        const memory = Promise.race([new Promise<MemoryPeak>((r) => (stopped = r)), failure]);
        child.send({ type: 'stop' } satisfies ParentMessage);
        try {
          peak = await memory;
        } finally {
          await exited;
        }
      } else await exited;
      if (!peak) return failure;
      return peak;
    },
  };
}
