/**
 * A full garbage collection on demand. For benchmarks: heap figures taken
 * after it, and an instrument's own garbage kept out of timed samples. For
 * the controller's stop: what it let go of is free before it packs its
 * state file (docs/controller.md). Node exposes gc() only behind a flag;
 * setting it at run time and taking gc from a fresh context is the
 * documented way.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
