/**
 * A client's watch on `_Server`, one connection after another: the server is
 * judged when a connection is set up and again on every change of its row,
 * and the highest Raft index seen on any connection is the floor for the
 * next, so the client never goes back to a server that is behind.
 */
import { DatabaseCache } from './cache.js';
import type { Wire } from './codec.js';
import { OvsdbConnectionError, OvsdbRpcError } from './errors.js';
import { parseSchema } from './schema.js';
import { judgeServer, SERVER_COLUMNS, SERVER_DB, SERVER_TABLE, type ServerDatabaseRow } from './server-db.js';
import { monitorRequest, type Session } from './session.js';

/** The monitor id of the `_Server` watch (the data tables' monitors carry MONITOR_PREFIX). */
export const SERVER_MONITOR_ID = '_Server';

export class ServerWatch {
  private maxIndex = 0;

  constructor(
    private readonly database: string,
    private readonly leaderOnly: boolean,
  ) {}

  /** Reads `_Server` on a new connection and keeps watching it; throws when the server is not usable. */
  async start(s: Session, send: (method: string, params: Wire[]) => Promise<unknown>): Promise<void> {
    const serverSchema = parseSchema(await send('get_schema', [SERVER_DB]));
    const cache = new DatabaseCache(serverSchema, new Map([[SERVER_TABLE, [...SERVER_COLUMNS]]]));
    s.serverCache = cache;
    const where = [['name', '==', this.database]];
    const params = [SERVER_DB, SERVER_MONITOR_ID, { [SERVER_TABLE]: [{ columns: SERVER_COLUMNS, where }] }];
    await monitorRequest(s, send, 'monitor_cond', params, SERVER_MONITOR_ID, (r) => cache.apply(r, true));
    const unusable = this.judge(cache);
    if (unusable !== undefined) throw new OvsdbConnectionError(`${s.remote.text}: ${unusable}`, s.remote.text);
    // Let the server tell us about schema changes instead of dropping us.
    await send('set_db_change_aware', [true]).catch((err: unknown) => {
      if (!(err instanceof OvsdbRpcError)) throw err;
    });
  }

  /** Applies a `_Server` update to the session's watch, then judges the server again: its connection is closed once it is not usable. */
  async update(s: Session, update: unknown): Promise<void> {
    const cache = s.serverCache;
    if (!cache) return;
    await cache.apply(update, false);
    const unusable = this.judge(cache);
    if (unusable !== undefined) s.rpc.close(new OvsdbConnectionError(`${s.remote.text}: ${unusable}`, s.remote.text));
  }

  /** Why the server is not usable now (undefined: it is); a usable server's Raft index raises the floor. */
  private judge(cache: DatabaseCache): string | undefined {
    const row = cache.table<ServerDatabaseRow>(SERVER_TABLE).findOne('name', this.database);
    const v = judgeServer(row, this.database, this.leaderOnly, this.maxIndex);
    if (!v.ok) return v.reason;
    if (v.index !== undefined) this.maxIndex = Math.max(this.maxIndex, v.index);
    return undefined;
  }
}
