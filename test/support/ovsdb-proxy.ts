/**
 * A unix-socket proxy in front of a real ovsdb-server, used only to feed the
 * client the malformed input a real server never sends: everything else on
 * the connection is the real server talking.
 */
import { rmSync } from 'node:fs';
import net from 'node:net';
import { JsonSplitter } from '../../src/ovsdb/index.js';

type Message = Record<string, unknown>;

export interface OvsdbProxy {
  remote: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Replies the client sent to requests we injected. */
  readonly answers: Message[];
  /** Writes raw text to the client on the current connection. */
  inject(text: string): void;
  /** Writes `text` to the client and closes the connection (a truncated message). */
  injectAndClose(text: string): void;
  /** Answers client requests for `method` itself with `reply(request)` (raw text) instead of forwarding them. */
  interceptRequests(method: string, reply: (m: Message) => string): void;
  /** Silently drops all traffic of the current connection from now on (a dead peer). */
  blackhole(): void;
  /** Replaces the next server message matching `match` with `replace(message)` (raw text). */
  mangleNext(match: (m: Message) => boolean, replace: (m: Message) => string): void;
  close(): Promise<void>;
}

export async function startProxy(path: string, upstream: string): Promise<OvsdbProxy> {
  rmSync(path, { force: true });
  let current: { client: net.Socket; server: net.Socket; dead: boolean } | undefined;
  let connections = 0;
  const answers: Message[] = [];
  const manglers: Array<{ match: (m: Message) => boolean; replace: (m: Message) => string }> = [];
  const sockets = new Set<net.Socket>();
  const intercepts = new Map<string, (m: Message) => string>();

  const srv = net.createServer((client) => {
    connections++;
    const server = net.createConnection({ path: upstream.replace(/^unix:/, '') });
    sockets.add(client).add(server);
    const conn = { client, server, dead: false };
    current = conn;
    const down = new JsonSplitter();
    const up = new JsonSplitter();
    server.on('data', (chunk: Buffer) => {
      if (conn.dead) return;
      for (const text of down.push(chunk)) {
        const m = JSON.parse(text) as Message;
        const i = manglers.findIndex((x) => x.match(m));
        client.write(i >= 0 ? manglers.splice(i, 1)[0]!.replace(m) : text);
      }
    });
    client.on('data', (chunk: Buffer) => {
      if (conn.dead) return;
      for (const text of up.push(chunk)) {
        const m = JSON.parse(text) as Message;
        const intercept = typeof m.method === 'string' ? intercepts.get(m.method) : undefined;
        if (typeof m.id === 'string' && m.id.startsWith('inj-')) answers.push(m);
        else if (intercept) client.write(intercept(m));
        else server.write(text);
      }
    });
    const end = () => {
      client.destroy();
      server.destroy();
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  return {
    remote: `unix:${path}`,
    get connections() {
      return connections;
    },
    answers,
    inject: (text) => current?.client.write(text),
    injectAndClose: (text) => {
      const c = current;
      c?.client.end(text, () => c.client.destroy());
    },
    interceptRequests: (method, reply) => void intercepts.set(method, reply),
    blackhole: () => void (current && (current.dead = true)),
    mangleNext: (match, replace) => void manglers.push({ match, replace }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
