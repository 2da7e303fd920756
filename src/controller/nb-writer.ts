/**
 * Writing plans to the NB: the tables the controller replicates, and a plan
 * applied in bounded transactions (named-uuid references kept inside their
 * chunk, the plan's groups kept whole), each behind the leader fence.
 */
import { randomUUID } from 'node:crypto';
import { chunkGroups, chunkOperations, connect, OvsdbTransactError, type CacheSnapshot, type OvsdbClient } from '../ovsdb/index.js';
import type { Condition, Operation } from '../ovsdb/types.js';
import { NB_COLUMNS, NB_TABLES } from '../nb/rows.js';
import type { ExistingRows } from '../nb/plan.js';
import { heapCheckpoint } from '../util/heap-governor.js';
import type { Logger } from '../util/log.js';
import type { ControllerMetrics } from './metrics.js';

/**
 * The NB client, replicating the tables and columns plans read (NB_COLUMNS). The first connection may
 * wait long: right after a very large write ovsdb-server can go quiet for
 * tens of seconds (log compaction), and a controller must wait that out, not
 * exit; every failed attempt is logged by the client meanwhile.
 */
/** `resume`: the NB cache of an earlier process (warm-state.ts), where each table's monitor picks up. */
export function connectNb(remotes: string, log: Logger, metrics?: ControllerMetrics, resume?: CacheSnapshot): Promise<OvsdbClient> {
  return connect({
    remotes,
    database: 'OVN_Northbound',
    leaderOnly: true,
    initialConnectTimeoutMs: 600_000,
    // A pod's address is in its namespace's address set and in every policy's that selects it: one string each.
    monitor: Object.fromEntries(NB_TABLES.map((t) => [t, { columns: [...NB_COLUMNS[t]], ...(t === 'Address_Set' ? { intern: ['addresses'] } : {}) }])),
    logger: log,
    ...(metrics ? { requestLatency: metrics.ovsRequestLatency } : {}),
    ...(resume ? { resume } : {}),
  });
}

export function existingRows(nb: OvsdbClient): ExistingRows {
  const out: ExistingRows = {};
  for (const t of NB_TABLES) out[t] = [...nb.cache.table(t).rows()];
  return out;
}

export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
}

export interface ApplyOptions {
  maxOps: number;
  /** Write fence: checked before every transaction. */
  isLeader?: () => boolean;
  metrics?: ControllerMetrics;
  /** Transactions in flight at once (default IN_FLIGHT). */
  inFlight?: number;
  /** The plan's groups (PlanResult.groups, client-chosen uuids): chunks are cut between them only. */
  groups?: readonly number[];
  /**
   * Bulk work (a full pass): `ops` is emptied once cut into chunks, so each
   * chunk's operations can go when its transaction has (a cold sync's plan
   * holds a few hundred MB of them), and the heap governor may collect while
   * the window is full. An event's pass never waits for a collection.
   */
  bulk?: boolean;
}

/**
 * Transactions kept in flight: while the server commits one, we encode the
 * next and decode the replies and updates of the last. Awaiting each before
 * sending the next left the server idle for our share of the work (a cold
 * sync at 150k pods spent 58 s applying against a 46 s floor). The server
 * runs one session's requests in order, so chunks still commit in plan order.
 */
const IN_FLIGHT = 8;

export interface Applied {
  transactions: number;
  /**
   * Rows inserted that the cache did not hold yet when their transaction's
   * reply came (usually none: a reply follows its update), for waitForCache.
   * Not every inserted row: at 150k pods those were 576k objects kept to the
   * end of the pass (40 MB promoted).
   */
  unseen: { table: string; uuid: string }[];
}

/**
 * Applies ops in chunks, each chunk one transaction, up to `inFlight` at a
 * time. After a failure nothing more is sent; the first error is thrown once
 * the transactions in flight have settled (their outcome counted). With
 * `bulk`, `ops` is left empty. The cached rows written take the values
 * they were written with (DatabaseCache.share): the desired rows' own, so a
 * cold sync holds one copy of each name, match and external_ids, not two.
 */
export async function applyOperations(nb: OvsdbClient, ops: Operation[], o: ApplyOptions): Promise<Applied> {
  const window = Math.max(1, o.inFlight ?? IN_FLIGHT);
  const out: Applied = { transactions: 0, unseen: [] };
  const pending = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  const chunks = o.groups ? chunkGroups(ops, o.groups, o.maxOps) : chunkOperations(ops, o.maxOps);
  if (o.bulk) ops.length = 0;
  for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
    if (failure) break;
    if (o.isLeader && !o.isLeader()) {
      failure = { err: new NotLeaderError('lost leadership: not writing to the NB') };
      break;
    }
    const done: Promise<void> = nb.transact(chunk).then(
      (results) => {
        o.metrics?.nbTransactions.inc({ result: 'ok' });
        out.transactions++;
        chunk.forEach((op, i) => {
          if (op.op === 'insert') {
            const uuid = results[i]?.uuid;
            if (!uuid) return;
            if (nb.cache.table(op.table).get(uuid)) nb.cache.share(op.table, uuid, op.row);
            else out.unseen.push({ table: op.table, uuid });
          } else if (op.op === 'update') {
            const uuid = rowByUuid(op.where);
            if (uuid) nb.cache.share(op.table, uuid, op.row);
          }
        });
        if (o.metrics) countOperations(chunk, o.metrics);
      },
      (err: unknown) => {
        o.metrics?.nbTransactions.inc({ result: 'error' });
        failure ??= { err };
      },
    );
    pending.add(done);
    void done.then(() => pending.delete(done));
    if (pending.size >= window) {
      await Promise.race(pending);
      // Sent operations and decoded updates are garbage now (with a heap target, collected before they pile up).
      if (o.bulk) heapCheckpoint();
    }
  }
  await Promise.all(pending);
  if (failure) throw failure.err;
  return out;
}

/** The uuid a where clause names its one row by (`_uuid == u`, as plans write), else undefined. */
function rowByUuid(where: readonly Condition[]): string | undefined {
  const c = where.length === 1 ? where[0] : undefined;
  return c && c[0] === '_uuid' && c[1] === '==' && typeof c[2] === 'string' ? c[2] : undefined;
}

const rowUuidSupport = new WeakMap<OvsdbClient, Promise<boolean>>();

/**
 * Whether the server takes client-chosen row uuids (the insert's `uuid`
 * member, ovsdb-server 2.13 and later): an insert carrying one, then an
 * abort, so nothing is written. The server's answer is kept per client; no
 * answer (a lost connection) is a no for now, and asked again next time.
 */
export function rowUuidsSupported(nb: OvsdbClient): Promise<boolean> {
  let known = rowUuidSupport.get(nb);
  if (!known) {
    known = nb.transact([{ op: 'insert', table: 'Address_Set', row: {}, uuid: randomUUID() }, { op: 'abort' }]).then(
      () => false,
      (err: unknown) => {
        if (err instanceof OvsdbTransactError) return err.opIndex === 1 && err.error === 'aborted';
        rowUuidSupport.delete(nb);
        return false;
      },
    );
    rowUuidSupport.set(nb, known);
  }
  return known;
}

/**
 * Waits until the replicated cache holds these rows just inserted, so the
 * next plan, computed from the cache, cannot insert any of them again. A
 * transaction resolves with its changes already cached (and the cache drops
 * nothing on a reconnect: its resync replaces tables at once), so this waits
 * only for rows whose update had not come with their reply.
 */
export async function waitForCache(nb: OvsdbClient, rows: Applied['unseen'], timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let i = 0;
  while (i < rows.length) {
    const r = rows[i]!;
    if (nb.cache.table(r.table).get(r.uuid)) {
      i++;
      continue;
    }
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

function countOperations(ops: readonly Operation[], metrics: ControllerMetrics): void {
  const counts = new Map<string, number>();
  for (const op of ops) if ('table' in op) counts.set(`${op.table}\u0000${op.op}`, (counts.get(`${op.table}\u0000${op.op}`) ?? 0) + 1);
  for (const [k, n] of counts) {
    const [table, op] = k.split('\u0000') as [string, string];
    metrics.nbOperations.inc({ table, op }, n);
  }
}
