import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/controller/metrics.js';
import { parseListenAddress, startStatusServer } from '../../src/controller/status-server.js';

describe('status server', () => {
  it('serves /metrics, /healthz and /readyz', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.invalidObjects.inc({ kind: 'Subnet', reason: 'invalid-cidr' });
    let ready = false;
    const srv = await startStatusServer('127.0.0.1:0', { registry: metrics.registry, ready: () => ready });
    try {
      const base = `http://${srv.address}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const body = await (await fetch(`${base}/metrics`)).text();
      expect(body).toMatch(/ovnscale_invalid_objects_total\{kind="Subnet",reason="invalid-cidr"\} 1/);
    } finally {
      await srv.close();
    }
  });

  it('rejects a malformed address naming the flag', () => {
    expect(() => parseListenAddress('nope')).toThrow(/--metrics-addr/);
    expect(parseListenAddress('0.0.0.0:10660')).toEqual({ host: '0.0.0.0', port: 10660 });
    expect(parseListenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
  });
});
