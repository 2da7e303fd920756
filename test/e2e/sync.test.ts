import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/controller/options.js';
import { createClusterCache } from '../../src/controller/cluster-cache.js';
import { writeInfrastructure } from '../../src/controller/infrastructure.js';
import { connectNb } from '../../src/controller/nb-writer.js';
import { syncOnce, type SyncOnceOptions } from '../../src/controller/sync-once.js';
import { KubeApi, loadKubeConfig } from '../../src/k8s/index.js';
import { silentLogger } from '../../src/util/log.js';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.js';

let env: ClusterEnv;
let opts: SyncOnceOptions;

const nbctl = (...a: string[]) => env.nbctl(...a);
const count = async (table: string) => (await nbctl('--bare', '--columns=_uuid', 'list', table)).split('\n').filter(Boolean).length;

beforeAll(async () => {
  env = await startClusterEnv({ cluster: { nodes: 8, subnets: 3, pods: 300, policies: 12, services: 10 } });
  opts = { ...DEFAULT_OPTIONS, wasmWorkers: 0, nbAddr: env.central.nb.remote, kubeconfig: env.kubeconfig, dryRun: false };
});

afterAll(async () => {
  await env?.stop();
});

describe('bulk sync against a real NB with ovn-northd', () => {
  it('--plan writes nothing', async () => {
    const r = await syncOnce({ ...opts, dryRun: true }, silentLogger);
    expect(r.operations).toBeGreaterThan(0);
    expect(r.transactions).toBe(0);
    expect(await count('Logical_Switch_Port')).toBe(0);
  });

  it('writes the Node and Subnet rows ahead into an empty NB; the full sync then brings it to the cluster without writing them again, compiles in northd without errors, and a second run writes nothing', async () => {
    const cache = await createClusterCache(new KubeApi(loadKubeConfig(env.kubeconfig)), silentLogger);
    cache.start();
    const nb = await connectNb(opts.nbAddr, silentLogger);
    let ahead;
    try {
      await cache.waitForSync(60_000);
      ahead = await writeInfrastructure([...cache.subnets.store.values()], [...cache.nodes.store.values()], nb, opts, { log: silentLogger });
    } finally {
      await cache.stop();
      await nb.close();
    }
    const policiesAhead = ahead!.plan.counts.Logical_Router_Policy.insert;
    expect(policiesAhead).toBeGreaterThan(8 * 2);
    expect(await count('Logical_Router_Policy')).toBe(policiesAhead);
    expect(await count('Port_Group')).toBe(0);

    const first = await syncOnce(opts, silentLogger);
    // Only the centralized subnets' gateway policies were left to insert; none of those written ahead was inserted again.
    expect(first.plan.counts.Logical_Router_Policy.insert).toBeLessThan(3);
    expect(await count('Logical_Router_Policy')).toBe(policiesAhead + first.plan.counts.Logical_Router_Policy.insert);
    expect(first.errors).toEqual([]);
    expect(first.plan.conflicts).toEqual([]);
    expect(first.transactions).toBeGreaterThan(0);
    await nbctl('--wait=sb', 'sync');
    const log = readFileSync(env.central.northd.logFile, 'utf8');
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
