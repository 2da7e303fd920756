/**
 * The benchmark's own view of the NB: our OVSDB client with a small monitor
 * (names, load-balancer VIPs, address-set members), used to time "API write
 * → NB commit" by the moment the change reaches the replicated cache.
 */
import { connect, type OvsdbClient, type RowChange } from '../ovsdb/index.js';
import type { Row } from '../ovsdb/types.js';

export type Predicate = (table: string, row: Row) => boolean;

export class NbWatch {
  private constructor(readonly client: OvsdbClient) {}

  static async open(remote: string): Promise<NbWatch> {
    const client = await connect({
      remotes: remote,
      database: 'OVN_Northbound',
      monitor: {
        Logical_Switch_Port: { columns: ['name'] },
        Load_Balancer: { columns: ['name', 'vips'] },
        Address_Set: { columns: ['name', 'addresses'] },
        Port_Group: { columns: ['name'] },
      },
    });
    return new NbWatch(client);
  }

  /** True when some cached row of `table` satisfies `p`. */
  holds(table: string, p: Predicate): boolean {
    for (const row of this.client.cache.table(table).rows()) if (p(table, row)) return true;
    return false;
  }

  /**
   * Resolves with performance.now() of the first cache change after which
   * `done()` holds (checked on every change of `table`), or rejects after timeoutMs.
   */
  until(table: string, done: (change: RowChange) => boolean, timeoutMs: number, what: string): Promise<number> {
    const p = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} in the NB`));
      }, timeoutMs).unref();
      const off = this.client.cache.onChange((c) => {
        if (c.table !== table || !done(c)) return;
        clearTimeout(timer);
        off();
        resolve(performance.now());
      });
    });
    // Awaited later, after the API write: a write that fails first must not leave this rejection unhandled.
    p.catch(() => undefined);
    return p;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The value a map column holds for `key` in a cached row. */
export function mapValue(row: Row, column: string, key: string): string | undefined {
  const m = row[column];
  if (!m || typeof m !== 'object' || Array.isArray(m)) return undefined;
  const v = (m as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** The members of a set column in a cached row. */
export function setMembers(row: Row, column: string): string[] {
  const v = row[column];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? (v as unknown[]).map(String) : [String(v)];
}

/**
 * Waits until the NB answers a transaction: after a large write ovsdb-server
 * may be busy for tens of seconds (compacting its log), longer than a
 * client's initial connect allows; a restart measured then would time the
 * server's housekeeping, not the controller.
 */
export async function nbResponsive(remote: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    try {
      const c = await connect({ remotes: remote, database: 'OVN_Northbound', initialConnectTimeoutMs: 10_000, requestTimeoutMs: 10_000 });
      try {
        await c.transact([{ op: 'comment', comment: 'ovnscale bench: probe' }]);
      } finally {
        await c.close();
      }
      return performance.now() - t0;
    } catch (err) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`the NB at ${remote} did not answer within ${timeoutMs} ms: ${(err as Error).message}`);
    }
  }
}
