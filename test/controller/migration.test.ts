import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForValue } from '../support/wait.js';
import { MigrationReconciler } from '../../src/controller/migration/reconciler.js';
import { MIGRATION_JOB_LABEL } from '../../src/k8s/kubevirt.js';
import { createVmi, finishMigration, startMigration } from '../../src/sim/kubevirt-actor.js';
import { SB_MONITOR } from '../../src/controller/migration/southbound.js';
import { runTool, startOvnCentral, type OvnCentral } from '../../src/embedded/index.js';
import { KubeApi, loadKubeConfig, Pods, Reflector, Vmims, Vmis } from '../../src/k8s/index.js';
import { connect, type OvsdbClient } from '../../src/ovsdb/index.js';
import { writeKubeconfig } from '../../src/sim/kubeconfig.js';
import { SimServer } from '../../src/sim/server.js';
import { silentLogger } from '../../src/util/log.js';
import type { MigrationPlan } from '../../src/controller/migration/plan.js';

const NS = 'vms';
let central: OvnCentral;
let sim: SimServer;
let api: KubeApi;
let nb: OvsdbClient;
let sb: OvsdbClient;
let reconciler: MigrationReconciler;
let dir: string;
const reflectors: Reflector<never>[] = [];
const events: { kind: 'committed' | 'ready'; plan: MigrationPlan; at: number }[] = [];

const nbctl = (...a: string[]) => runTool('ovn-nbctl', a, { env: central.env });
const sbctl = (...a: string[]) => runTool('ovn-sbctl', a, { env: central.env });
const until = <T>(what: string, fn: () => T | undefined): Promise<T> => waitForValue(what, fn);

async function options(lsp: string): Promise<string> {
  return (await nbctl('get', 'Logical_Switch_Port', lsp, 'options')).trim();
}

const waitEvent = (kind: 'committed' | 'ready', stage: string, after: number) =>
  until(`${kind} ${stage}`, () => events.find((e) => e.kind === kind && e.plan.stage === stage && e.at >= after));

beforeAll(async () => {
  central = await startOvnCentral();
  for (const [i, node] of ['node-a', 'node-b'].entries()) await sbctl('chassis-add', node, 'geneve', `127.0.0.${i + 1}`);
  await nbctl('ls-add', 'ovn-default');
  for (const vm of ['vm1', 'vm2']) {
    await nbctl('lsp-add', 'ovn-default', `${vm}.${NS}`, '--', 'lsp-set-addresses', `${vm}.${NS}`, `00:00:00:00:00:0${vm.at(-1)} 10.16.0.${vm.at(-1)}`);
  }
  sim = new SimServer({ kubevirt: true });
  await sim.start();
  dir = mkdtempSync(join(tmpdir(), 'ovnscale-mig-'));
  writeKubeconfig(join(dir, 'kubeconfig'), sim.url);
  api = new KubeApi(loadKubeConfig(join(dir, 'kubeconfig')));
  await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  for (const vm of ['vm1', 'vm2']) await createVmi(api, NS, vm, 'node-a');
  nb = await connect({ remotes: central.nb.remote, database: 'OVN_Northbound', monitor: { Logical_Switch_Port: { columns: ['name', 'options'] } } });
  sb = await connect({ remotes: central.sb.remote, database: 'OVN_Southbound', monitor: SB_MONITOR });
  const vmis = new Reflector(api, Vmis);
  const vmims = new Reflector(api, Vmims);
  const pods = new Reflector(api, Pods, { labelSelector: MIGRATION_JOB_LABEL });
  for (const r of [vmis, vmims, pods]) {
    r.start();
    reflectors.push(r as unknown as Reflector<never>);
  }
  await Promise.all([vmis, vmims, pods].map((r) => r.waitForSync(10_000)));
  reconciler = new MigrationReconciler({ nb, sb, vmis, vmims, pods, log: silentLogger });
  reconciler.on('committed', (plan) => events.push({ kind: 'committed', plan, at: performance.now() }));
  reconciler.on('ready', (plan) => events.push({ kind: 'ready', plan, at: performance.now() }));
  reconciler.start();
});

afterAll(async () => {
  await reconciler?.stop();
  for (const r of reflectors) await r.stop();
  await nb?.close();
  await sb?.close();
  await sim?.stop();
  const northdLog = central ? readFileSync(central.northd.logFile, 'utf8') : '';
  await central?.stop();
  rmSync(dir, { recursive: true, force: true });
  expect(northdLog).not.toMatch(/\|(ERR|EMER)\|/);
});

describe('KubeVirt live migration', () => {
  it('treats the first and the second migration of a VM alike, and confirms each in the SB', async () => {
    const lsp = `vm1.${NS}`;
    expect(await options(lsp)).toBe('{}');

    const first = await startMigration(api, NS, 'vm1', 'm1', 'node-a', 'node-b');
    const c1 = await waitEvent('committed', 'scheduled', first.scheduledAt);
    expect(await options(lsp)).toBe('{activation-strategy=rarp, requested-chassis="node-a,node-b"}');
    const r1 = await waitEvent('ready', 'scheduled', first.scheduledAt);
    const chassisB = (await sbctl('--bare', '--columns=_uuid', 'find', 'Chassis', 'name=node-b')).trim();
    expect((await sbctl('--bare', '--columns=requested_additional_chassis', 'find', 'Port_Binding', `logical_port=${lsp}`)).trim()).toBe(chassisB);

    await waitEvent('ready', 'succeeded', await finishMigration(api, first, true));
    expect(await options(lsp)).toBe('{requested-chassis=node-b}');

    const second = await startMigration(api, NS, 'vm1', 'm2', 'node-b', 'node-a');
    const c2 = await waitEvent('committed', 'scheduled', second.scheduledAt);
    expect(await options(lsp)).toBe('{activation-strategy=rarp, requested-chassis="node-b,node-a"}');
    const r2 = await waitEvent('ready', 'scheduled', second.scheduledAt);
    await waitEvent('ready', 'succeeded', await finishMigration(api, second, true));
    expect(await options(lsp)).toBe('{requested-chassis=node-a}');

    // Generous bounds for a shared test machine; `ovnscale bench migration` reports the real figures.
    for (const ms of [c1.at - first.scheduledAt, c2.at - second.scheduledAt]) expect(ms).toBeLessThan(2000);
    for (const ms of [r1.at - first.scheduledAt, r2.at - second.scheduledAt]) expect(ms).toBeLessThan(5000);
  });

  it('rolls back to the source chassis when a migration fails', async () => {
    const lsp = `vm2.${NS}`;
    const m = await startMigration(api, NS, 'vm2', 'm3', 'node-a', 'node-b');
    await waitEvent('ready', 'scheduled', m.scheduledAt);
    await waitEvent('ready', 'failed', await finishMigration(api, m, false));
    expect(await options(lsp)).toBe('{requested-chassis=node-a}');
  });
});
