import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationReconciler, MIGRATION_JOB_LABEL, VM_NAME_LABEL } from '../../src/controller/migration/reconciler.js';
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
const merge = 'application/merge-patch+json';
const vmiPath = (vm: string) => `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/${vm}`;

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function options(lsp: string): Promise<string> {
  return (await nbctl('get', 'Logical_Switch_Port', lsp, 'options')).trim();
}

/** Starts a migration of `vm` to `target` the way KubeVirt does: VMIM, then a target launcher pod. */
async function schedule(vm: string, id: string, target: string): Promise<{ uid: string; t0: number }> {
  const vmim = await api.request<{ metadata: { uid: string } }>('POST', `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstancemigrations`, {
    body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: id, namespace: NS }, spec: { vmiName: vm }, status: { phase: 'Scheduling' } },
  });
  const t0 = performance.now();
  await api.request('POST', `/api/v1/namespaces/${NS}/pods`, {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `virt-launcher-${vm}-${id}`, namespace: NS, labels: { 'kubevirt.io': 'virt-launcher', [VM_NAME_LABEL]: vm, [MIGRATION_JOB_LABEL]: vmim.metadata.uid } },
      spec: { nodeName: target, containers: [{ name: 'compute', image: 'virt-launcher' }] },
      status: { phase: 'Pending' },
    },
  });
  return { uid: vmim.metadata.uid, t0 };
}

async function finish(vm: string, id: string, uid: string, source: string, target: string, ok: boolean): Promise<number> {
  const t0 = performance.now();
  await api.request('PATCH', `${vmiPath(vm)}/status`, {
    contentType: merge,
    body: { status: { nodeName: ok ? target : source, migrationState: { migrationUid: uid, sourceNode: source, targetNode: target, targetPod: `virt-launcher-${vm}-${id}`, completed: ok, failed: !ok } } },
  });
  await api.request('PATCH', `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstancemigrations/${id}/status`, {
    contentType: merge,
    body: { status: { phase: ok ? 'Succeeded' : 'Failed' } },
  });
  return t0;
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
  for (const vm of ['vm1', 'vm2']) {
    await api.request('POST', `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`, {
      body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: vm, namespace: NS }, spec: {}, status: { nodeName: 'node-a', phase: 'Running' } },
    });
  }
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

    const first = await schedule('vm1', 'm1', 'node-b');
    const c1 = await waitEvent('committed', 'scheduled', first.t0);
    expect(await options(lsp)).toBe('{activation-strategy=rarp, requested-chassis="node-a,node-b"}');
    const r1 = await waitEvent('ready', 'scheduled', first.t0);
    const chassisB = (await sbctl('--bare', '--columns=_uuid', 'find', 'Chassis', 'name=node-b')).trim();
    expect((await sbctl('--bare', '--columns=requested_additional_chassis', 'find', 'Port_Binding', `logical_port=${lsp}`)).trim()).toBe(chassisB);

    const done1 = await finish('vm1', 'm1', first.uid, 'node-a', 'node-b', true);
    await waitEvent('ready', 'succeeded', done1);
    expect(await options(lsp)).toBe('{requested-chassis=node-b}');

    const second = await schedule('vm1', 'm2', 'node-a');
    const c2 = await waitEvent('committed', 'scheduled', second.t0);
    expect(await options(lsp)).toBe('{activation-strategy=rarp, requested-chassis="node-b,node-a"}');
    const r2 = await waitEvent('ready', 'scheduled', second.t0);
    const done2 = await finish('vm1', 'm2', second.uid, 'node-b', 'node-a', true);
    await waitEvent('ready', 'succeeded', done2);
    expect(await options(lsp)).toBe('{requested-chassis=node-a}');

    // Generous bounds for a shared test machine; `ovnscale bench migration` reports the real figures.
    for (const ms of [c1.at - first.t0, c2.at - second.t0]) expect(ms).toBeLessThan(2000);
    for (const ms of [r1.at - first.t0, r2.at - second.t0]) expect(ms).toBeLessThan(5000);
  });

  it('rolls back to the source chassis when a migration fails', async () => {
    const lsp = `vm2.${NS}`;
    const m = await schedule('vm2', 'm3', 'node-b');
    await waitEvent('ready', 'scheduled', m.t0);
    const t = await finish('vm2', 'm3', m.uid, 'node-a', 'node-b', false);
    await waitEvent('ready', 'failed', t);
    expect(await options(lsp)).toBe('{requested-chassis=node-a}');
  });
});
