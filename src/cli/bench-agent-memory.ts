/**
 * `ovnscale bench agent-memory`: the agent's cache memory at several cluster
 * sizes with the same pods per node, node-scoped (ours) against caching every
 * Node and Pod (what per-node agents did). Each figure comes from a child
 * process of its own after a full GC.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterSpec, generateCluster } from '../sim/gen/cluster.js';
import { writeKubeconfig } from '../sim/kubeconfig.js';
import { SimServer } from '../sim/server.js';
import type { CommandModule } from './commands.js';
import { boolFlag, intFlag, parseFlags, stringFlag, UsageError } from './flags.js';

interface Probe {
  scope: string;
  nodes: number;
  pods: number;
  heapMiB: number;
  rssMiB: number;
  syncMs: number;
}

const run = promisify(execFile);

async function probe(kubeconfig: string, node: string, scope: 'node' | 'cluster'): Promise<Probe> {
  const script = new URL('./agent-memory-probe.js', import.meta.url);
  const { stdout } = await run(process.execPath, ['--expose-gc', '--max-old-space-size=8192', script.pathname, kubeconfig, node, scope], {
    maxBuffer: 1 << 20,
    timeout: 900_000,
  });
  return JSON.parse(stdout) as Probe;
}

const mod: CommandModule = {
  async run(argv) {
    const p = parseFlags(
      argv,
      'bench agent-memory',
      {
        nodes: { type: 'string', default: '100,5000' },
        'pods-per-node': { type: 'string', default: '30' },
        'skip-cluster-scope-above': { type: 'string', default: '1000000' },
        json: { type: 'boolean' },
      },
      {
        nodes: 'comma-separated cluster sizes (nodes)',
        'pods-per-node': 'pods per node, the same at every size',
        'skip-cluster-scope-above': 'skip the cluster-wide baseline for clusters with more pods than this',
        json: 'print one JSON object',
      },
    );
    if (!p) return 0;
    const sizes = (stringFlag(p, 'nodes') ?? '').split(',').map((s) => Number(s.trim()));
    if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--nodes: expected comma-separated positive integers, got '${stringFlag(p, 'nodes')}'`);
    const perNode = intFlag(p, 'pods-per-node', 1, 1000);
    const baselineLimit = intFlag(p, 'skip-cluster-scope-above', 0);
    const json = boolFlag(p, 'json');
    const results: { clusterNodes: number; clusterPods: number; node: Probe; cluster?: Probe }[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'ovnscale-agent-mem-'));
    try {
      for (const n of sizes) {
        const sim = new SimServer();
        const spec = clusterSpec({ nodes: n, pods: n * perNode, subnets: Math.min(100, Math.max(1, Math.ceil(n / 50))) });
        sim.load(generateCluster(spec));
        await sim.start();
        const kubeconfig = join(dir, `kubeconfig-${n}`);
        writeKubeconfig(kubeconfig, sim.url);
        const nodeName = `node-${'0'.padStart(Math.max(4, String(n).length), '0')}`;
        try {
          const node = await probe(kubeconfig, nodeName, 'node');
          const cluster = spec.pods <= baselineLimit ? await probe(kubeconfig, nodeName, 'cluster') : undefined;
          results.push({ clusterNodes: n, clusterPods: spec.pods, node, cluster });
          if (!json) {
            const base = cluster ? `; caching every Node and Pod: ${cluster.heapMiB.toFixed(1)} MiB heap (${cluster.pods} pods)` : '';
            process.stdout.write(
              `${n} nodes / ${spec.pods} pods: node-scoped agent ${node.heapMiB.toFixed(2)} MiB heap, ${node.rssMiB.toFixed(0)} MiB RSS (${node.pods} pods, ${node.nodes} node)${base}\n`,
            );
          }
        } finally {
          await sim.stop();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (json) process.stdout.write(JSON.stringify({ podsPerNode: perNode, results }) + '\n');
    return 0;
  },
};
export default mod;
