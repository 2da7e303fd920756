import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The package root (the folder holding package.json), found from this file
 * whether it runs as TypeScript from src/ (tests) or compiled from dist/src/.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'asconfig.json'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`package root not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Compiled artefacts: the wasm kernels and the worker entry points (always JS: the kernel pool's, the list worker). */
export const wasmPath = (): string => join(packageRoot(), 'build', 'kernels.wasm');
export const workerPath = (name: string): string => join(packageRoot(), 'dist', 'workers', `${name}.js`);
/** The compiled `ovnscale` CLI. */
export const cliPath = (): string => join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
/** The compiled entry of the benchmark's controller process (src/bench/controller-child-main.ts). */
export const controllerChildPath = (): string => join(packageRoot(), 'dist', 'src', 'bench', 'controller-child-main.js');

/**
 * The V8 flags `ovnscale` runs with (docs/controller.md): the shebang of
 * src/cli/main.ts and `./run` spell the same, for a node started without us.
 */
export const CLI_NODE_FLAGS = ['--max-semi-space-size=64'] as const;

/**
 * The environment `ovnscale` runs with (docs/controller.md; `./run` sets the
 * same): glibc's malloc asks for transparent huge pages (THP "madvise", the
 * Debian default) for the large buffers it maps (the state file, packed
 * columns, socket reads). A user's own GLIBC_TUNABLES is left as it is.
 */
export function cliNodeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return env.GLIBC_TUNABLES === undefined ? { ...env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' } : env;
}
