/**
 * When annotation patches that failed are tried again: per object, after
 * `baseMs`, doubling with every further failure up to `maxMs`, and forgotten
 * once a patch of that object succeeds. A patch that keeps failing (RBAC, an
 * admission webhook) then costs one request and one log line per object
 * every few minutes, not every 2 s.
 */
type PatchKind = 'Pod' | 'Node';

export class PatchRetries {
  private readonly pending = new Map<string, { failures: number; timer?: NodeJS.Timeout }>();

  constructor(
    /** Called when an object is due for another attempt. */
    private readonly due: (kind: PatchKind, key: string) => void,
    private readonly baseMs = 2_000,
    private readonly maxMs = 300_000,
  ) {}

  /** Records a failure; returns the delay (ms) before the next attempt. */
  failed(kind: PatchKind, key: string): number {
    const id = `${kind}/${key}`;
    const prev = this.pending.get(id);
    if (prev?.timer) clearTimeout(prev.timer);
    const failures = (prev?.failures ?? 0) + 1;
    const delay = Math.min(this.baseMs * 2 ** (failures - 1), this.maxMs);
    const entry: { failures: number; timer?: NodeJS.Timeout } = { failures };
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.due(kind, key);
    }, delay);
    entry.timer.unref();
    this.pending.set(id, entry);
    return delay;
  }

  succeeded(kind: PatchKind, key: string): void {
    const id = `${kind}/${key}`;
    const prev = this.pending.get(id);
    if (!prev) return;
    if (prev.timer) clearTimeout(prev.timer);
    this.pending.delete(id);
  }

  /** Objects with a failure not yet followed by a success. */
  get size(): number {
    return this.pending.size;
  }

  stop(): void {
    for (const e of this.pending.values()) if (e.timer) clearTimeout(e.timer);
    this.pending.clear();
  }
}
