/**
 * A full garbage collection on demand, for the benchmark only: its own NB
 * watcher replicates every address set (4.5M addresses at 150k pods) just
 * before the event phases, and that garbage must not be collected inside
 * the first timed samples. Node exposes gc() only behind a flag; setting it
 * at run time and taking gc from a fresh context is the documented way.
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
