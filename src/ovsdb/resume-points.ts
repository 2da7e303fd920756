/**
 * Where the replicated cache stands in the server's transaction history,
 * monitor by monitor: the transaction each monitor_cond_since resumes after,
 * and the one a snapshot may name for every table (OvsdbClient.snapshot()).
 *
 * Each table is monitored on its own, and a table's own last transaction
 * may be one the server has long dropped from its history (it keeps about a
 * hundred): a restart would fetch that table again. But the server sends
 * every monitor's update of a round together, each naming the same latest
 * transaction, and a reply comes after the rounds before it. So once an
 * echo has come back with no update on the way, every table is current as
 * of the last round received, and all of them resume from it.
 */
import { ZERO_UUID } from './codec.js';

export class ResumePoints {
  private readonly byMonitor = new Map<string, string>();
  /** The transaction of the last update applied since the connection's monitors were all set up. */
  private lastRound?: string;
  private seeded = false;
  private unchanged = false;
  /** Monitor updates received, on any connection. */
  private arrivals = 0;

  get received(): number {
    return this.arrivals;
  }

  /** True once the cache, seeded from a snapshot, was confirmed unchanged by the server and no update has come since. */
  get resumedUnchanged(): boolean {
    return this.unchanged;
  }

  /** Where monitor `id` resumes: after its last transaction, or from nothing (the whole table). */
  since(id: string): string {
    return this.byMonitor.get(id) ?? ZERO_UUID;
  }

  /** The cache was seeded from a snapshot whose tables reflect these transactions, by monitor. */
  seed(points: Iterable<readonly [string, string]>): void {
    for (const [id, txn] of points) this.byMonitor.set(id, txn);
    this.seeded = true;
  }

  /** A monitor update arrived (applied later): the cache no longer holds just the snapshot's rows. */
  arrived(): void {
    this.arrivals++;
    this.unchanged = false;
  }

  /** Monitor `id`'s rows reflect `txn` now; `round`: applied after every monitor of the connection was set up. */
  applied(id: string, txn: string, round: boolean): void {
    this.byMonitor.set(id, txn);
    if (round) this.lastRound = txn;
  }

  /** A new connection: until its monitors are set up, no round vouches for every table. */
  reconnected(): void {
    this.lastRound = undefined;
  }

  /** The monitors are set up; `unchanged`: every one resumed, with no row update and none arrived meanwhile. */
  setUp(unchanged: boolean): void {
    if (this.seeded) this.unchanged = unchanged;
    this.seeded = false;
  }

  /** The transaction a snapshot names for monitor `id`, once no update is on the way (undefined: none yet). */
  snapshotPoint(id: string): string | undefined {
    return this.lastRound ?? this.byMonitor.get(id);
  }
}
