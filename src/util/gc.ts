/**
 * A full garbage collection on demand, for benchmarks: heap figures taken
 * after it, and an instrument's own garbage kept out of timed samples. Node
 * exposes gc() only behind a flag; setting it at run time and taking gc from
 * a fresh context is the documented way.
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
