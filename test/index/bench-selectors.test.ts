// Runs the compiled command (./run test builds first): a small bench must agree on
// every checksum, print the JSON shape the docs describe, and exit on its own (pool closed).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/paths.js';

const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

describe('ovnscale bench selectors', () => {
  it('--json: five implementations with agreeing checksums, the route diff and the relabel figures; exits 0', () => {
    const r = spawnSync(
      process.execPath,
      [cli, 'bench', 'selectors', '--pods', '3000', '--selectors', '300', '--runs', '2', '--naive-sample', '30', '--routes', '3000', '--wasm-workers', '2', '--json'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      implementations: Record<string, { medianMs: number; checksum: number; sampleChecksum?: number }>;
      checksumsAgree: boolean;
      routeDiff: { sameResult: boolean; toAdd: number; toDelete: number };
      relabelOnePod: { indexUpdateMedianUs: number };
    };
    expect(Object.keys(out.implementations)).toEqual(['naive', 'jsBitsets', 'jsTwoLevel', 'wasm1', 'wasmPool']);
    expect(out.checksumsAgree).toBe(true);
    const impl = out.implementations;
    expect(impl.wasm1!.checksum).toBe(impl.jsBitsets!.checksum);
    expect(impl.wasmPool!.checksum).toBe(impl.jsBitsets!.checksum);
    expect(impl.jsTwoLevel!.checksum).toBe(impl.jsBitsets!.checksum);
    expect(impl.naive!.checksum).toBe(impl.wasmPool!.sampleChecksum);
    for (const i of Object.values(impl)) expect(i.medianMs).toBeGreaterThan(0);
    expect(out.routeDiff.sameResult).toBe(true);
    expect(out.routeDiff.toAdd).toBeGreaterThan(0);
    expect(out.routeDiff.toDelete).toBeGreaterThan(0);
    expect(out.relabelOnePod.indexUpdateMedianUs).toBeGreaterThan(0);
  });

  it('rejects a bad flag value naming the flag', () => {
    const r = spawnSync(process.execPath, [cli, 'bench', 'selectors', '--wasm-workers', '0'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--wasm-workers: expected an integer in \[1, 256\], got 0/);
  });
});
