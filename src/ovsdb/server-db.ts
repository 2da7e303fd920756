/**
 * The `_Server` database: which database a server serves, whether it is
 * clustered, connected to its cluster, the leader, and how far its log is
 * (index). Used to pick the leader among several remotes and to never go
 * back to a server that is behind one already seen.
 */
import type { Row } from './types.js';

export interface ServerDatabaseRow extends Row {
  name: string;
  model: string;
  connected: boolean;
  leader: boolean;
  /** Raft log index (clustered only): a set of at most one integer. */
  index: number[];
}

export const SERVER_DB = '_Server';
export const SERVER_TABLE = 'Database';
export const SERVER_COLUMNS = ['name', 'model', 'connected', 'leader', 'index'] as const;

export interface ServerVerdict {
  ok: boolean;
  reason?: string;
  index?: number;
}

/**
 * Decides whether the server described by `row` may be used. A standalone
 * (or relay) server is always fine; a clustered one must be connected to the
 * cluster, the leader when `leaderOnly`, and not behind `minIndex`.
 */
export function judgeServer(row: ServerDatabaseRow | undefined, database: string, leaderOnly: boolean, minIndex: number): ServerVerdict {
  if (!row) return { ok: false, reason: `the server does not serve database ${database}` };
  if (row.model !== 'clustered') return { ok: true };
  const index = row.index[0];
  if (!row.connected) return { ok: false, reason: 'the server is not connected to its cluster' };
  if (leaderOnly && !row.leader) return { ok: false, reason: 'the server is not the cluster leader' };
  if (index !== undefined && index < minIndex) return { ok: false, reason: `the server is behind (log index ${index} < ${minIndex} seen before)` };
  return index === undefined ? { ok: true } : { ok: true, index };
}
