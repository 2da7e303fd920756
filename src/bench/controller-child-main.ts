/**
 * The entry point of the benchmark's controller process (controller-child.ts
 * forks it): runs one Controller with the options it is sent, reports every
 * pass over IPC with its time on the shared epoch clock, and on `stop`
 * reports this process's peak RSS and V8 heap before it exits.
 */
import { Controller } from '../controller/controller.js';
import { createLogger } from '../util/log.js';
import type { ChildMessage, ParentMessage } from './controller-child.js';
import { sampleMemory } from './stats.js';

const send = (m: ChildMessage, then?: () => void): void => {
  process.send?.(m, undefined, {}, () => then?.());
};
const mem = sampleMemory();
let controller: Controller | undefined;
let stopping: Promise<void> | undefined;
const stopOnce = (): Promise<void> => (stopping ??= controller ? controller.stop() : Promise.resolve());

async function start(options: Extract<ParentMessage, { type: 'start' }>['options']): Promise<void> {
  controller = new Controller(options, createLogger({ level: 'warn' }), {
    onPass(report, first) {
      send({ type: 'pass', at: performance.timeOrigin + performance.now(), first, report });
    },
  });
  await controller.start();
}

async function stop(): Promise<void> {
  await stopOnce();
  send({ type: 'stopped', memory: mem.stop() }, () => process.disconnect?.());
}

process.on('message', (m: ParentMessage) => {
  (m.type === 'start' ? start(m.options) : stop()).catch((err: unknown) => {
    send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.disconnect?.());
  });
});
// Stopped, failed, or the benchmark is gone: the controller stops and the process exits (worker threads would keep it alive).
process.on('disconnect', () => {
  void stopOnce().finally(() => process.exit());
});
