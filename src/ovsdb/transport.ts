/**
 * Remotes as OVS/OVN tools write them (`unix:PATH`, `tcp:HOST:PORT`,
 * `ssl:HOST:PORT`, several separated by commas) and opening a stream to one.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { OvsdbConnectionError } from './errors.js';

export type Remote =
  | { kind: 'unix'; path: string; text: string }
  | { kind: 'tcp' | 'ssl'; host: string; port: number; text: string };

export interface TlsFiles {
  /** Paths of the PEM private key, certificate and CA certificate (as ovn-nbctl -p/-c/-C). */
  key?: string;
  cert?: string;
  ca?: string;
  /** Server name to verify; by default certificates are checked against the CA only, as OVS does. */
  servername?: string;
}

export function parseRemote(text: string): Remote {
  const t = text.trim();
  const colon = t.indexOf(':');
  const scheme = colon < 0 ? '' : t.slice(0, colon);
  const rest = t.slice(colon + 1);
  if (scheme === 'unix') {
    if (!rest) throw new OvsdbConnectionError(`remote '${text}': unix: needs a socket path`);
    return { kind: 'unix', path: rest, text: t };
  }
  if (scheme === 'tcp' || scheme === 'ssl') {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(rest);
    if (!m) throw new OvsdbConnectionError(`remote '${text}': expected ${scheme}:HOST:PORT`);
    const port = Number(m[3]);
    if (port < 1 || port > 65535) throw new OvsdbConnectionError(`remote '${text}': port ${port} out of range`);
    return { kind: scheme, host: (m[1] ?? m[2])!, port, text: t };
  }
  throw new OvsdbConnectionError(`remote '${text}': expected unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT`);
}

/** One remote, several comma-separated ones, or a list of either. */
export function parseRemotes(remotes: string | readonly string[]): Remote[] {
  const list = (typeof remotes === 'string' ? [remotes] : remotes).flatMap((r) => r.split(',')).filter((r) => r.trim() !== '');
  if (list.length === 0) throw new OvsdbConnectionError('no remote given');
  return list.map(parseRemote);
}

/** Opens a connected stream, failing after `timeoutMs`. */
export function openStream(remote: Remote, timeoutMs: number, tlsFiles: TlsFiles = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let sock: net.Socket;
    const ready = remote.kind === 'ssl' ? 'secureConnect' : 'connect';
    try {
      if (remote.kind === 'unix') sock = net.createConnection({ path: remote.path });
      else if (remote.kind === 'tcp') sock = net.createConnection({ host: remote.host, port: remote.port });
      else {
        const read = (p: string | undefined) => (p ? readFileSync(p) : undefined);
        const servername = tlsFiles.servername;
        sock = tls.connect({
          host: remote.host,
          port: remote.port,
          key: read(tlsFiles.key),
          cert: read(tlsFiles.cert),
          ca: read(tlsFiles.ca),
          ...(servername ? { servername } : { checkServerIdentity: () => undefined }),
        });
      }
    } catch (err) {
      reject(new OvsdbConnectionError(`${remote.text}: ${(err as Error).message}`, remote.text, { cause: err }));
      return;
    }
    const timer = setTimeout(() => fail(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(new OvsdbConnectionError(`${remote.text}: ${err.message}`, remote.text, { cause: err }));
    };
    sock.once('error', fail);
    sock.once(ready, () => {
      clearTimeout(timer);
      sock.off('error', fail);
      if (remote.kind !== 'unix') sock.setNoDelay(true);
      resolve(sock);
    });
  });
}
