import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/controller/options.js';
import { syncOnce, type SyncOnceOptions } from '../../src/controller/sync-once.js';
import { runTool, startOvnCentral, type OvnCentral } from '../../src/embedded/index.js';
import { clusterSpec, generateCluster } from '../../src/sim/gen/cluster.js';
import { writeKubeconfig } from '../../src/sim/kubeconfig.js';
import { SimServer } from '../../src/sim/server.js';
import { silentLogger } from '../../src/util/log.js';

let central: OvnCentral;
let sim: SimServer;
let dir: string;
let opts: SyncOnceOptions;

const nbctl = (...a: string[]) => runTool('ovn-nbctl', a, { env: central.env });
const count = async (table: string) => (await nbctl('--bare', '--columns=_uuid', 'list', table)).split('\n').filter(Boolean).length;

beforeAll(async () => {
  central = await startOvnCentral();
  sim = new SimServer();
  sim.load(generateCluster(clusterSpec({ nodes: 8, subnets: 3, pods: 300, policies: 12, services: 10 })));
  await sim.start();
  dir = mkdtempSync(join(tmpdir(), 'ovnscale-sync-'));
  writeKubeconfig(join(dir, 'kubeconfig'), sim.url);
  opts = { ...DEFAULT_OPTIONS, wasmWorkers: 0, nbAddr: central.nb.remote, kubeconfig: join(dir, 'kubeconfig'), dryRun: false };
});

afterAll(async () => {
  await sim?.stop();
  await central?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bulk sync against a real NB with ovn-northd', () => {
  it('--plan writes nothing', async () => {
    const r = await syncOnce({ ...opts, dryRun: true }, silentLogger);
    expect(r.operations).toBeGreaterThan(0);
    expect(r.transactions).toBe(0);
    expect(await count('Logical_Switch_Port')).toBe(0);
  });

  it('brings an empty NB to the cluster, compiles in northd without errors, and a second run writes nothing', async () => {
    const first = await syncOnce(opts, silentLogger);
    expect(first.errors).toEqual([]);
    expect(first.plan.conflicts).toEqual([]);
    expect(first.transactions).toBeGreaterThan(0);
    await nbctl('--wait=sb', 'sync');
    const log = readFileSync(central.northd.logFile, 'utf8');
    expect(log).not.toMatch(/\|(ERR|EMER|WARN)\|/);
    expect(await count('Logical_Router')).toBe(1);
    const lsps = await count('Logical_Switch_Port');
    expect(lsps).toBeGreaterThan(300);

    const again = await syncOnce(opts, silentLogger);
    expect(again.operations).toBe(0);
    expect(again.transactions).toBe(0);
    expect(await count('Logical_Switch_Port')).toBe(lsps);
  });

  it('restores rows removed behind its back, without duplicates', async () => {
    const before = await count('Logical_Switch_Port');
    const policies = await count('Logical_Router_Policy');
    const ports = (await nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter((l) => l.includes('.')).slice(0, 5);
    for (const p of ports) await nbctl('lsp-del', p);
    await nbctl('lr-policy-del', 'ovn-cluster', '29000', (await nbctl('--bare', '--columns=match', 'find', 'Logical_Router_Policy', 'priority=29000')).split('\n')[0]!);
    const r = await syncOnce(opts, silentLogger);
    expect(r.operations).toBeGreaterThan(0);
    expect(await count('Logical_Switch_Port')).toBe(before);
    expect(await count('Logical_Router_Policy')).toBe(policies);
    expect((await syncOnce(opts, silentLogger)).operations).toBe(0);
  });
});
