/** Milliseconds per named step, each measured from the end of the previous one. */
export function laps(): { timings: Record<string, number>; lap(name: string): void } {
  const timings: Record<string, number> = {};
  let t = performance.now();
  return {
    timings,
    lap(name) {
      const now = performance.now();
      timings[name] = now - t;
      t = now;
    },
  };
}
