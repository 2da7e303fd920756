/** Options of connect(), their defaults, and the client's events. */
import type { Logger } from '../util/log.js';
import {
  OvsdbConnectionError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  OvsdbTransactError,
} from './errors.js';
import type { CacheSnapshot } from './cache-snapshot.js';
import type { TlsFiles } from './transport.js';
import type { Condition } from './types.js';

export interface MonitorTable {
  /** Columns to replicate; all columns of the table by default. */
  columns?: string[];
  /** monitor_cond condition; all rows by default. */
  where?: Condition[];
  /**
   * Set columns of strings whose values repeat across rows (addresses in
   * address sets): decoded through one pool, one string per distinct value.
   */
  intern?: string[];
}

/** Records request latency; prom-client's Histogram<'db'|'method'|'code'> fits as is. */
export interface LatencyObserver {
  observe(labels: { db: string; method: string; code: string }, milliseconds: number): void;
}

export interface ConnectOptions {
  /** `unix:PATH`, `tcp:HOST:PORT`, `ssl:HOST:PORT`; several comma-separated or as a list. */
  remotes: string | readonly string[];
  database: string;
  /** With a clustered database, talk to the leader only (default true). */
  leaderOnly?: boolean;
  /** Tables to replicate into `client.cache`. */
  monitor?: readonly string[] | Readonly<Record<string, MonitorTable>>;
  tls?: TlsFiles;
  /** One connection attempt (default 5000 ms). */
  connectTimeoutMs?: number;
  /** connect() gives up after this long without a usable server (default 30000 ms). */
  initialConnectTimeoutMs?: number;
  /** Silence before we send an echo (default 5000 ms; 0 disables). */
  inactivityProbeMs?: number;
  /** Unanswered echo → connection declared dead (default 10000 ms). */
  echoTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap (default 100 and 5000 ms), with ±50% jitter. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** A transaction issued while disconnected waits this long for a connection, then fails (default 10000 ms). */
  waitForConnectionMs?: number;
  /** Per-request reply timeout (default 0: none). */
  requestTimeoutMs?: number;
  requestLatency?: LatencyObserver;
  logger?: Logger;
  /**
   * The cache to start from (`client.snapshot()` of an earlier process):
   * each table's monitor asks only for the changes since. One of another
   * database, schema or monitor is not used (logged).
   */
  resume?: CacheSnapshot;
}

export interface ClientEvents {
  /** A connection is up and the cache is in sync. */
  connected: [remote: string];
  disconnected: [reason: Error];
  /** Something went wrong that the client handled (bad server input, failed attempt). */
  warning: [err: Error];
}

export type ResolvedOptions = Required<Omit<ConnectOptions, 'monitor' | 'tls' | 'requestLatency' | 'logger' | 'remotes' | 'database' | 'resume'>>;

export function resolveOptions(o: ConnectOptions): ResolvedOptions {
  return {
    leaderOnly: o.leaderOnly ?? true,
    connectTimeoutMs: o.connectTimeoutMs ?? 5000,
    initialConnectTimeoutMs: o.initialConnectTimeoutMs ?? 30_000,
    inactivityProbeMs: o.inactivityProbeMs ?? 5000,
    echoTimeoutMs: o.echoTimeoutMs ?? 10_000,
    backoffInitialMs: o.backoffInitialMs ?? 100,
    backoffMaxMs: o.backoffMaxMs ?? 5000,
    waitForConnectionMs: o.waitForConnectionMs ?? 10_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 0,
  };
}

/** The `code` label of a request's latency sample. */
export function errorCode(err: unknown): string {
  if (err instanceof OvsdbTransactError) return err.error;
  if (err instanceof OvsdbTimeoutError) return 'timeout';
  if (err instanceof OvsdbRpcError) return 'rpc_error';
  if (err instanceof OvsdbProtocolError) return 'protocol_error';
  if (err instanceof OvsdbConnectionError) return 'disconnected';
  return 'error';
}
