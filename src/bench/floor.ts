/**
 * The raw floors, what ovsdb-server itself needs:
 * - cold sync: the rows ovnscale writes, planned in named-uuid rounds (one
 *   plan, or deferNew rounds beyond one transaction; bulkSync now writes the
 *   same rows in one round under uuids it chooses) and chunked alike, sent
 *   as pre-serialized transactions on a plain socket (the `bench ovsdb` floor
 *   machinery) into a fresh NB. Only the socket time counts; planning and
 *   waiting for our cache to see the inserts do not.
 * - warm restart: the NB's monitor replies, requested as the controller
 *   requests them (one monitor per table, the same columns, all at once),
 *   read off a plain socket and not parsed.
 */
import { connectNb, existingRows, waitForCache } from '../controller/nb-writer.js';
import { plan } from '../nb/plan.js';
import { chunkOperations } from '../ovsdb/index.js';
import { rawMonitor, sendRaw, transactText } from '../cli/bench-ovsdb.js';
import { NB_COLUMNS } from '../nb/rows.js';
import { silentLogger } from '../util/log.js';
import type { Dataset } from './dataset.js';
import { quantile } from './stats.js';

export interface FloorResult {
  seconds: number;
  transactions: number;
  operations: number;
  rounds: number;
  /** Object-sized groups (an insert with the parent mutate naming it): one transaction each in the naive design. */
  objectGroups: number;
}

const MAX_ROUNDS = 6;

export async function rawFloor(remote: string, data: Dataset, maxOps: number): Promise<FloorResult> {
  const nb = await connectNb(remote, silentLogger);
  const out: FloorResult = { seconds: 0, transactions: 0, operations: 0, rounds: 0, objectGroups: 0 };
  try {
    // One plan when it fits one transaction, else named-uuid deferNew rounds.
    let planned = plan(data.state, existingRows(nb), data.planOptions);
    const rounds = planned.ops.length > maxOps;
    if (rounds) planned = plan(data.state, existingRows(nb), { ...data.planOptions, deferNew: true });
    while (planned.ops.length > 0) {
      if (++out.rounds > MAX_ROUNDS) throw new Error(`floor: the NB did not converge in ${MAX_ROUNDS} rounds`);
      const chunks = chunkOperations(planned.ops, maxOps);
      out.objectGroups += chunkOperations(planned.ops, 1).length;
      const texts = chunks.map((ops, id) => transactText(nb.schema, ops, id));
      const sent = await sendRaw(remote, texts);
      out.seconds += sent.seconds;
      out.transactions += chunks.length;
      out.operations += planned.ops.length;
      const inserted: { table: string; uuid: string }[] = [];
      for (const r of sent.replies) {
        const ops = chunks[r.id]!;
        r.result.forEach((res, i) => {
          const op = ops[i];
          if (op?.op === 'insert' && res?.uuid) inserted.push({ table: op.table, uuid: res.uuid[1] });
        });
      }
      if (!(await waitForCache(nb, inserted, 120_000))) throw new Error('floor: the NB cache did not show the inserted rows');
      if (!rounds) break;
      planned = plan(data.state, existingRows(nb), { ...data.planOptions, deferNew: true });
    }
    out.seconds = Math.round(out.seconds * 1000) / 1000;
    return out;
  } finally {
    await nb.close();
  }
}

export interface MonitorFloor {
  /** Median over the repetitions (see rawMonitor). */
  seconds: number;
  bytes: number;
  reps: number;
}

/** The time ovsdb-server needs to send the NB as the controller monitors it (median of `reps`). */
export async function rawMonitorFloor(remote: string, reps: number): Promise<MonitorFloor> {
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < reps; r++) {
    const one = await rawMonitor(remote, NB_COLUMNS);
    times.push(one.seconds);
    bytes = one.bytes;
  }
  return { seconds: Math.round(quantile(times, 0.5) * 1000) / 1000, bytes, reps };
}
