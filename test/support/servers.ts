/**
 * vitest wrappers around src/embedded: each helper starts the real process in
 * beforeAll and stops it in afterAll, also when a test failed.
 */
import { afterAll, beforeAll } from 'vitest';
import { startOvnCentral, startOvsdbServer, startRaftCluster, type EmbeddedServer, type OvnCentral, type RaftCluster, type ServerOptions } from '../../src/embedded/index.js';
import { connect, type ConnectOptions, type OvsdbClient } from '../../src/ovsdb/index.js';

function lifecycle<T extends { stop(): Promise<void> }>(start: () => Promise<T>): () => T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  });
  afterAll(async () => {
    await value?.stop();
  });
  return () => {
    if (!value) throw new Error('server not started (beforeAll failed?)');
    return value;
  };
}

/** A standalone NB ovsdb-server for the suite. */
export const useOvsdbServer = (opts: ServerOptions = {}): (() => EmbeddedServer) => lifecycle(() => startOvsdbServer(opts));

/** A 3-member Raft NB cluster for the suite. */
export const useRaftCluster = (members = 3): (() => RaftCluster) => lifecycle(() => startRaftCluster({ members }));

/** NB + SB + ovn-northd for the suite. */
export const useOvnCentral = (): (() => OvnCentral) => lifecycle(() => startOvnCentral());

/** Clients opened through `open` are closed after the suite. */
export function useClients(): (opts: ConnectOptions) => Promise<OvsdbClient> {
  const open: OvsdbClient[] = [];
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
  });
  return async (opts) => {
    const c = await connect(opts);
    open.push(c);
    return c;
  };
}
