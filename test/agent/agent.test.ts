import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent, type AgentOptions } from '../../src/agent/agent.js';
import { nodeScopedCache } from '../../src/agent/node-cache.js';
import { ExitCode } from '../../src/agent/preflight.js';
import { startOvsSwitch, type OvsSwitch } from '../../src/embedded/ovs-switch.js';
import { KubeApi, loadKubeConfig } from '../../src/k8s/index.js';
import { clusterSpec, generateCluster } from '../../src/sim/gen/cluster.js';
import { writeKubeconfig } from '../../src/sim/kubeconfig.js';
import { SimServer } from '../../src/sim/server.js';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { packageRoot } from '../../src/util/paths.js';

const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
let tmp: string;
let sw: OvsSwitch;
let sim: SimServer;
let kubeconfig: string;

const options = (over: Partial<AgentOptions> = {}): AgentOptions => ({
  nodeName: 'node-0001',
  ovsDb: sw.db.remote,
  ovsRundir: sw.rundir,
  rundirLink: join(tmp, 'usr-local-run-openvswitch'),
  ovnRemote: 'tcp:127.0.0.1:6642',
  encapIp: '127.0.0.1',
  encapType: 'geneve',
  datapath: 'netdev',
  remoteProbeIntervalMs: 10_000,
  openflowProbeIntervalS: 180,
  brIntTimeoutMs: 10_000,
  ovsdbTimeoutMs: 5_000,
  hostRoot: '/',
  cpus: 2,
  hostname: 'node-0001',
  once: true,
  loadModules: false,
  log: silentLogger,
  ...over,
});

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ovnscale-agent-'));
  sw = await startOvsSwitch();
  await sw.vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev', 'fail-mode=secure');
  sim = new SimServer();
  sim.load(generateCluster(clusterSpec({ nodes: 20, pods: 400, subnets: 2 })));
  await sim.start();
  kubeconfig = join(tmp, 'kubeconfig');
  writeKubeconfig(kubeconfig, sim.url);
});

afterAll(async () => {
  await sim?.stop();
  await sw?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('ovnscale agent', () => {
  it('--once: a ready node exits 0, and a second run changes nothing', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l) });
    expect(await runAgent(options({ log }))).toBe(ExitCode.ready);
    lines.length = 0;
    expect(await runAgent(options({ log }))).toBe(ExitCode.ready);
    const tuning = lines.map((l) => JSON.parse(l) as { msg: string; changed?: object }).find((l) => l.msg === 'ovs tuning');
    expect(tuning?.changed).toEqual({});
    expect(await sw.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-remote')).toMatch(/tcp:127\.0\.0\.1:6642/);
  });

  it('takes the tunnel IP from its Node when --encap-ip is absent', async () => {
    expect(await runAgent(options({ encapIp: undefined, kubeconfig }))).toBe(ExitCode.ready);
    const ip = (await sw.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-encap-ip')).trim().replace(/"/g, '');
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ip).not.toBe('127.0.0.1');
  });

  it('exits with a distinct status for each fatal condition', () => {
    const natRoot = join(tmp, 'nat-root');
    mkdirSync(join(natRoot, 'proc/sys/kernel'), { recursive: true });
    mkdirSync(join(natRoot, 'proc/net'), { recursive: true });
    writeFileSync(join(natRoot, 'proc/sys/kernel/osrelease'), '3.10.0-862.el7.x86_64\n');
    writeFileSync(join(natRoot, 'proc/net/if_inet6'), '');
    const common = ['agent', '--once', '--node-name', 'node-0001', '--ovn-remote', 'tcp:127.0.0.1:6642', '--encap-ip', '127.0.0.1', '--datapath', 'netdev', '--rundir-link', join(tmp, 'link2'), '--ovs-rundir', sw.rundir];
    const nat = spawnSync(process.execPath, [cli, ...common, '--host-root', natRoot, '--ovs-db', sw.db.remote], { encoding: 'utf8' });
    expect(nat.status).toBe(ExitCode.kernelNatBug);
    expect(nat.stderr).toMatch(/3\.10\.0-898/);
    const noDb = spawnSync(process.execPath, [cli, ...common, '--ovs-db', `unix:${join(tmp, 'nope.sock')}`, '--ovsdb-timeout', '1'], { encoding: 'utf8' });
    expect(noDb.status).toBe(ExitCode.ovsdbUnreachable);
    expect(noDb.stderr).toMatch(/is ovsdb-server running/);
  });

  it('exits 16 naming br-int when it never appears', async () => {
    await sw.vsctl('del-br', 'br-int');
    try {
      expect(await runAgent(options({ brIntTimeoutMs: 500 }))).toBe(ExitCode.brIntTimeout);
    } finally {
      await sw.vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev', 'fail-mode=secure');
    }
  });

  it('caches only its own Node and the pods scheduled on it', async () => {
    const api = new KubeApi(loadKubeConfig(kubeconfig));
    const own = nodeScopedCache(api, 'node-0003', silentLogger);
    const all = nodeScopedCache(api, 'node-0003', silentLogger, 'cluster');
    own.start();
    all.start();
    try {
      await Promise.all([own.waitForSync(10_000), all.waitForSync(10_000)]);
      expect([...own.node.store.keys()]).toEqual(['node-0003']);
      const mine = [...all.pods.store.values()].filter((p) => p.nodeName === 'node-0003');
      expect(mine.length).toBeGreaterThan(0);
      expect(own.pods.store.size).toBe(mine.length);
      expect(all.pods.store.size).toBeGreaterThan(own.pods.store.size * 5);
    } finally {
      await Promise.all([own.stop(), all.stop()]);
    }
  });

  it('long-running: syncs its caches and stops cleanly on abort', async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => {
      lines.push(l);
      if (l.includes('node-scoped caches synced')) stop.abort();
    } });
    expect(await runAgent(options({ once: false, kubeconfig, log, signal: stop.signal }))).toBe(ExitCode.ready);
    expect(lines.some((l) => l.includes('node-scoped caches synced'))).toBe(true);
  });
});
