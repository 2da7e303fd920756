import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSnapshotFile, SnapshotFileError, writeSnapshotFile } from '../../src/util/snapshot-file.js';

const dir = mkdtempSync(join(tmpdir(), 'ovnscale-snapfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = async (path: string, version = 1): Promise<SnapshotFileError> => {
  const err = await readSnapshotFile(path, version, (v) => v).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SnapshotFileError);
  return err as SnapshotFileError;
};

describe('snapshot files', () => {
  it('reads back what was written: maps, typed arrays, nested records; the file is private', async () => {
    const path = join(dir, 'ok');
    const value = { a: [1, 'two', { three: true }], ids: Int32Array.from([1, 2, 3]), m: new Map([['k', 'v']]) };
    const bytes = await writeSnapshotFile(path, 1, value);
    expect(statSync(path).size).toBe(bytes);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await readSnapshotFile(path, 1, (v) => v)).toEqual(value);
  });

  it('releases the file’s bytes once decoded, without waiting for the collector', async () => {
    const path = join(dir, 'released');
    const size = 32 * 2 ** 20;
    await writeSnapshotFile(path, 1, { bytes: new Uint8Array(size).fill(7) });
    const before = process.memoryUsage().arrayBuffers;
    const seen = await readSnapshotFile(path, 1, (v) => (v as { bytes: Uint8Array }).bytes[size - 1]);
    expect(seen).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Left to the collector, the file's 32 MB (and the value's view into them) would still be held here.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(size / 4);
  });

  it('removes what a writer killed mid-write left behind', async () => {
    const path = join(dir, 'left');
    writeFileSync(`${path}.tmp-99999`, 'half a snapshot');
    writeFileSync(join(dir, 'unrelated.tmp-1'), 'x');
    await writeSnapshotFile(path, 1, { ok: true });
    expect(readdirSync(dir).filter((n) => n.startsWith('left'))).toEqual(['left']);
    expect(readdirSync(dir)).toContain('unrelated.tmp-1');
  });

  it('refuses, naming the reason: no file, another format version, a truncated or corrupt file, not a snapshot at all', async () => {
    expect((await refusal(join(dir, 'none'))).reason).toBe('absent');
    const path = join(dir, 'v');
    await writeSnapshotFile(path, 1, { x: 'y'.repeat(1000) });
    const v2 = await refusal(path, 2);
    expect(v2.reason).toBe('version');
    expect(v2.message).toMatch(/format version 1, this build reads 2/);
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.length - 10));
    expect((await refusal(path)).reason).toBe('checksum');
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 100]! ^= 1;
    writeFileSync(path, flipped);
    const bad = await refusal(path);
    expect(bad.reason).toBe('checksum');
    expect(bad.message).toContain(path);
    writeFileSync(path, '{"json": "is not a snapshot"}');
    expect((await refusal(path)).reason).toBe('format');
  });
});
