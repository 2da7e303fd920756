import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLeftovers, RUN_ROOT_ENV } from '../../src/embedded/processes.js';

/**
 * One temp root per test run, inherited by the test workers: every embedded
 * server writes its files and pidfile under it. Teardown kills whatever is
 * still running there (a test that failed before its cleanup, a worker that
 * was killed) and removes the folder.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ovnscale-run-'));
  process.env[RUN_ROOT_ENV] = root;
  // An interrupted run (Ctrl-C, CI cancel) skips teardown: clean up on the signal too.
  const onSignal = (sig: NodeJS.Signals) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    killLeftovers(root);
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const killed = killLeftovers(root);
    if (killed.length) process.stderr.write(`test teardown: killed ${killed.length} leftover process(es): ${killed.join(', ')}\n`);
  };
}
