/**
 * The raw floors, what ovsdb-server itself needs:
 * - cold sync: the rows ovnscale writes, planned as bulkSync plans them (one
 *   plan, or deferNew rounds beyond one transaction) and chunked alike, sent
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
import { rawSocket, sendRaw, transactText } from '../cli/bench-ovsdb.js';
import { NB_COLUMNS, NB_TABLES } from '../nb/rows.js';
import { JsonSplitter } from '../ovsdb/framing.js';
import { silentLogger } from '../util/log.js';
import type { Dataset } from './dataset.js';

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
    // As bulkSync plans: one plan when it fits one transaction, else deferNew rounds.
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
  /** Median over the repetitions: from the requests' write to the last reply's last byte. */
  seconds: number;
  bytes: number;
  reps: number;
}

/** The time ovsdb-server needs to send the NB as the controller monitors it (median of `reps`). */
export async function rawMonitorFloor(remote: string, reps: number): Promise<MonitorFloor> {
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < reps; r++) {
    const one = await rawMonitor(remote);
    times.push(one.seconds);
    bytes = one.bytes;
  }
  times.sort((a, b) => a - b);
  return { seconds: Math.round(times[times.length >> 1]! * 1000) / 1000, bytes, reps };
}

const SMALL_MESSAGE = 1 << 16;

async function rawMonitor(remote: string): Promise<{ seconds: number; bytes: number }> {
  const sock = await rawSocket(remote);
  try {
    const splitter = new JsonSplitter();
    const t0 = performance.now();
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      let left = NB_TABLES.length;
      sock.once('error', reject).once('close', () => reject(new Error('monitor floor: the server closed the connection')));
      sock.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        let frames: string[];
        try {
          frames = splitter.push(chunk);
        } catch (e) {
          reject(e as Error);
          return;
        }
        for (const text of frames) {
          // Small messages are read: the server's inactivity probe (answered, not counted) or an error reply.
          // A large one can only be a table's rows, and stays unparsed.
          if (text.length < SMALL_MESSAGE) {
            const m = JSON.parse(text) as { id?: unknown; method?: unknown; params?: unknown; error?: unknown };
            if (m.method === 'echo') {
              sock.write(JSON.stringify({ id: m.id, result: m.params, error: null }));
              continue;
            }
            if (m.error !== null && m.error !== undefined) {
              reject(new Error(`monitor floor: ${text.slice(0, 300)}`));
              return;
            }
          }
          if (--left === 0) resolve();
        }
      });
      for (const table of NB_TABLES) {
        const params = ['OVN_Northbound', `floor/${table}`, { [table]: [{ columns: [...NB_COLUMNS[table]] }] }];
        sock.write(JSON.stringify({ method: 'monitor_cond', params, id: table }));
      }
    });
    return { seconds: (performance.now() - t0) / 1000, bytes };
  } finally {
    sock.destroy();
  }
}
