import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';

/** The built `ovnscale` command (./run test builds it first). */
export const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

/**
 * Runs `ovnscale ARGS` as a child process. Asynchronous on purpose: a
 * simulator or server the child talks to may run in the test's own process.
 */
export function runCli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}
