import { describe, expect, it } from 'vitest';
import { runCli as run } from '../support/cli.js';

describe('ovnscale bench ovsdb', () => {
  it('bench ovsdb --json prints one object with rows, seconds and rows/s per mode', async () => {
    const r = await run('bench', 'ovsdb', '--rows', '300', '--batch', '100', '--reps', '1', '--single-rows', '50', '--monitor-rows', '500', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { modes: Record<string, { rows: number; seconds: number; rowsPerSec: number }>; ratios: Record<string, number>; monitor: { rows: number } };
    expect(Object.keys(out.modes)).toEqual(['raw-floor', 'batched', 'one-per-transaction']);
    expect(out.modes.batched).toMatchObject({ rows: 300, rowsPerSec: expect.any(Number), seconds: expect.any(Number) });
    expect(out.modes['one-per-transaction']!.rows).toBe(50);
    expect(out.ratios['raw-floor']).toBe(1);
    expect(out.monitor.rows).toBe(500);
  });

  it('bench ovsdb rejects a bad flag value with exit 2', async () => {
    const r = await run('bench', 'ovsdb', '--rows', 'many');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--rows: expected an integer/);
  });
});
