/**
 * Typed errors of the OVSDB client. Callers branch on the class (and on
 * `error` for transaction failures), never on message text.
 */
export class OvsdbError extends Error {
  override name = 'OvsdbError';
}

/** The server's reply broke the protocol: bad JSON, wrong types, unknown method. The connection is dropped and re-established. */
export class OvsdbProtocolError extends OvsdbError {
  override name = 'OvsdbProtocolError';
}

/** No usable connection: never connected, closed, or reconnection did not succeed in time. */
export class OvsdbConnectionError extends OvsdbError {
  override name = 'OvsdbConnectionError';
  constructor(
    message: string,
    readonly remote?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The connection was lost while the request was in flight. For a transaction
 * the outcome is unknown: it may or may not have been committed. It is never
 * resent automatically; recompute from the cache and try again.
 */
export class OvsdbDisconnectedError extends OvsdbConnectionError {
  override name = 'OvsdbDisconnectedError';
}

/** The client was closed by its owner. */
export class OvsdbClosedError extends OvsdbConnectionError {
  override name = 'OvsdbClosedError';
}

/** A JSON-RPC request the server answered with an error (other than a transaction op failure). */
export class OvsdbRpcError extends OvsdbError {
  override name = 'OvsdbRpcError';
  constructor(
    readonly method: string,
    readonly error: unknown,
  ) {
    super(`${method}: server replied with error ${JSON.stringify(error)}`);
  }
}

/** A request the server did not answer in time. */
export class OvsdbTimeoutError extends OvsdbError {
  override name = 'OvsdbTimeoutError';
}

/**
 * A transaction failed. `opIndex` is the index of the failed operation; when
 * every operation succeeded but the commit failed (the extra result element),
 * `opIndex` equals the number of operations and `commit` is true.
 */
export class OvsdbTransactError extends OvsdbError {
  override name = 'OvsdbTransactError';
  constructor(
    readonly opIndex: number,
    readonly error: string,
    readonly details: string | undefined,
    readonly commit: boolean,
    readonly op?: string,
  ) {
    const where = commit ? 'commit' : `operation ${opIndex}${op ? ` (${op})` : ''}`;
    super(`transaction failed at ${where}: ${error}${details ? `: ${details}` : ''}`);
  }
}

/** The caller's value does not fit the schema (unknown table/column, wrong atom type). Nothing was sent. */
export class OvsdbEncodeError extends OvsdbError {
  override name = 'OvsdbEncodeError';
}
