/**
 * The monitors of the data tables, one per table, requested on a new
 * session: monitor_cond_since from each table's resume point (ResumePoints),
 * monitor_cond when the server lacks it. Their replies fill the cache.
 */
import type { Logger } from '../util/log.js';
import type { DatabaseCache } from './cache.js';
import type { MonitorTable } from './client-options.js';
import { encodeValue, requireColumn, requireTable, type Wire } from './codec.js';
import { OvsdbProtocolError, OvsdbRpcError } from './errors.js';
import { settle } from './lazy-json.js';
import type { ResumePoints } from './resume-points.js';
import type { DatabaseSchema } from './schema.js';
import { monitorRequest, type Session } from './session.js';

/** Each table is monitored on its own, under this prefix and the table's name. */
export const MONITOR_PREFIX = 'ovnscale/';

export interface TableMonitors {
  session: Session;
  database: string;
  schema: DatabaseSchema;
  cache: DatabaseCache;
  spec: ReadonlyMap<string, MonitorTable>;
  points: ResumePoints;
  log: Logger;
  send: (method: string, params: Wire[]) => Promise<unknown>;
}

/**
 * One monitor per table, all requested at once: the server builds each
 * table's reply while we decode the one before, and no reply holds more
 * than one table (a single monitor's initial reply at 150k pods is a
 * 270 MB JSON text, parsed whole). The server flushes every monitor of a
 * session together, so one transaction's updates still arrive back to back.
 * Returns whether the server knows monitor_cond_since (`since`: as far as
 * is known before).
 */
export async function monitorTables(m: TableMonitors, since: boolean): Promise<boolean> {
  const { session: s, cache, points } = m;
  const monitors = [...m.spec].map(([name, spec]) => {
    const ts = requireTable(m.schema, name);
    const req: Record<string, Wire> = { columns: cache.table(name).columns };
    if (spec.where) req.where = spec.where.map(([c, f, v]) => [c, f, encodeValue(requireColumn(ts, c, `monitor ${name}`), v, `monitor ${name}.${c}`)]);
    return { table: name, id: MONITOR_PREFIX + name, requests: { [name]: [req] } as Wire };
  });
  if (since) {
    let resumed = 0;
    let updated = 0;
    const received = points.received;
    const outcomes = await Promise.allSettled(
      monitors.map((x) =>
        monitorRequest(s, m.send, 'monitor_cond_since', [m.database, x.id, x.requests, points.since(x.id)], x.id, (reply) => {
          const r = settle(reply);
          if (!Array.isArray(r) || r.length !== 3 || typeof r[0] !== 'boolean' || typeof r[1] !== 'string') {
            throw new OvsdbProtocolError(`monitor_cond_since ${x.table}: expected [found, last-txn-id, updates], got ${JSON.stringify(r)?.slice(0, 80)}`);
          }
          const [found, txn, updates] = r as [boolean, string, Wire];
          m.log.debug('monitor_cond_since', { table: x.table, found, txn });
          if (found) resumed++;
          return cache.apply(updates, found ? false : [x.table], () => points.applied(x.id, txn, false)).then((n) => void (updated += n));
        }),
      ),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (!failed) {
      if (resumed > 0) m.log.info('monitors resumed', { resumed, resynced: monitors.length - resumed, rowUpdates: updated });
      points.setUp(resumed === monitors.length && updated === 0 && points.received === received);
      return true;
    }
    const err: unknown = failed.reason;
    if (!(err instanceof OvsdbRpcError && /unknown method/i.test(JSON.stringify(err.error)))) throw err;
    m.log.info('server lacks monitor_cond_since: using monitor_cond');
  }
  await Promise.all(monitors.map((x) => monitorRequest(s, m.send, 'monitor_cond', [m.database, x.id, x.requests], x.id, (r) => cache.apply(r, [x.table]))));
  return false;
}
