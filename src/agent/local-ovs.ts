import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { connect, type OvsdbClient } from '../ovsdb/index.js';
import type { Logger } from '../util/log.js';
import { tuningChanges, tuningOperations, type DesiredTuning } from './ovs-tuning.js';

/** The local Open_vSwitch database, replicating only what the agent reads. */
export function connectLocalOvs(remote: string, log: Logger, timeoutMs: number): Promise<OvsdbClient> {
  return connect({
    remotes: remote,
    database: 'Open_vSwitch',
    leaderOnly: false,
    initialConnectTimeoutMs: timeoutMs,
    monitor: {
      Open_vSwitch: { columns: ['other_config', 'external_ids'] },
      Bridge: { columns: ['name'] },
    },
    logger: log,
  });
}

export interface TuningReport {
  /** Keys written, per column; empty when the row was already tuned. */
  changed: Record<string, Record<string, string>>;
}

/** Applies the tuning in one transaction; a second call with the same wishes writes nothing. */
export async function applyTuning(client: OvsdbClient, want: DesiredTuning): Promise<TuningReport> {
  const rows = [...client.cache.table('Open_vSwitch').rows()];
  const row = rows[0];
  if (!row) throw new Error('the Open_vSwitch table is empty: the database was never initialised (run `ovs-vsctl --no-wait init`)');
  const ops = tuningOperations(row, want);
  const changed = Object.fromEntries(tuningChanges(row, want).map((c) => [c.column, c.changed]));
  if (ops.length) await client.transact(ops);
  return { changed };
}

function socketAccepts(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = net.createConnection({ path });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export class BrIntTimeoutError extends Error {
  override name = 'BrIntTimeoutError';
}

export interface WaitBridgeOptions {
  client: OvsdbClient;
  rundir: string;
  bridge?: string;
  timeoutMs: number;
  log: Logger;
  /** First and largest pause between checks (default 100 ms and 5 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/**
 * Waits until the bridge exists in the database and its management socket
 * accepts connections, saying what it is still waiting for each time that
 * changes, and giving up with a message that names the missing piece.
 */
export async function waitForBridge(o: WaitBridgeOptions): Promise<{ waitedMs: number }> {
  const bridge = o.bridge ?? 'br-int';
  const mgmt = join(o.rundir, `${bridge}.mgmt`);
  const started = performance.now();
  let delay = o.backoffInitialMs ?? 100;
  const maxDelay = o.backoffMaxMs ?? 5000;
  let lastMissing = '';
  let wake: (() => void) | undefined;
  const off = o.client.cache.onChange((c) => {
    if (c.table === 'Bridge') wake?.();
  });
  try {
    for (;;) {
      const hasBridge = o.client.cache.table('Bridge').findOne('name', bridge) !== undefined;
      const missing = !hasBridge
        ? `bridge ${bridge} in the Open_vSwitch database (ovn-controller creates it)`
        : !(await socketAccepts(mgmt))
          ? `${mgmt} to accept connections (ovs-vswitchd creates it for ${bridge})`
          : '';
      const waited = performance.now() - started;
      if (!missing) {
        o.log.info('bridge ready', { bridge, mgmt, waitedMs: Math.round(waited) });
        return { waitedMs: waited };
      }
      if (missing !== lastMissing) {
        o.log.info('waiting', { for: missing, waitedMs: Math.round(waited) });
        lastMissing = missing;
      }
      if (waited >= o.timeoutMs) {
        throw new BrIntTimeoutError(`gave up after ${Math.round(waited)} ms waiting for ${missing}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(delay, Math.max(1, o.timeoutMs - waited)));
        wake = () => (clearTimeout(t), resolve());
      });
      wake = undefined;
      delay = Math.min(maxDelay, delay * 2);
    }
  } finally {
    off();
  }
}
