import { ConflictError, microTime, type KubeWriter, type LeaseSpec } from '../k8s/writer.js';
import type { Logger } from '../util/log.js';

/**
 * Lease-based leader election with client-go's rules (leaseDuration 15 s,
 * renewDeadline 10 s, retryPeriod 2 s by default). Writes are fenced: the
 * controller asks isLeader() before every NB transaction, and that answer
 * turns false as soon as the last successful renewal is older than the
 * renew deadline by the local monotonic clock, before another candidate can
 * take the lease (leaseDuration > renewDeadline). So two controllers never
 * write at the same time, even when one of them is partitioned.
 */
/** The Lease calls of KubeWriter (src/k8s/writer.ts) that election needs. */
export type LeaseApi = Pick<KubeWriter, 'getLease' | 'createLease' | 'updateLease'>;

export interface LeaderElectionOptions {
  api: LeaseApi;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  now?: () => number;
  wallClock?: () => Date;
}

export class LeaderElector {
  private lastRenew = -Infinity;
  private leading = false;
  private observed: { holder: string; renewTime: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly wall: () => Date;

  constructor(private readonly o: LeaderElectionOptions) {
    this.leaseMs = o.leaseDurationMs ?? 15_000;
    this.renewMs = o.renewDeadlineMs ?? 10_000;
    this.retryMs = o.retryPeriodMs ?? 2_000;
    if (!(this.leaseMs > this.renewMs && this.renewMs > this.retryMs)) {
      throw new Error('leader election: need leaseDuration > renewDeadline > retryPeriod');
    }
    this.now = o.now ?? (() => performance.now());
    this.wall = o.wallClock ?? (() => new Date());
  }

  /** True only while the last renewal is within the renew deadline. */
  isLeader(): boolean {
    if (this.leading && this.now() - this.lastRenew >= this.renewMs) this.lose('renew deadline passed');
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning and, when leading, releases the lease so a successor need not wait. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // A renewal in flight would otherwise land after the release (or make it conflict) and hold the lease on.
    await this.inflight;
    if (!this.leading) return;
    this.lose('stopped');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const cur = await this.o.api.getLease(this.o.namespace, this.o.name);
        if (cur && cur.holderIdentity === this.o.identity) {
          await this.o.api.updateLease(cur, {
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: microTime(this.wall()),
            leaseTransitions: cur.leaseTransitions,
          });
        }
        return;
      } catch (err) {
        if (err instanceof ConflictError) continue;
        this.o.log.warn('leader election: could not release the lease', { err });
        return;
      }
    }
  }

  /** One acquire-or-renew attempt; true when this candidate holds the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity } = this.o;
    const started = this.now();
    const wall = microTime(this.wall());
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: wall,
      renewTime: wall,
      leaseTransitions: 0,
    };
    try {
      const cur = await api.getLease(namespace, name);
      if (!cur) {
        await api.createLease(namespace, name, spec);
        return this.renewed(started);
      }
      // Expiry is judged by when *we* saw the record change, never by the
      // other node's wall clock, as client-go does.
      if (!this.observed || this.observed.holder !== cur.holderIdentity || this.observed.renewTime !== cur.renewTime) {
        this.observed = { holder: cur.holderIdentity, renewTime: cur.renewTime, at: started };
      }
      const heldByOther = cur.holderIdentity !== '' && cur.holderIdentity !== identity;
      const expired = started - this.observed.at >= cur.leaseDurationSeconds * 1000;
      if (heldByOther && !expired) return this.failed();
      const next: LeaseSpec =
        cur.holderIdentity === identity
          ? // A renewal keeps the time this holder took the lease.
            { ...spec, acquireTime: cur.acquireTime || wall, leaseTransitions: cur.leaseTransitions }
          : { ...spec, leaseTransitions: cur.leaseTransitions + 1 };
      await api.updateLease(cur, next);
      return this.renewed(started);
    } catch (err) {
      if (!(err instanceof ConflictError)) this.o.log.warn('leader election: lease request failed', { err });
      return this.failed();
    }
  }

  private renewed(at: number): boolean {
    this.lastRenew = at;
    if (!this.leading) {
      this.leading = true;
      this.o.log.info('leader election: became leader', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
      this.o.onStartedLeading();
    }
    return true;
  }

  private failed(): boolean {
    this.isLeader();
    return false;
  }

  private lose(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.o.log.warn('leader election: lost leadership', { why, identity: this.o.identity });
    this.o.onStoppedLeading();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const attempt = this.tryAcquireOrRenew();
    this.inflight = attempt.then(() => undefined);
    await attempt;
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.retryMs);
    this.timer.unref();
  }
}
