/**
 * The naive baseline: the design the field reports describe, on the same
 * OVSDB client, cache and rows as ovnscale. One object at a time, one
 * transaction per object (its insert and the parent mutate naming it, as
 * `ovn-nbctl lsp-add` / `lr-policy-add` do), awaited one after another, each
 * preceded by an existence check that scans the cached table comparing long
 * strings (name, or priority + match). Service events fan out to one policy
 * update per (pod in the namespace × NetworkPolicy there), not de-duplicated.
 * Run on a sample and scaled where a full run would take too long: linearly
 * where the sample is spread over the whole phase (warm restart, Service),
 * by a measured cost model for the cold sync (see naiveCold).
 */
import { connectNb, existingRows, waitForCache } from '../controller/nb-writer.js';
import type { DesiredRow } from '../nb/desired.js';
import { policyPortGroupName } from '../nb/naming.js';
import { plan } from '../nb/plan.js';
import { NB_TABLES } from '../nb/rows.js';
import { chunkOperations, type OvsdbClient } from '../ovsdb/index.js';
import type { Row, RowData } from '../ovsdb/types.js';
import { silentLogger } from '../util/log.js';
import type { Dataset } from './dataset.js';

export interface Sampled {
  /** Units (transactions, rows checked, policy updates) actually run. */
  sampled: number;
  /** Units the full phase needs. */
  total: number;
  sampleSeconds: number;
  /** sampleSeconds × total / sampled: the full phase at the sample's rate. */
  seconds: number;
  scaled: boolean;
  writeTransactions: number;
  operations: number;
}

/** The string an existence check compares: the name, else priority + direction + match. */
export function naiveKey(table: string, row: Row | RowData): string {
  const name = row['name'];
  if (typeof name === 'string' && name !== '') return name;
  if (table === 'ACL') return `${String(row['direction'])}|${String(row['priority'])}|${String(row['match'])}`;
  return `${String(row['priority'] ?? '')}|${String(row['match'] ?? row['ip_prefix'] ?? row['logical_ip'] ?? '')}`;
}

function scan(nb: OvsdbClient, table: string, key: string): boolean {
  for (const r of nb.cache.table(table).rows()) if (naiveKey(table, r) === key) return true;
  return false;
}

/** Existence checks timed apart from the transactions, with the rows they compared. */
class Scanner {
  ms = 0;
  rows = 0;
  constructor(private readonly nb: OvsdbClient) {}
  exists(table: string, key: string): boolean {
    const t0 = performance.now();
    this.rows += this.nb.cache.table(table).size;
    const found = scan(this.nb, table, key);
    this.ms += performance.now() - t0;
    return found;
  }
}

const sampledResult = (sampled: number, total: number, ms: number, writes: number, ops: number): Sampled => {
  const sampleSeconds = ms / 1000;
  const seconds = sampled ? (sampleSeconds * total) / sampled : 0;
  return { sampled, total, sampleSeconds: round3(sampleSeconds), seconds: round3(seconds), scaled: sampled < total, writeTransactions: writes, operations: ops };
};
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export interface NaiveCold extends Sampled {
  /** How `seconds` was obtained when scaled. */
  model?: string;
  transactMsPerTxn: number;
  scanNsPerRow: number;
}

/**
 * Cold sync into an empty NB, one object per transaction, until `sample`
 * transactions (of `total`) are done. Scaled, the time is modelled rather
 * than extrapolated linearly: early checks scan small tables, so the full
 * run is the sample's transaction rate over every transaction plus its scan
 * cost per row compared over every comparison a full run makes (inserting n
 * rows into a table one by one compares n(n-1)/2 rows).
 */
export async function naiveCold(remote: string, data: Dataset, sample: number, total: number): Promise<NaiveCold> {
  const nb = await connectNb(remote, silentLogger);
  const scanner = new Scanner(nb);
  let done = 0;
  let ops = 0;
  let ms = 0;
  let converged = false;
  try {
    for (let round = 0; round < 6 && done < sample; round++) {
      const planned = plan(data.state, existingRows(nb), { ...data.planOptions, deferNew: true });
      if (planned.ops.length === 0) {
        converged = true;
        break;
      }
      const inserted: { table: string; uuid: string }[] = [];
      const t0 = performance.now();
      for (const group of chunkOperations(planned.ops, 1)) {
        if (done >= sample) break;
        if (group.some((op) => op.op === 'insert' && scanner.exists(op.table, naiveKey(op.table, op.row)))) continue;
        const results = await nb.transact(group);
        group.forEach((op, i) => {
          if (op.op === 'insert' && results[i]?.uuid) inserted.push({ table: op.table, uuid: results[i]!.uuid! });
        });
        done++;
        ops += group.length;
      }
      ms += performance.now() - t0;
      await waitForCache(nb, inserted, 120_000);
    }
    const transactMsPerTxn = done ? (ms - scanner.ms) / done : 0;
    const scanNsPerRow = scanner.rows ? (scanner.ms * 1e6) / scanner.rows : 0;
    const measured = { transactMsPerTxn: round3(transactMsPerTxn), scanNsPerRow: round3(scanNsPerRow) };
    if (converged) return { ...sampledResult(done, done, ms, done, ops), ...measured };
    const all = Math.max(total, done);
    let comparisons = 0;
    for (const t of NB_TABLES) {
      const n = data.state.count(t);
      comparisons += (n * (n - 1)) / 2;
    }
    const seconds = (transactMsPerTxn * all + (scanNsPerRow * comparisons) / 1e6) / 1000;
    return {
      ...sampledResult(done, all, ms, done, ops),
      seconds: round3(seconds),
      ...measured,
      model: `${done} of ${all} transactions run: ${measured.transactMsPerTxn} ms per transaction × ${all} + ${measured.scanNsPerRow} ns per row compared × ${comparisons} comparisons`,
    };
  } finally {
    await nb.close();
  }
}

function* everyNth<T>(items: Iterable<T>, total: number, sample: number): Generator<T> {
  const step = Math.max(1, total / Math.max(1, sample));
  let next = 0;
  let i = 0;
  for (const x of items) {
    if (i++ < next) continue;
    yield x;
    next += step;
  }
}

function* desiredRows(data: Dataset): Generator<DesiredRow> {
  for (const t of NB_TABLES) yield* data.state.values(t);
}

/** Restart on a converged NB: every desired row checked by a scan; nothing to write. */
export async function naiveWarm(remote: string, data: Dataset, sample: number): Promise<Sampled> {
  const nb = await connectNb(remote, silentLogger);
  try {
    const total = data.state.size;
    let n = 0;
    const t0 = performance.now();
    for (const d of everyNth(desiredRows(data), total, sample)) {
      scan(nb, d.table, naiveKey(d.table, d.row));
      n++;
    }
    return sampledResult(n, total, performance.now() - t0, 0, 0);
  } finally {
    await nb.close();
  }
}

/** A NetworkPolicy's rows: its port group, the ACLs it holds, its address sets. */
function policyRowsOf(data: Dataset, namespace: string, name: string): DesiredRow[] {
  const pg = policyPortGroupName(namespace, name);
  const out: DesiredRow[] = [];
  const g = data.state.get('Port_Group', pg);
  if (g) out.push(g);
  for (const d of data.state.values('Address_Set')) if (String(d.row['name']).startsWith(`${pg}.`)) out.push(d);
  for (const d of data.state.values('ACL')) {
    const ids = d.row['external_ids'];
    if (ids && typeof ids === 'object' && Object.values(ids).includes(pg)) out.push(d);
  }
  return out;
}

export interface NaiveService extends Sampled {
  namespace: string;
  /** Policy updates one Service create queues: pods in the namespace × its NetworkPolicies. */
  fanOut: number;
  /** Policy rows checked (and rewritten where they differ) over the fan-out. */
  policyRowsTouched: number;
}

/** One Service create: every (pod × NetworkPolicy) pair re-checks that policy's rows; sampled. */
export async function naiveService(remote: string, data: Dataset, namespace: string, sample: number): Promise<NaiveService> {
  const policies = data.policiesIn.get(namespace) ?? [];
  const fanOut = (data.podsIn.get(namespace) ?? 0) * policies.length;
  const rows = new Map(policies.map((p) => [p, policyRowsOf(data, namespace, p)]));
  const nb = await connectNb(remote, silentLogger);
  try {
    let n = 0;
    let checked = 0;
    const t0 = performance.now();
    for (; n < Math.min(sample, fanOut); n++) {
      for (const d of rows.get(policies[n % policies.length]!)!) {
        scan(nb, d.table, naiveKey(d.table, d.row));
        checked++;
      }
    }
    const perUpdate = n ? checked / n : 0;
    return { ...sampledResult(n, fanOut, performance.now() - t0, 0, 0), namespace, fanOut, policyRowsTouched: Math.round(perUpdate * fanOut) };
  } finally {
    await nb.close();
  }
}
