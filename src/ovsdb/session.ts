/**
 * One connection's update path: monitor replies and update notifications are
 * applied strictly in order through a promise chain, and notifications that
 * arrive before their monitor's reply has been handled wait for it.
 */
import type { DatabaseCache } from './cache.js';
import type { Wire } from './codec.js';
import { OvsdbProtocolError } from './errors.js';
import type { RpcConnection } from './jsonrpc.js';
import type { Remote } from './transport.js';

export interface Session {
  rpc: RpcConnection;
  remote: Remote;
  chain: Promise<unknown>;
  /** Notifications that arrived while their monitor request was outstanding. */
  buffered: Map<string, unknown[]>;
  serverCache?: DatabaseCache;
}

export function newSession(rpc: RpcConnection, remote: Remote): Session {
  return { rpc, remote, chain: Promise.resolve(), buffered: new Map() };
}

/** Appends work to the session's update chain; a failure closes the connection (the client resyncs). */
export function enqueue(s: Session, work: () => Promise<unknown>): void {
  s.chain = s.chain.then(work).catch((err: unknown) => {
    s.rpc.close(err instanceof Error ? err : new OvsdbProtocolError(String(err)));
  });
}

/**
 * Sends a monitor request through `send`. Its reply, then the notifications
 * for the same monitor that arrived before the reply was handled, go through
 * the update chain in order; resolves when they are applied.
 */
export async function monitorRequest(
  s: Session,
  send: (method: string, params: Wire[]) => Promise<unknown>,
  method: string,
  params: Wire[],
  id: string,
  onReply: (reply: unknown) => Promise<unknown>,
): Promise<void> {
  s.buffered.set(id, []);
  let reply: unknown;
  try {
    reply = await send(method, params);
  } catch (err) {
    s.buffered.delete(id);
    throw err;
  }
  const early = s.buffered.get(id) ?? [];
  s.buffered.delete(id);
  enqueue(s, () => onReply(reply));
  for (const n of early) enqueue(s, n as () => Promise<unknown>);
  await s.chain;
}
