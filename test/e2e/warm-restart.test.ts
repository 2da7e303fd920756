import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, type ControllerRunOptions } from '../../src/controller/controller.js';
import { connect } from '../../src/ovsdb/index.js';
import type { SyncReport } from '../../src/controller/sync-once.js';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.js';
import { waitForValue } from '../support/wait.js';

let env: ClusterEnv;
let dir: string;

const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitForValue(what, fn, 15_000, 50);
const ports = async () => (await env.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter(Boolean);

/** A controller run to its first pass; stop it to save the state. */
async function ready(over: Partial<ControllerRunOptions>): Promise<{ c: Controller; passes: SyncReport[] }> {
  const passes: SyncReport[] = [];
  const c = new Controller(env.controllerOptions(over), process.env.E2E_LOG ? createLogger({ level: 'debug' }) : silentLogger, { onPass: (r) => passes.push(r) });
  await c.start();
  await until('startup sync', async () => (c.ready ? true : undefined));
  return { c, passes };
}

/** Until no pass has come for a while: the controller's own annotation patches come back as events first. */
async function settled(passes: SyncReport[]): Promise<void> {
  for (let n = -1; n !== passes.length; ) {
    n = passes.length;
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  env = await startClusterEnv({ cluster: { nodes: 3, subnets: 2, pods: 80, policies: 4, services: 3 }, clustered: true });
  dir = mkdtempSync(join(tmpdir(), 'ovnscale-warm-'));
  // The server keeps no more transaction history than the database holds atoms. A real NB dwarfs any one
  // transaction; this small one would drop the controller's last transaction at ovn-northd's next write.
  const nb = await connect({ remotes: env.central.nb.remote, database: 'OVN_Northbound' });
  const pad = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v']));
  await nb.transact([{ op: 'insert', table: 'Address_Set', row: { name: 'history_pad', external_ids: pad } }]);
  await nb.close();
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  expect(await env?.stop()).not.toMatch(/\|(ERR|EMER)\|/);
});

describe('warm restart from a state file (clustered NB)', () => {
  it('resumes without a list and plans nothing before ready; what changed while it was down on either side converges', async () => {
    const stateFile = join(dir, 'state');
    const a = await ready({ stateFile });
    expect(a.passes[0]!.transactions).toBeGreaterThan(0);
    await settled(a.passes);
    await a.c.stop();
    expect(existsSync(stateFile)).toBe(true);

    const lists = env.sim.stats.lists;
    const b = await ready({ stateFile });
    expect(b.passes[0]!.planSkipped).toBe(true);
    expect(b.passes[0]!.operations).toBe(0);
    expect(env.sim.stats.lists).toBe(lists);
    expect(await b.c.metrics.registry.metrics()).toMatch(/ovnscale_state_file_loads_total\{outcome="loaded",reason=""\} 1/);
    // Rows changed behind its back before the stop would still be found: the whole NB is planned right after.
    await until('the repair pass after ready', async () => (b.passes.some((p) => p.timings['repairPlan'] !== undefined) ? true : undefined));
    await settled(b.passes);
    await b.c.stop();

    // While it is down: a new pod, and a port removed from the NB behind its back.
    await env.api.request('POST', '/api/v1/namespaces/ns-0000/pods', {
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'while-down', namespace: 'ns-0000', labels: { app: 'x' } }, spec: { nodeName: 'node-0001', containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running' } },
    });
    const victim = (await ports()).find((p) => /\.ns-\d+$/.test(p) && p !== 'while-down.ns-0000')!;
    await env.nbctl('lsp-del', victim);
    const c = await ready({ stateFile });
    expect(c.passes[0]!.planSkipped).toBeUndefined();
    expect(env.sim.stats.lists).toBe(lists);
    await until('the pod created while it was down', async () => ((await ports()).includes('while-down.ns-0000') ? true : undefined));
    expect(await ports()).toContain(victim);
    await c.c.stop();
  });

  it('refuses a corrupt state file or one of another cluster, says why in a metric, and lists what it cannot trust', async () => {
    const stateFile = join(dir, 'other');
    await (await ready({ stateFile })).c.stop();

    // The namespace the file names comes back with another uid: these records are not this cluster's.
    await env.api.request('DELETE', '/api/v1/namespaces/kube-system');
    await env.api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } } });
    const lists = env.sim.stats.lists;
    const other = await ready({ stateFile });
    expect(await other.c.metrics.registry.metrics()).toMatch(/ovnscale_state_file_loads_total\{outcome="rejected",reason="cluster"\} 1/);
    expect(env.sim.stats.lists).toBeGreaterThan(lists);
    expect(other.passes[0]!.operations).toBe(0);
    await other.c.stop();

    writeFileSync(stateFile, 'not a state file');
    const corrupt = await ready({ stateFile });
    expect(await corrupt.c.metrics.registry.metrics()).toMatch(/ovnscale_state_file_loads_total\{outcome="rejected",reason="format"\} 1/);
    expect(corrupt.passes[0]!.operations).toBe(0);
    await corrupt.c.stop();
  });
});
