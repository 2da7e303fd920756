/**
 * `ovnscale bench migration`: time from a live migration being scheduled
 * (the target launcher pod written to the API server) to the VM port's
 * options in the NB and to the SB Port_Binding showing both chassis, for
 * each VM's first and second migrations side by side, with ovn-northd
 * compiling the NB. Everything is real but KubeVirt, whose API writes the
 * simulator's KubeVirt actor makes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrationReconciler } from '../controller/migration/reconciler.js';
import { SB_MONITOR } from '../controller/migration/southbound.js';
import type { MigrationStage } from '../controller/migration/plan.js';
import { runTool, startOvnCentral } from '../embedded/index.js';
import { KubeApi, loadKubeConfig, Pods, Reflector, Vmims, Vmis } from '../k8s/index.js';
import { MIGRATION_JOB_LABEL } from '../k8s/kubevirt.js';
import { connect } from '../ovsdb/index.js';
import type { Operation } from '../ovsdb/types.js';
import { createVmi, finishMigration, startMigration } from '../sim/kubevirt-actor.js';
import { writeKubeconfig } from '../sim/kubeconfig.js';
import { SimServer } from '../sim/server.js';
import { silentLogger } from '../util/log.js';
import type { CommandModule } from './commands.js';
import { boolFlag, intFlag, parseFlags } from './flags.js';

const NS = 'vms';
const NODES = ['node-a', 'node-b'];

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

const mod: CommandModule = {
  async run(argv) {
    const p = parseFlags(argv, 'bench migration', { vms: { type: 'string', default: '20' }, json: { type: 'boolean' } }, {
      vms: 'VMs, each migrated twice (there and back)',
      json: 'print one JSON object',
    });
    if (!p) return 0;
    const vms = intFlag(p, 'vms', 1, 10_000);
    const json = boolFlag(p, 'json');
    const say = (s: string) => json || process.stdout.write(`${s}\n`);

    const central = await startOvnCentral();
    const sim = new SimServer({ kubevirt: true });
    const dir = mkdtempSync(join(tmpdir(), 'ovnscale-bench-mig-'));
    const stops: (() => Promise<unknown>)[] = [];
    try {
      for (const [i, node] of NODES.entries()) await runTool('ovn-sbctl', ['chassis-add', node, 'geneve', `127.0.0.${i + 1}`], { env: central.env });
      await sim.start();
      writeKubeconfig(join(dir, 'kubeconfig'), sim.url);
      const api = new KubeApi(loadKubeConfig(join(dir, 'kubeconfig')));
      await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });

      const nb = await connect({ remotes: central.nb.remote, database: 'OVN_Northbound', monitor: { Logical_Switch_Port: { columns: ['name', 'options'] } } });
      stops.push(() => nb.close());
      const sb = await connect({ remotes: central.sb.remote, database: 'OVN_Southbound', monitor: SB_MONITOR });
      stops.push(() => sb.close());
      // The VMs' ports, as the pod reconciler writes them.
      const ops: Operation[] = [];
      for (let i = 0; i < vms; i++) {
        ops.push({ op: 'insert', table: 'Logical_Switch_Port', uuidName: `p${i}`, row: { name: `vm${i}.${NS}`, addresses: [`00:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} 10.16.${i >> 8}.${(i & 255) + 2}`] } });
      }
      ops.push({ op: 'insert', table: 'Logical_Switch', row: { name: 'ovn-default', ports: ops.map((_, i) => `p${i}`) } });
      await nb.transact(ops);
      for (let i = 0; i < vms; i++) await createVmi(api, NS, `vm${i}`, NODES[0]!);

      const vmis = new Reflector(api, Vmis);
      const vmims = new Reflector(api, Vmims);
      const pods = new Reflector(api, Pods, { labelSelector: MIGRATION_JOB_LABEL });
      for (const r of [vmis, vmims, pods]) {
        r.start();
        stops.push(() => r.stop());
      }
      await Promise.all([vmis, vmims, pods].map((r) => r.waitForSync(30_000)));
      const rec = new MigrationReconciler({ nb, sb, vmis, vmims, pods, log: silentLogger });
      rec.start();
      stops.push(() => rec.stop());

      const next = (kind: 'committed' | 'ready', vmi: string, stage: MigrationStage): Promise<number> =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${vmi}: no ${kind} ${stage} within 30 s`)), 30_000);
          const on = (plan: { vmi: string; stage: MigrationStage }) => {
            if (plan.vmi !== vmi || plan.stage !== stage) return;
            clearTimeout(timer);
            rec.off(kind, on);
            resolve(performance.now());
          };
          rec.on(kind, on);
        });

      const samples = { first: { nb: [] as number[], sb: [] as number[] }, second: { nb: [] as number[], sb: [] as number[] } };
      for (const round of ['first', 'second'] as const) {
        const [src, dst] = round === 'first' ? [NODES[0]!, NODES[1]!] : [NODES[1]!, NODES[0]!];
        for (let i = 0; i < vms; i++) {
          const vmi = `${NS}/vm${i}`;
          const committed = next('committed', vmi, 'scheduled');
          const ready = next('ready', vmi, 'scheduled');
          const m = await startMigration(api, NS, `vm${i}`, `${round}-${i}`, src, dst);
          samples[round].nb.push((await committed) - m.scheduledAt);
          samples[round].sb.push((await ready) - m.scheduledAt);
          const done = next('ready', vmi, 'succeeded');
          await finishMigration(api, m, true);
          await done;
        }
        say(`${round} migrations: ${vms} done`);
      }
      const summary = (xs: number[]) => ({ medianMs: quantile(xs, 0.5), p90Ms: quantile(xs, 0.9), maxMs: Math.max(...xs) });
      const result = {
        vms,
        first: { nb: summary(samples.first.nb), sb: summary(samples.first.sb) },
        second: { nb: summary(samples.second.nb), sb: summary(samples.second.sb) },
      };
      if (json) process.stdout.write(JSON.stringify(result) + '\n');
      else {
        const row = (name: string, s: ReturnType<typeof summary>) => `  ${name.padEnd(28)} median ${s.medianMs.toFixed(1)} ms   p90 ${s.p90Ms.toFixed(1)} ms   max ${s.maxMs.toFixed(1)} ms`;
        say(`scheduled -> NB commit / SB Port_Binding, ${vms} VMs (ovn-northd running):`);
        say(row('first migration, NB', result.first.nb));
        say(row('second migration, NB', result.second.nb));
        say(row('first migration, SB', result.first.sb));
        say(row('second migration, SB', result.second.sb));
        say(`  second / first (median, NB): ${(result.second.nb.medianMs / result.first.nb.medianMs).toFixed(2)}`);
      }
      return 0;
    } finally {
      for (const s of stops.reverse()) await s();
      await sim.stop();
      await central.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default mod;
