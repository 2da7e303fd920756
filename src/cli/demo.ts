/**
 * `ovnscale demo` (interim, until the controller exists): an embedded NB
 * ovsdb-server and the OVSDB benchmark at a modest size, with progress lines
 * and a short summary.
 */
import { startOvsdbServer } from '../embedded/index.js';
import { DEFAULT_MAX_OPS } from '../ovsdb/index.js';
import { formatBench, runOvsdbBench } from './bench-ovsdb.js';
import type { CommandModule } from './commands.js';
import { intFlag, parseFlags } from './flags.js';

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, 'demo', { rows: { type: 'string', default: '10000' } }, { rows: 'policies inserted per benchmark mode' });
  if (!p) return 0;
  const rows = intFlag(p, 'rows', 1, 1_000_000);
  const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);
  const t0 = Date.now();
  say('starting an embedded OVN Northbound ovsdb-server');
  const nb = await startOvsdbServer();
  try {
    say(`ovsdb-server pid ${nb.pid} on ${nb.remote}`);
    say(`inserting ${rows} Logical_Router_Policy rows per mode: raw-socket floor, our client batched (${DEFAULT_MAX_OPS}/transaction), one per transaction`);
    const r = await runOvsdbBench({
      rows,
      batch: DEFAULT_MAX_OPS,
      reps: 1,
      singleRows: Math.min(rows, 2000),
      monitorRows: rows * 5,
      nbAddr: nb.remote,
      progress: say,
    });
    process.stdout.write('\n' + formatBench(r) + '\n');
    say(
      `summary: batched ${r.modes.batched!.rowsPerSec} rows/s = ${(r.ratios.batched! * 100).toFixed(0)}% of the raw floor; ` +
        `${(r.modes.batched!.rowsPerSec / r.modes['one-per-transaction']!.rowsPerSec).toFixed(1)}x one-per-transaction; ` +
        `${r.monitor!.rows} cached rows decoded in ${r.monitor!.decodeSeconds.toFixed(2)} s`,
    );
  } finally {
    await nb.stop();
    say(`server stopped; done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return 0;
}

export default { run } satisfies CommandModule;
