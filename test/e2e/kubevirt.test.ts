import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.js';
import { finishMigration, startMigration } from '../../src/sim/kubevirt-actor.js';
import { silentLogger } from '../../src/util/log.js';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.js';
import { waitForValue } from '../support/wait.js';

let env: ClusterEnv;

interface Vmi {
  metadata: { name: string; namespace: string };
  status: { nodeName: string };
}

beforeAll(async () => {
  env = await startClusterEnv({
    cluster: { nodes: 3, subnets: 2, pods: 200, kubevirt: true, vmShare: 0.03, policies: 4, services: 4 },
    chassis: ['node-0000', 'node-0001', 'node-0002'],
  });
});

afterAll(async () => {
  expect(await env?.stop()).not.toMatch(/\|(ERR|EMER)\|/);
});

describe('controller with KubeVirt', () => {
  it('gives a VM one port and address, and migrates it with the port options confirmed in the SB', async () => {
    const c = new Controller(env.controllerOptions({ sbAddr: env.central.sb.remote, coalesceMs: 10 }), silentLogger);
    await c.start();
    const { api, nbctl } = env;
    try {
      await waitForValue('startup sync', () => (c.ready ? true : undefined), 20_000);
      const vmis = await api.request<{ items: Vmi[] }>('GET', '/apis/kubevirt.io/v1/virtualmachineinstances');
      expect(vmis.items.length).toBeGreaterThan(0);
      const vmi = vmis.items[0]!;
      const { name: vm, namespace: ns } = vmi.metadata;
      const lsp = `${vm}.${ns}`;
      const addresses = (await nbctl('get', 'Logical_Switch_Port', lsp, 'addresses')).trim();
      const source = vmi.status.nodeName;
      const target = ['node-0000', 'node-0001', 'node-0002'].find((n) => n !== source)!;

      const m = await startMigration(api, ns, vm, 'mig-1', source, target);
      await waitForValue(
        'migration options',
        async () => ((await nbctl('get', 'Logical_Switch_Port', lsp, 'options')).includes(`requested-chassis="${source},${target}"`) ? true : undefined),
        15_000,
        20,
      );
      expect((await nbctl('get', 'Logical_Switch_Port', lsp, 'options')).trim()).toContain('activation-strategy=rarp');
      expect((await nbctl('get', 'Logical_Switch_Port', lsp, 'addresses')).trim()).toBe(addresses);
      const targetPod = await waitForValue(
        'target pod annotations',
        async () => {
          const p = await api.request<{ metadata: { annotations?: Record<string, string> } }>('GET', `/api/v1/namespaces/${ns}/pods/virt-launcher-${vm}-mig-1`);
          return p.metadata.annotations?.['ovn.kubernetes.io/ip_address'] ? p : undefined;
        },
        15_000,
        50,
      );
      expect(addresses).toContain(targetPod.metadata.annotations!['ovn.kubernetes.io/ip_address']!);

      const confirmed = (stage: string) =>
        waitForValue(
          `SB confirmation of ${stage}`,
          async () => (new RegExp(`ovnscale_migration_sb_seconds_count\\{stage="${stage}"\\} [1-9]`).test(await c.metrics.registry.metrics()) ? true : undefined),
          15_000,
          20,
        );
      // Network-ready once ovn-northd's Port_Binding shows the chassis; a stage superseded before that is not counted.
      await confirmed('scheduled');
      await finishMigration(api, m, true);
      await waitForValue(
        'migration done',
        async () => ((await nbctl('get', 'Logical_Switch_Port', lsp, 'options')).trim() === `{requested-chassis=${target}}` ? true : undefined),
        15_000,
        20,
      );
      await confirmed('succeeded');
    } finally {
      await c.stop();
    }
  });
});
