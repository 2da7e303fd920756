import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * /metrics (Prometheus text), /healthz (the process is alive) and /readyz
 * (the bulk sync is done and the controller leads or is not electing).
 */
export interface StatusServer {
  readonly address: string;
  close(): Promise<void>;
}

export interface StatusSources {
  registry: Registry;
  ready: () => boolean;
  healthy?: () => boolean;
}

export function parseListenAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--metrics-addr: expected HOST:PORT, got '${addr}'`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export async function startStatusServer(addr: string, src: StatusSources): Promise<StatusServer> {
  const { host, port } = parseListenAddress(addr);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      src.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': src.registry.contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const ok = path === '/healthz' ? (src.healthy?.() ?? true) : src.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
