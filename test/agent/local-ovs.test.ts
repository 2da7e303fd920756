import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTuning, BrIntTimeoutError, connectLocalOvs, waitForBridge } from '../../src/agent/local-ovs.js';
import { desiredTuning, type TuningOptions } from '../../src/agent/ovs-tuning.js';
import { startOvsSwitch, type OvsSwitch } from '../../src/embedded/ovs-switch.js';
import type { OvsdbClient } from '../../src/ovsdb/index.js';
import { createLogger, silentLogger } from '../../src/util/log.js';

const base: TuningOptions = {
  cpus: 2,
  hostname: 'node-1',
  ovnRemote: 'tcp:127.0.0.1:6642',
  encapType: 'geneve',
  encapIp: '127.0.0.1',
  remoteProbeIntervalMs: 10_000,
  openflowProbeIntervalS: 180,
};

describe('agent against a real Open vSwitch', () => {
  let sw: OvsSwitch;
  let client: OvsdbClient;

  beforeAll(async () => {
    sw = await startOvsSwitch({ vswitchd: false });
    client = await connectLocalOvs(sw.db.remote, silentLogger, 10_000);
  });
  afterAll(async () => {
    await client?.close();
    await sw?.stop();
  });

  it('tunes external_ids and other_config once, keeping keys set by others', async () => {
    await sw.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', 'external_ids:system-id=abc', 'external_ids:ovn-encap-ip=10.0.0.9');
    await new Promise((r) => setTimeout(r, 100));
    const first = await applyTuning(client, desiredTuning({ ...base, cpus: 16 }));
    expect(first.changed.external_ids).toMatchObject({ 'ovn-encap-ip': '127.0.0.1', hostname: 'node-1', 'ovn-remote-probe-interval': '10000' });
    expect(first.changed.other_config).toEqual({ 'n-revalidator-threads': '4', 'n-handler-threads': '10' });
    await new Promise((r) => setTimeout(r, 100));
    const ids = await sw.vsctl('get', 'Open_vSwitch', '.', 'external_ids');
    expect(ids).toMatch(/system-id=abc/);
    expect(ids).toMatch(/ovn-encap-ip="127\.0\.0\.1"/);
    expect(ids).toMatch(/ovn-openflow-probe-interval="180"/);
    const again = await applyTuning(client, desiredTuning({ ...base, cpus: 16 }));
    expect(again.changed).toEqual({});
  });

  it('leaves thread counts alone on small machines', () => {
    expect(desiredTuning(base).other_config).toEqual({});
  });

  it('gives up in bounded time naming what is missing', async () => {
    const err = await waitForBridge({ client, rundir: sw.rundir, timeoutMs: 300, log: silentLogger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrIntTimeoutError);
    expect((err as Error).message).toMatch(/bridge br-int in the Open_vSwitch database/);
  });

  it('waits for br-int and then for br-int.mgmt, reporting each, until ovs-vswitchd serves it', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l) });
    const waiting = waitForBridge({ client, rundir: sw.rundir, timeoutMs: 20_000, log, backoffInitialMs: 20, backoffMaxMs: 200 });
    await new Promise((r) => setTimeout(r, 200));
    await sw.vsctl('--no-wait', 'add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev', 'fail-mode=secure');
    await new Promise((r) => setTimeout(r, 200));
    await sw.startVswitchd();
    const { waitedMs } = await waiting;
    expect(waitedMs).toBeGreaterThan(300);
    const said = lines.map((l) => JSON.parse(l) as { msg: string; for?: string });
    expect(said.some((l) => l.for?.includes('bridge br-int in the Open_vSwitch database'))).toBe(true);
    expect(said.some((l) => l.for?.includes('br-int.mgmt to accept connections'))).toBe(true);
    expect(said.at(-1)?.msg).toBe('bridge ready');
  });
});
