import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ovnscale-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = (args: string[]) => runCli('demo', ...args);

describe('ovnscale demo', () => {
  it('runs the main job at a small size: progress, summary, report, and a warm restart that writes nothing', async () => {
    const report = join(dir, 'report.html');
    const r = await demo(['--nodes', '4', '--subnets', '2', '--pods', '120', '--policies', '6', '--services', '6', '--wasm-workers', '0', '--report', report]);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/\[demo\] starting/);
    expect(r.stdout).toMatch(/^objects\s+\d+ Kubernetes objects/m);
    expect(r.stdout).toMatch(/^cold sync\s+[\d.]+ s into an empty NB/m);
    expect(r.stdout).toMatch(/^warm restart\s+0 write transactions/m);
    expect(r.stdout).toMatch(new RegExp(`^report\\s+${report.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'm'));
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, 'utf8')).toMatch(/<svg/);
  });
});
