/** `ovnscale sync`: one bulk sync and exit; `--plan`: print what it would change. */
import { syncOnce, type SyncReport } from '../controller/sync-once.js';
import { createLogger, parseLevel } from '../util/log.js';
import type { CommandModule } from './commands.js';
import { controllerFlagHelp, controllerFlagSpec, controllerOptions } from './controller-flags.js';
import { boolFlag, parseFlags, stringFlag } from './flags.js';

/** This process's peak resident set (the kernel's high-water mark), MiB. */
const peakRssMiB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

function printReport(r: SyncReport, dryRun: boolean): void {
  const rows = Object.entries(r.plan.counts).filter(([, c]) => c.insert + c.update + c.delete > 0);
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(dryRun ? 'planned NB changes (nothing written):' : 'NB changes:');
  if (!rows.length) w('  none: the NB already matches the cluster');
  for (const [table, c] of rows) w(`  ${table.padEnd(28)} create ${String(c.insert).padStart(7)}  update ${String(c.update).padStart(7)}  delete ${String(c.delete).padStart(7)}`);
  w(`operations ${r.operations}, write transactions ${r.transactions}, desired rows ${r.desiredRows}, addresses allocated ${r.allocated}`);
  if (!dryRun) w(`annotations patched ${r.annotations.sent}, failed ${r.annotations.failed}`);
  if (r.errors.length) {
    w(`invalid objects skipped: ${r.errors.length}`);
    for (const e of r.errors.slice(0, 20)) w(`  ${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name} ${e.field}: ${e.message}`);
  }
  if (r.plan.conflicts.length) w(`rows not planned: ${r.plan.conflicts.length} (first: ${r.plan.conflicts[0]!.table} ${r.plan.conflicts[0]!.key}: ${r.plan.conflicts[0]!.reason})`);
  w(`timings (ms): ${Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  w(`peak RSS ${peakRssMiB()} MiB`);
}

const mod: CommandModule = {
  async run(argv) {
    const p = parseFlags(
      argv,
      'sync',
      { ...controllerFlagSpec, plan: { type: 'boolean' }, json: { type: 'boolean' } },
      { ...controllerFlagHelp, plan: 'print what would change in the NB, write nothing', json: 'print the report as one JSON object' },
    );
    if (!p) return 0;
    const o = controllerOptions(p);
    const log = createLogger({ level: parseLevel(stringFlag(p, 'log-level')!) });
    const dryRun = boolFlag(p, 'plan');
    const report = await syncOnce({ ...o, dryRun }, log);
    if (boolFlag(p, 'json')) process.stdout.write(JSON.stringify({ ...report, peakRssMiB: peakRssMiB() }) + '\n');
    else printReport(report, dryRun);
    return 0;
  },
};
export default mod;
