/**
 * `ovnscale bench ovsdb`: Logical_Router_Policy inserts referenced by a router
 * (each transaction inserts policies and adds them to router.policies),
 * through our client batched and one per transaction, side by side with the
 * floor the server allows: the same transactions as pre-serialized JSON text
 * pipelined on a raw socket. Also times a full monitor of a large table
 * decoded into the cache. Medians over repetitions, a fresh database each.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { startOvsdbServer, type EmbeddedServer } from '../embedded/index.js';
import { connect, DatabaseCache, DEFAULT_MAX_OPS, JsonSplitter, parseRemote, parseSchema, type OvsdbClient, type Operation } from '../ovsdb/index.js';
import { parseFrame } from '../ovsdb/lazy-json.js';
import { encodeOperation } from '../ovsdb/operations.js';
import type { CommandModule } from './commands.js';
import { boolFlag, intFlag, parseFlags, stringFlag, UsageError } from './flags.js';

export interface ModeResult {
  rows: number;
  seconds: number;
  rowsPerSec: number;
}

export interface BenchResult {
  rows: number;
  batch: number;
  reps: number;
  modes: Record<string, ModeResult>;
  /** Each mode's throughput over the raw floor's: per repetition (runs made back to back), median over repetitions. */
  ratios: Record<string, number>;
  monitor?: { rows: number; decodeSeconds: number; syncSeconds: number };
  sweep?: Record<string, ModeResult>;
}

export interface BenchOptions {
  rows: number;
  batch: number;
  reps: number;
  /** External NB (`--ovn-nb-addr`); an embedded server per repetition otherwise. */
  nbAddr?: string;
  monitorRows: number;
  singleRows: number;
  sweep?: number[];
  progress: (line: string) => void;
}

const DB = 'OVN_Northbound';
let routerSeq = 0;

function policy(i: number, router: string): Operation {
  return {
    op: 'insert',
    table: 'Logical_Router_Policy',
    uuidName: `p${i}`,
    row: {
      priority: 29000,
      match: `ip4.src == $subnet${i % 200}.node${i}_ip4`,
      action: 'reroute',
      nexthops: [`100.64.${(i >> 8) & 255}.${i & 255}`],
      external_ids: { vendor: 'kube-ovn', subnet: `subnet${i % 200}`, node: `node${i}`, router },
    },
  };
}

/** Transactions of `batch` policy inserts plus the mutate that attaches them to the router. */
function transactions(rows: number, batch: number, router: string, offset = 0): Operation[][] {
  const out: Operation[][] = [];
  for (let start = 0; start < rows; start += batch) {
    const ops: Operation[] = [];
    const names: string[] = [];
    for (let i = start; i < Math.min(rows, start + batch); i++) {
      ops.push(policy(offset + i, router));
      names.push(`p${offset + i}`);
    }
    ops.push({ op: 'mutate', table: 'Logical_Router', where: [['name', '==', router]], mutations: [['policies', 'insert', names]] });
    out.push(ops);
  }
  return out;
}

interface Target {
  remote: string;
  done(): Promise<void>;
}

async function target(nbAddr: string | undefined): Promise<Target> {
  if (nbAddr) return { remote: nbAddr, done: async () => undefined };
  const s: EmbeddedServer = await startOvsdbServer();
  return { remote: s.remote, done: () => s.stop() };
}

async function withRouter<T>(remote: string, fn: (client: OvsdbClient, router: string) => Promise<T>): Promise<T> {
  const client = await connect({ remotes: remote, database: DB });
  const router = `bench-${process.pid}-${++routerSeq}`;
  try {
    await client.transact([{ op: 'insert', table: 'Logical_Router', row: { name: router } }]);
    return await fn(client, router);
  } finally {
    // Deleting the router garbage-collects its policies (external NB stays clean).
    await client.transact([{ op: 'delete', table: 'Logical_Router', where: [['name', '==', router]] }]).catch(() => undefined);
    await client.close();
  }
}

async function clientBatched(client: OvsdbClient, router: string, rows: number, batch: number): Promise<number> {
  const txns = transactions(rows, batch, router);
  const t0 = performance.now();
  await Promise.all(txns.map((ops) => client.transact(ops)));
  return (performance.now() - t0) / 1000;
}

async function clientSingle(client: OvsdbClient, router: string, rows: number): Promise<number> {
  const txns = transactions(rows, 1, router);
  const t0 = performance.now();
  for (const ops of txns) await client.transact(ops);
  return (performance.now() - t0) / 1000;
}

/** The floor: pre-serialized `transact` requests written back to back on a raw socket, replies counted. */
async function rawFloor(client: OvsdbClient, remote: string, router: string, rows: number, batch: number): Promise<number> {
  const texts = transactions(rows, batch, router).map((ops, id) => transactText(client.schema, ops, id));
  return (await sendRaw(remote, texts)).seconds;
}

type Schema = OvsdbClient['schema'];

/** One `transact` request as JSON text, with `id` as its JSON-RPC id. */
export function transactText(schema: Schema, ops: readonly Operation[], id: number): string {
  return JSON.stringify({ method: 'transact', params: [DB, ...ops.map((op, i) => encodeOperation(schema, op, i))], id });
}

export interface RawReply {
  id: number;
  result: Array<{ uuid?: [string, string]; error?: unknown } | null>;
}

/**
 * Writes pre-serialized requests back to back on a plain socket and waits for
 * every reply: the time ovsdb-server itself needs (the raw-socket floor).
 */
export async function sendRaw(remote: string, texts: readonly string[]): Promise<{ seconds: number; replies: RawReply[] }> {
  const sock = await rawSocket(remote);
  const splitter = new JsonSplitter();
  const replies: RawReply[] = [];
  const t0 = performance.now();
  const done = new Promise<void>((resolve, reject) => {
    let left = texts.length;
    if (left === 0) resolve();
    sock.on('data', (chunk: Buffer) => {
      for (const t of splitter.push(chunk)) {
        const m = JSON.parse(t) as RawReply & { error: unknown };
        if (m.error !== null || m.result.some((r) => r?.error)) reject(new Error(`raw transact failed: ${t.slice(0, 200)}`));
        replies.push(m);
        if (--left === 0) resolve();
      }
    });
    sock.once('error', reject);
  });
  for (const t of texts) sock.write(t);
  try {
    await done;
    return { seconds: (performance.now() - t0) / 1000, replies };
  } finally {
    sock.destroy();
  }
}

/** A plain socket to a unix: or tcp: remote (the raw floor does not use TLS). */
async function rawSocket(remote: string): Promise<net.Socket> {
  const r = parseRemote(remote);
  if (r.kind === 'ssl') throw new UsageError('the raw floor needs a unix: or tcp: remote');
  const sock = r.kind === 'unix' ? net.createConnection({ path: r.path }) : net.createConnection({ host: r.host, port: r.port });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.setNoDelay(true);
  return sock;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const result = (rows: number, times: number[]): ModeResult => {
  const seconds = median(times);
  return { rows, seconds: Number(seconds.toFixed(4)), rowsPerSec: Math.round(rows / seconds) };
};

/** Runs every mode `reps` times, a fresh database each run, interleaving modes so drift hits all alike. */
async function measure(opts: BenchOptions, modes: Record<string, (c: OvsdbClient, remote: string, router: string) => Promise<number>>): Promise<Record<string, number[]>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  const entries = Object.entries(modes);
  for (let r = 0; r < opts.reps; r++) {
    // Rotate the order each repetition so no mode always runs first (or after the same neighbour).
    const order = entries.map((_, i) => entries[(i + r) % entries.length]!);
    for (const [name, fn] of order) {
      const t = await target(opts.nbAddr);
      try {
        const s = await withRouter(t.remote, (c, router) => fn(c, t.remote, router));
        times[name]!.push(s);
        opts.progress(`rep ${r + 1}/${opts.reps} ${name}: ${s.toFixed(3)} s`);
      } finally {
        await t.done();
      }
    }
  }
  return times;
}

/** Fills a table with `rows` policies, then times a fresh monitor: full sync, and the client-side parse+decode alone. */
async function monitorDecode(opts: BenchOptions): Promise<{ rows: number; decodeSeconds: number; syncSeconds: number }> {
  const t = await target(opts.nbAddr);
  try {
    return await withRouter(t.remote, async (c, router) => {
      opts.progress(`monitor: inserting ${opts.monitorRows} policies`);
      await Promise.all(transactions(opts.monitorRows, DEFAULT_MAX_OPS, router).map((ops) => c.transact(ops)));
      const t0 = performance.now();
      const m = await connect({ remotes: t.remote, database: DB, monitor: ['Logical_Router_Policy'] });
      const syncSeconds = (performance.now() - t0) / 1000;
      const synced = m.cache.table('Logical_Router_Policy').size;
      await m.close();
      // The reply bytes alone, then the client's path (framing, lazy parse, decode into a cache), timed.
      const schema = parseSchema(c.schema.raw);
      const raw = await rawMonitor(t.remote, { Logical_Router_Policy: schema.tables.get('Logical_Router_Policy')!.columns.keys() }, true);
      const bytes = Buffer.concat(raw.chunks);
      // Median of three: the machine is shared and one run can be unlucky.
      const decodes: number[] = [];
      let cached = 0;
      for (let k = 0; k < 3; k++) {
        const d0 = performance.now();
        const reply = parseFrame(new JsonSplitter().frames(bytes)[0]!) as { result: unknown };
        const cache = new DatabaseCache(schema, new Map([['Logical_Router_Policy', [...schema.tables.get('Logical_Router_Policy')!.columns.keys()]]]));
        await cache.apply(reply.result, true);
        decodes.push((performance.now() - d0) / 1000);
        cached = cache.table('Logical_Router_Policy').size;
      }
      const decodeSeconds = median(decodes);
      opts.progress(`monitor: ${synced} rows synced in ${syncSeconds.toFixed(3)} s, decoded in ${decodeSeconds.toFixed(3)} s (${(bytes.length / 1e6).toFixed(1)} MB)`);
      return { rows: cached, decodeSeconds: Number(decodeSeconds.toFixed(4)), syncSeconds: Number(syncSeconds.toFixed(4)) };
    });
  } finally {
    await t.done();
  }
}

/** Messages up to this size are read: the server's inactivity probe or an error reply. A larger one can only be a table's rows. */
const SMALL_MESSAGE = 1 << 16;

export interface RawMonitor {
  /** From the requests' write to the last reply's last byte. */
  seconds: number;
  bytes: number;
  /** The bytes received, when asked to keep them. */
  chunks: Buffer[];
}

/**
 * One monitor_cond per table (the given columns), all written at once on a
 * plain socket; the replies are read to their last byte, not parsed: what
 * ovsdb-server needs to send them.
 */
export async function rawMonitor(remote: string, tables: Readonly<Record<string, Iterable<string>>>, keep = false): Promise<RawMonitor> {
  const sock = await rawSocket(remote);
  try {
    // Large replies are only delimited, not decoded: the floor is the server's time, not ours.
    const splitter = new JsonSplitter(undefined, undefined, SMALL_MESSAGE);
    const chunks: Buffer[] = [];
    const t0 = performance.now();
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      let left = Object.keys(tables).length;
      sock.once('error', reject).once('close', () => reject(new Error('raw monitor: the server closed the connection')));
      sock.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keep) chunks.push(chunk);
        let frames: string[];
        try {
          frames = splitter.push(chunk);
        } catch (e) {
          reject(e as Error);
          return;
        }
        for (const text of frames) {
          if (text !== '') {
            const m = JSON.parse(text) as { id?: unknown; method?: unknown; params?: unknown; error?: unknown };
            if (m.method === 'echo') {
              sock.write(JSON.stringify({ id: m.id, result: m.params, error: null }));
              continue;
            }
            if (m.error !== null && m.error !== undefined) {
              reject(new Error(`raw monitor: ${text.slice(0, 300)}`));
              return;
            }
          }
          if (--left === 0) resolve();
        }
      });
      for (const [table, columns] of Object.entries(tables)) {
        sock.write(JSON.stringify({ method: 'monitor_cond', params: [DB, `raw/${table}`, { [table]: [{ columns: [...columns] }] }], id: table }));
      }
    });
    return { seconds: (performance.now() - t0) / 1000, bytes, chunks };
  } finally {
    sock.destroy();
  }
}

export async function runOvsdbBench(opts: BenchOptions): Promise<BenchResult> {
  const { rows, batch } = opts;
  const times = await measure(opts, {
    'raw-floor': (c, remote, router) => rawFloor(c, remote, router, rows, batch),
    batched: (c, _remote, router) => clientBatched(c, router, rows, batch),
    'one-per-transaction': (c, _remote, router) => clientSingle(c, router, opts.singleRows),
  });
  const modes: Record<string, ModeResult> = {
    'raw-floor': result(rows, times['raw-floor']!),
    batched: result(rows, times.batched!),
    'one-per-transaction': result(opts.singleRows, times['one-per-transaction']!),
  };
  // Ratios pair the runs of one repetition (made back to back), then take the median: drift in the machine's load cancels out.
  const floorTimes = times['raw-floor']!;
  const ratios = Object.fromEntries(
    Object.entries(modes).map(([k, v]) => [k, Number(median(times[k]!.map((t, r) => v.rows / t / (rows / floorTimes[r]!))).toFixed(3))]),
  );
  const out: BenchResult = { rows, batch, reps: opts.reps, modes, ratios };
  if (opts.sweep?.length) {
    const sweepModes = Object.fromEntries(opts.sweep.map((b) => [`batch-${b}`, (c: OvsdbClient, _r: string, router: string) => clientBatched(c, router, rows, b)]));
    const st = await measure(opts, sweepModes);
    out.sweep = Object.fromEntries(Object.entries(st).map(([k, v]) => [k, result(rows, v)]));
  }
  if (opts.monitorRows > 0) out.monitor = await monitorDecode(opts);
  return out;
}

export function formatBench(r: BenchResult): string {
  const lines = [`OVSDB insert benchmark: ${r.rows} Logical_Router_Policy rows, batch ${r.batch}, median of ${r.reps}`, ''];
  lines.push(`${'mode'.padEnd(22)}${'rows'.padStart(8)}${'seconds'.padStart(10)}${'rows/s'.padStart(10)}${'vs floor'.padStart(10)}`);
  for (const [k, v] of Object.entries(r.modes)) {
    lines.push(`${k.padEnd(22)}${String(v.rows).padStart(8)}${v.seconds.toFixed(3).padStart(10)}${String(v.rowsPerSec).padStart(10)}${r.ratios[k]!.toFixed(3).padStart(10)}`);
  }
  if (r.sweep) {
    lines.push('', 'batch size sweep (client, pipelined):');
    for (const [k, v] of Object.entries(r.sweep)) lines.push(`  ${k.padEnd(20)}${String(v.rowsPerSec).padStart(10)} rows/s`);
  }
  if (r.monitor) lines.push('', `monitor of ${r.monitor.rows} rows: decode into cache ${r.monitor.decodeSeconds.toFixed(3)} s, full sync (server + transfer + decode) ${r.monitor.syncSeconds.toFixed(3)} s`);
  return lines.join('\n') + '\n';
}

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(
    argv,
    'bench ovsdb',
    {
      rows: { type: 'string', default: '20000' },
      batch: { type: 'string', default: String(DEFAULT_MAX_OPS) },
      reps: { type: 'string', default: '3' },
      'single-rows': { type: 'string' },
      'monitor-rows': { type: 'string', default: '0' },
      sweep: { type: 'string' },
      json: { type: 'boolean', default: false },
      'ovn-nb-addr': { type: 'string' },
    },
    {
      rows: 'policies inserted per mode and repetition',
      batch: 'policies per transaction in the batched modes',
      reps: 'repetitions (median reported), fresh database each',
      'single-rows': 'rows for the one-per-transaction mode (default: --rows)',
      'monitor-rows': 'also time a monitor of this many rows decoded into the cache (0: skip)',
      sweep: 'comma-separated batch sizes to compare (client, pipelined)',
      json: 'print one JSON object instead of a table',
      'ovn-nb-addr': 'NB remote to use instead of an embedded ovsdb-server (rows are removed afterwards)',
    },
  );
  if (!p) return 0;
  const rows = intFlag(p, 'rows', 1);
  const sweepText = stringFlag(p, 'sweep');
  const sweep = sweepText?.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--sweep: '${s}' is not a positive integer`);
    return n;
  });
  const json = boolFlag(p, 'json');
  const nbAddr = stringFlag(p, 'ovn-nb-addr');
  const r = await runOvsdbBench({
    rows,
    batch: intFlag(p, 'batch', 1),
    reps: intFlag(p, 'reps', 1, 99),
    singleRows: p.values['single-rows'] === undefined ? rows : intFlag(p, 'single-rows', 1),
    monitorRows: intFlag(p, 'monitor-rows', 0),
    ...(sweep ? { sweep } : {}),
    ...(nbAddr ? { nbAddr } : {}),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(json ? `${JSON.stringify(r)}\n` : formatBench(r));
  return 0;
}

export default { run } satisfies CommandModule;
