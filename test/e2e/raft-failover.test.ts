import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.js';
import { DEFAULT_OPTIONS } from '../../src/controller/options.js';
import { NB_SCHEMA, runTool, startRaftCluster, type RaftCluster } from '../../src/embedded/index.js';
import { KubeApi, loadKubeConfig } from '../../src/k8s/index.js';
import { clusterSpec, generateCluster } from '../../src/sim/gen/cluster.js';
import { writeKubeconfig } from '../../src/sim/kubeconfig.js';
import { SimServer } from '../../src/sim/server.js';
import { silentLogger } from '../../src/util/log.js';
import { waitForValue } from '../support/wait.js';

let cluster: RaftCluster;
let sim: SimServer;
let dir: string;

beforeAll(async () => {
  cluster = await startRaftCluster({ schema: NB_SCHEMA, members: 3 });
  await cluster.waitForLeader();
  sim = new SimServer();
  sim.load(generateCluster(clusterSpec({ nodes: 3, subnets: 2, pods: 60, policies: 4, services: 3 })));
  await sim.start();
  dir = mkdtempSync(join(tmpdir(), 'ovnscale-raft-'));
  writeKubeconfig(join(dir, 'kubeconfig'), sim.url);
});

afterAll(async () => {
  await sim?.stop();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('controller against a 3-member Raft NB', () => {
  it('keeps converging through a SIGKILLed leader, with no duplicate rows', async () => {
    const c = new Controller(
      { ...DEFAULT_OPTIONS, wasmWorkers: 0, nbAddr: cluster.remote, kubeconfig: join(dir, 'kubeconfig'), metricsAddr: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'kube-system', leaseName: 'x', coalesceMs: 10, resyncIntervalMs: 0 },
      silentLogger,
    );
    await c.start();
    const api = new KubeApi(loadKubeConfig(join(dir, 'kubeconfig')));
    try {
      await waitForValue('startup sync', () => (c.ready ? true : undefined), 20_000);
      const create = (i: number) =>
        api.request('POST', '/api/v1/namespaces/default/pods', {
          body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default', labels: { app: 'raft' } }, spec: { nodeName: 'node-0000', containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running' } },
        });
      for (let i = 0; i < 10; i++) await create(i);
      const leader = await cluster.waitForLeader();
      await cluster.kill(leader, 'SIGKILL');
      for (let i = 10; i < 20; i++) await create(i);
      await cluster.restart(leader);

      const lsps = async () => {
        const out = await runTool('ovn-nbctl', [`--db=${cluster.remote}`, '--no-leader-only', '--bare', '--columns=name', 'list', 'Logical_Switch_Port']);
        return out.split('\n').filter(Boolean);
      };
      const names = await waitForValue(
        'the 20 new pods in the NB',
        async () => {
          const n = await lsps();
          return Array.from({ length: 20 }, (_, i) => `p${i}.default`).every((p) => n.includes(p)) ? n : undefined;
        },
        60_000,
        200,
      );
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await c.stop();
    }
  });
});
