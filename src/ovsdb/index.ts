/** The OVSDB client, exported as `ovnscale/ovsdb`. See docs/ovsdb.md. */
export { connect, OvsdbClient, type ClientEvents, type ConnectOptions, type LatencyObserver, type MonitorTable } from './client.js';
export { DatabaseCache, type ChangeKind, type ChangeListener, type RowChange } from './cache.js';
export { TableCache } from './table-cache.js';
export type { CacheSnapshot, TableSnapshot } from './cache-snapshot.js';
export { packSnapshot, unpackSnapshot, type PackedSnapshot, type PackedTable } from './snapshot-pack.js';
export { chunkGroups, chunkOperations, DEFAULT_MAX_OPS } from './chunk.js';
export {
  OvsdbClosedError,
  OvsdbConnectionError,
  OvsdbDisconnectedError,
  OvsdbEncodeError,
  OvsdbError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  OvsdbTransactError,
} from './errors.js';
export { JsonSplitter } from './framing.js';
export { parseSchema, type AtomType, type BaseType, type ColumnSchema, type DatabaseSchema, type TableSchema } from './schema.js';
export { isUuid, ZERO_UUID } from './codec.js';
export { parseRemote, parseRemotes, type Remote, type TlsFiles } from './transport.js';
export type * from './types.js';
