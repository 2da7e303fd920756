import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, type ControllerRunOptions } from '../../src/controller/controller.js';
import type { SyncReport } from '../../src/controller/sync-once.js';
import { runTool, startOvnCentral } from '../../src/embedded/index.js';
import type { KubeApi } from '../../src/k8s/index.js';
import { clusterSpec, generateCluster } from '../../src/sim/gen/cluster.js';
import { writeKubeconfig } from '../../src/sim/kubeconfig.js';
import { SimServer } from '../../src/sim/server.js';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { CLI, runCli } from '../support/cli.js';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.js';
import { waitForValue } from '../support/wait.js';

let env: ClusterEnv;
let api: KubeApi;
let dir: string;

const nbctl = (...a: string[]) => env.nbctl(...a);
const names = async (table: string) => (await nbctl('--bare', '--columns=name', 'list', table)).split('\n').filter(Boolean);

const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitForValue(what, fn, 15_000, 50);

async function started(over: Partial<ControllerRunOptions> = {}): Promise<{ c: Controller; passes: { r: SyncReport; first: boolean }[] }> {
  const passes: { r: SyncReport; first: boolean }[] = [];
  const c = new Controller(env.controllerOptions(over), process.env.E2E_LOG ? createLogger({ level: "debug" }) : silentLogger, { onPass: (r, first) => passes.push({ r, first }) });
  await c.start();
  return { c, passes };
}

beforeAll(async () => {
  env = await startClusterEnv({ cluster: { nodes: 4, subnets: 2, pods: 120, policies: 6, services: 4 } });
  api = env.api;
  dir = mkdtempSync(join(tmpdir(), 'ovnscale-ctl-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  expect(await env?.stop()).not.toMatch(/\|(ERR|EMER)\|/);
});

describe('ovnscale controller end to end', () => {
  it('syncs at start, then converges on pod, policy and bad-input events; a restart writes nothing', async () => {
    const { c, passes } = await started();
    try {
      await until('startup sync', async () => (c.ready ? true : undefined));
      const first = passes.find((p) => p.first)!;
      expect(first.r.transactions).toBeGreaterThan(0);

      const ns = 'e2e';
      await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: 'e2e' } } } });
      await api.request('POST', `/api/v1/namespaces/${ns}/pods`, {
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: ns, labels: { app: 'web' } }, spec: { nodeName: 'node-0001', containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running' } },
      });
      await until('pod port', async () => ((await names('Logical_Switch_Port')).includes(`web.${ns}`) ? true : undefined));
      const pod = await until('pod annotations', async () => {
        const p = await api.request<{ metadata: { annotations?: Record<string, string> } }>('GET', `/api/v1/namespaces/${ns}/pods/web`);
        return p.metadata.annotations?.['ovn.kubernetes.io/routed'] === 'true' ? p : undefined;
      });
      const ip = pod.metadata.annotations!['ovn.kubernetes.io/ip_address']!;
      expect((await nbctl('get', 'Logical_Switch_Port', `web.${ns}`, 'addresses')).trim()).toContain(ip);

      await api.request('POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, {
        body: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-all', namespace: ns }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
      });
      await until('policy port group', async () => ((await names('Port_Group')).includes(`deny.all.${ns}`) ? true : undefined));

      await api.request('POST', '/apis/kubeovn.io/v1/subnets', {
        body: { apiVersion: 'kubeovn.io/v1', kind: 'Subnet', metadata: { name: 'broken' }, spec: { cidrBlock: '10.300.0.0/16', protocol: 'IPv4' } },
      });
      await api.request('DELETE', `/api/v1/namespaces/${ns}/pods/web`);
      await until('pod port removed', async () => ((await names('Logical_Switch_Port')).includes(`web.${ns}`) ? undefined : true));
      const metrics = await c.metrics.registry.metrics();
      expect(metrics).toMatch(/ovnscale_invalid_objects_total\{kind="Subnet",reason="invalid-cidr"\} 1/);
      expect(metrics).toMatch(/ovnscale_wasm_task_duration_seconds_count\{kernel="selector-set"\} [1-9]/);
      expect(metrics).toMatch(/ovnscale_nb_operations_total\{table="Logical_Switch_Port",op="insert"\} [1-9]/);
      const events = await api.request<{ items: { involvedObject: { name: string }; reason: string; message: string }[] }>('GET', '/api/v1/namespaces/default/events');
      expect(events.items.some((e) => e.involvedObject.name === 'broken' && e.reason === 'InvalidSpec' && e.message.includes('spec.cidrBlock'))).toBe(true);
    } finally {
      await c.stop();
    }

    const again = await started();
    try {
      await until('restart sync', async () => (again.c.ready ? true : undefined));
      expect(again.passes.find((p) => p.first)!.r.transactions).toBe(0);
    } finally {
      await again.c.stop();
    }
  });

  it('a Service touches only the load balancers; the resync repairs rows removed behind its back without a rebuild', async () => {
    const { c, passes } = await started({ resyncIntervalMs: 1000 });
    try {
      await until('startup sync', async () => (c.ready ? true : undefined));
      const ns = 'svc-e2e';
      await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
      const before = passes.length;
      await api.request('POST', `/api/v1/namespaces/${ns}/services`, {
        body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: ns }, spec: { clusterIP: '10.96.200.7', clusterIPs: ['10.96.200.7'], selector: { app: 'none' }, ports: [{ port: 80, protocol: 'TCP' }] } },
      });
      await until('VIP in the NB', async () => ((await nbctl('get', 'Load_Balancer', 'cluster-tcp-loadbalancer', 'vips')).includes('10.96.200.7:80') ? true : undefined));
      const touched = passes.slice(before).flatMap((p) => Object.entries(p.r.plan.counts).filter(([, n]) => n.insert + n.update + n.delete > 0).map(([t]) => t));
      expect(new Set(touched)).toEqual(new Set(['Load_Balancer']));

      const victim = (await names('Logical_Switch_Port')).find((n) => !n.startsWith('node-') && n.includes('.'))!;
      await nbctl('--if-exists', 'lsp-del', victim);
      await until('repaired by the resync', async () => ((await names('Logical_Switch_Port')).includes(victim) ? true : undefined));
      expect(passes.filter((p) => p.r.timings['repairPlan'] !== undefined).length).toBeGreaterThan(0);
      expect(passes.filter((p) => p.r.timings['ipam'] !== undefined).length).toBe(1);
    } finally {
      await c.stop();
    }
  });

  it('kill -9 in the middle of a sync, then a restart: converged with no duplicate rows', async () => {
    const big = new SimServer();
    big.load(generateCluster(clusterSpec({ seed: 7, nodes: 40, subnets: 4, pods: 3000, policies: 60, services: 40 })));
    await big.start();
    const kc = join(dir, 'kubeconfig-big');
    writeKubeconfig(kc, big.url);
    const bigCentral = await startOvnCentral();
    try {
      const args = ['sync', '--kubeconfig', kc, '--ovn-nb-addr', bigCentral.nb.remote, '--wasm-workers', '0', '--max-ops-per-txn', '200'];
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('"plan applied"')) child.kill('SIGKILL');
      });
      await new Promise((r) => child.once('exit', r));
      const nb = (...a: string[]) => runTool('ovn-nbctl', a, { env: bigCentral.env });
      const partial = (await nb('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter(Boolean).length;
      const done = await runCli(...args, '--json');
      expect(done.status).toBe(0);
      const lsps = (await nb('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter(Boolean);
      expect(lsps.length).toBeGreaterThan(partial);
      expect(new Set(lsps).size).toBe(lsps.length);
      const pgs = (await nb('--bare', '--columns=name', 'list', 'Port_Group')).split('\n').filter(Boolean);
      expect(new Set(pgs).size).toBe(pgs.length);
      const policies = (await nb('--bare', '--columns=priority,match', 'list', 'Logical_Router_Policy')).split('\n\n');
      expect(new Set(policies).size).toBe(policies.length);
      const final = JSON.parse((await runCli(...args, '--json')).stdout) as SyncReport;
      expect(final.operations).toBe(0);
    } finally {
      await big.stop();
      await bigCentral.stop();
    }
  });

  it('two controllers with --leader-elect: one leads and writes, the other waits', async () => {
    const a = await started({ leaderElect: true, identity: 'a', leaseName: 'ovnscale-two' });
    const b = await started({ leaderElect: true, identity: 'b', leaseName: 'ovnscale-two' });
    try {
      await until('a leader', async () => (a.c.ready || b.c.ready ? true : undefined));
      for (let i = 0; i < 20; i++) {
        expect(a.c.isLeader() && b.c.isLeader()).toBe(false);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect([a.c.isLeader(), b.c.isLeader()].filter(Boolean)).toHaveLength(1);
      const follower = a.c.isLeader() ? b : a;
      expect(follower.passes).toHaveLength(0);
    } finally {
      await a.c.stop();
      await b.c.stop();
    }
  });
});
