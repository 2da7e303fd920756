import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { Nodes, Pods, Reflector } from '../../src/k8s/index.js';
import { packageRoot } from '../../src/util/paths.js';
import { startSim } from '../support/sim.js';

const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'ovnscale-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ovnscale sim', () => {
  it('serves a generated cluster as a child process, and stops on SIGTERM', async () => {
    const s = await startSim({ child: true, cluster: { pods: 100, nodes: 4, namespaces: 2, kubevirt: true, vmShare: 0.05 } });
    try {
      const pods = new Reflector(s.api(), Pods, { fieldSelector: 'spec.nodeName=node-0001' });
      const nodes = new Reflector(s.api(), Nodes);
      pods.start();
      nodes.start();
      await Promise.all([pods.waitForSync(10_000), nodes.waitForSync(10_000)]);
      expect(nodes.store.size).toBe(4);
      expect(pods.store.size).toBeGreaterThan(0);
      expect([...pods.store.values()].every((p) => p.nodeName === 'node-0001')).toBe(true);
      await Promise.all([pods.stop(), nodes.stop()]);
      const vmis = await s.api().request<{ items: unknown[] }>('GET', '/apis/kubevirt.io/v1/virtualmachineinstances');
      expect(vmis.items).toHaveLength(5);
    } finally {
      await s.stop();
    }
  });

  it('writes the cluster as multi-document YAML with --out, the same for the same seed', () => {
    const out = (file: string) => spawnSync(process.execPath, [cli, 'sim', '--out', file, '--pods', '30', '--nodes', '2', '--seed', '9'], { encoding: 'utf8' });
    const a = out(join(dir, 'a.yaml'));
    expect(a.status).toBe(0);
    expect(out(join(dir, 'b.yaml')).status).toBe(0);
    const text = readFileSync(join(dir, 'a.yaml'), 'utf8');
    expect(readFileSync(join(dir, 'b.yaml'), 'utf8')).toBe(text);
    const docs = yaml.loadAll(text) as { kind: string }[];
    expect(docs.filter((d) => d.kind === 'Pod')).toHaveLength(32);
    expect(JSON.parse(a.stdout).objects).toBe(docs.length);
  });

  it('rejects bad flags with exit status 2 naming the flag', () => {
    const r = spawnSync(process.execPath, [cli, 'sim', '--pods', 'many'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--pods: expected an integer/);
  });
});
